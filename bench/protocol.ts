// What bench/main.ts and each runner (one process per implementation and thread count) exchange:
// main writes the inputs into a temporary folder, and a job file for each runner, and starts the
// runner with the job file's path; the runner times the workloads, writes its first result of each into out-<runner>/, and
// prints one line `RESULT {json}` (anything else it prints, such as a library's banner, is ignored).

/** How long to time one case: `warmup` calls, then `reps` timed calls (fewer if `maxSeconds` runs out). */
export interface Plan {
  readonly warmup: number;
  readonly reps: number;
  readonly maxSeconds: number;
}

export interface MlpShape {
  readonly batch: number;
  readonly d: number;
  readonly h: number;
  readonly c: number;
}

export interface Job {
  /** The folder of the inputs. */
  readonly dir: string;
  /** Where this runner writes its outputs (a folder inside `dir`). */
  readonly out: string;
  readonly matmul: readonly number[];
  readonly ns: readonly (readonly [number, number])[];
  readonly mlp: MlpShape;
  readonly plans: Readonly<Record<Workload, Plan>>;
  /** A case is skipped when one call is projected (from the runner's matmul rate) to take longer. */
  readonly maxCallSeconds: number;
  /** The thread count asked for: a number, or null for the implementation's default. */
  readonly threads: number | null;
}

export type Workload = 'matmul' | 'ns' | 'mlp' | 'moe';

/** One timing: the median of `reps` calls, in milliseconds. */
export interface Timing {
  readonly ms: number;
  readonly reps: number;
}

export interface RunnerResult {
  /** The implementation, e.g. 'tfjs-backend-wasm'. */
  readonly impl: string;
  /** How it was configured, in words (SIMD, threads, jit, BLAS). */
  readonly config: string;
  readonly threads: number;
  readonly notes: readonly string[];
  /** variant (a way of calling it, '' for the only one) → case id → timing. */
  readonly times: Readonly<Record<string, Readonly<Record<string, Timing>>>>;
  /** For the MoE case: tokens in one step. */
  readonly tokensPerStep?: number;
}

export const caseId = {
  matmul: (n: number) => `matmul/${n}`,
  ns: (rows: number, cols: number) => `ns/${rows}x${cols}`,
  mlp: (s: MlpShape) => `mlp/${s.batch}`,
  moe: 'moe/step',
};

/** The file an input or output lives in, inside the job's folder. */
export const files = {
  matmulA: (n: number) => `matmul_a_${n}.f32`,
  matmulB: (n: number) => `matmul_b_${n}.f32`,
  nsG: (rows: number, cols: number) => `ns_g_${rows}x${cols}.f32`,
  mlp: (name: 'w1' | 'b1' | 'w2' | 'b2' | 'x') => `mlp_${name}.f32`,
  mlpY: 'mlp_y.i32',
  /** An output: the first result of a case, as raw f32 (for the MLP: the loss, then w1 after one step). */
  output: (id: string) => `${id.replace('/', '_')}.f32`,
};

/** Marks the line that carries a runner's result. */
export const RESULT_PREFIX = 'RESULT ';
