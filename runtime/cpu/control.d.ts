// Types of control.js (plain JavaScript, shared with the worker threads).
export declare const CONTROL: Readonly<{
  GEN: 0; COMPLETED: 1; GRAPH: 2; STEP: 3; CHUNKS: 4; FAILED: 5; STOP: 6; DEAD: 7; NEXT: 8; CUTS: 16;
}>;
export declare const MAX_CHUNKS: number;
export declare const CONTROL_SLOTS: number;
export declare function nextWord(gen: number, index: number): number;
export declare function takeChunk(c: Int32Array, gen: number, run: (begin: number, end: number) => void, fail: (err: unknown) => void): boolean;
