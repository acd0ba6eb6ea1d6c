"""numpy (with the BLAS it was built with) on the benchmark's workloads, the same protocol as the
TypeScript runners (bench/protocol.ts): read the job file and the inputs, write each case's first
result into the job's out folder, print one line `RESULT {json}`.

Usage (bench/main.ts starts it): python3 bench/runners/numpy_bench.py JOB_FILE
The thread count is set by bench/main.ts through OPENBLAS_NUM_THREADS (and its MKL/OMP cousins);
this script reports the count the BLAS library actually uses.
"""

import ctypes
import glob
import json
import os
import statistics
import sys
import time

import numpy as np

A, B, C, STEPS = 3.4445, -4.7750, 2.0315, 5
LR, WD, BETA1, BETA2, EPS = 1e-3, 0.1, 0.9, 0.95, 1e-8


def blas_info():
    """(description, threads) of the BLAS numpy uses."""
    blas = np.show_config(mode="dicts").get("Build Dependencies", {}).get("blas", {})
    name = f"{blas.get('name', 'unknown BLAS')} {blas.get('version', '')}".strip()
    try:
        from threadpoolctl import threadpool_info

        pools = [p for p in threadpool_info() if p.get("user_api") == "blas"]
        if pools:
            p = pools[0]
            return f"{name} ({p.get('internal_api')}, {p.get('architecture')})", int(p["num_threads"])
    except ImportError:
        pass
    # numpy's wheels bundle scipy-openblas: ask it directly.
    libs = glob.glob(os.path.join(os.path.dirname(np.__file__), "..", "numpy.libs", "libscipy_openblas*"))
    for path in libs:
        lib = ctypes.CDLL(path)
        for suffix in ("64_", ""):
            get = getattr(lib, f"scipy_openblas_get_num_threads{suffix}", None)
            core = getattr(lib, f"scipy_openblas_get_corename{suffix}", None)
            if get is not None:
                get.restype = ctypes.c_int
                arch = ""
                if core is not None:
                    core.restype = ctypes.c_char_p
                    arch = f", {core().decode()}"
                return f"{name} (openblas{arch})", int(get())
    env = os.environ.get("OPENBLAS_NUM_THREADS")
    return f"{name} (thread count from OPENBLAS_NUM_THREADS)", int(env) if env else os.cpu_count() or 1


def measure(plan, fn):
    """Median of the timed calls in ms, after warm-up (same rules as bench/timing.ts)."""
    start = time.perf_counter()
    deadline = start + plan["maxSeconds"]
    warm_end = start + plan["maxSeconds"] / 3
    for i in range(plan["warmup"]):
        if i > 0 and time.perf_counter() >= warm_end:
            break
        fn()
    times = []
    while len(times) < plan["reps"] and (not times or time.perf_counter() < deadline):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return {"ms": statistics.median(times), "reps": len(times)}


def newton_schulz(g):
    tall = g.shape[0] > g.shape[1]
    x = g.T if tall else g
    x = x / (np.linalg.norm(x) + np.float32(1e-7))
    for _ in range(STEPS):
        a_ = x @ x.T
        b_ = B * a_ + C * (a_ @ a_)
        x = A * x + b_ @ x
    return x.T if tall else x


class Mlp:
    """Forward, a hand-written backward, and AdamW, all in float32."""

    def __init__(self, job, read):
        s = job["mlp"]
        self.x = read("mlp_x.f32").reshape(s["batch"], s["d"])
        self.y = np.fromfile(os.path.join(job["dir"], "mlp_y.i32"), dtype="<i4")
        self.p = [read("mlp_w1.f32").reshape(s["d"], s["h"]), read("mlp_b1.f32"), read("mlp_w2.f32").reshape(s["h"], s["c"]), read("mlp_b2.f32")]
        self.m = [np.zeros_like(w) for w in self.p]
        self.v = [np.zeros_like(w) for w in self.p]
        self.t = 0

    def step(self):
        w1, b1, w2, b2 = self.p
        x, y = self.x, self.y
        n = x.shape[0]
        z1 = x @ w1 + b1
        h = np.maximum(z1, 0)
        logits = h @ w2 + b2
        mx = logits.max(axis=1, keepdims=True)
        e = np.exp(logits - mx)
        s = e.sum(axis=1, keepdims=True)
        loss = np.mean(np.log(s[:, 0]) + mx[:, 0] - logits[np.arange(n), y])
        d_logits = e / s
        d_logits[np.arange(n), y] -= 1
        d_logits /= n
        dh = d_logits @ w2.T
        dz1 = dh * (z1 > 0)
        grads = [x.T @ dz1, dz1.sum(axis=0), h.T @ d_logits, d_logits.sum(axis=0)]
        self.t += 1
        c1, c2 = 1 - BETA1**self.t, 1 - BETA2**self.t
        for i, g in enumerate(grads):
            self.m[i] = BETA1 * self.m[i] + (1 - BETA1) * g
            self.v[i] = BETA2 * self.v[i] + (1 - BETA2) * g * g
            w = self.p[i]
            self.p[i] = w - LR * WD * w - LR * (self.m[i] / c1) / (np.sqrt(self.v[i] / c2) + EPS)
        return float(loss)


def main():
    with open(sys.argv[1]) as f:
        job = json.load(f)
    job_dir = job["dir"]
    out = job["out"]
    os.makedirs(out, exist_ok=True)

    def read(name):
        return np.fromfile(os.path.join(job_dir, name), dtype="<f4")

    def save(case, arr):
        np.asarray(arr, dtype="<f4").tofile(os.path.join(out, case.replace("/", "_") + ".f32"))

    blas, threads = blas_info()
    times = {}
    notes = []

    def run(case, plan, fn):
        save(case, fn())
        times[case] = measure(plan, fn)

    for n in job["matmul"]:
        a = read(f"matmul_a_{n}.f32").reshape(n, n)
        b = read(f"matmul_b_{n}.f32").reshape(n, n)
        run(f"matmul/{n}", job["plans"]["matmul"], lambda: a @ b)
    for rows, cols in job["ns"]:
        g = read(f"ns_g_{rows}x{cols}.f32").reshape(rows, cols)
        run(f"ns/{rows}x{cols}", job["plans"]["ns"], lambda: newton_schulz(g))
    mlp = Mlp(job, read)
    first = mlp.step()
    save(f"mlp/{job['mlp']['batch']}", np.concatenate([[first], mlp.p[0].ravel()]))
    times[f"mlp/{job['mlp']['batch']}"] = measure(job["plans"]["mlp"], mlp.step)

    result = {
        "impl": "numpy",
        "config": f"numpy {np.__version__}, {blas}, {threads} thread{'s' if threads != 1 else ''}",
        "threads": threads,
        "notes": notes,
        "times": {"": times},
    }
    print("\nRESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
