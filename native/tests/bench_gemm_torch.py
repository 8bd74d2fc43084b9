#!/usr/bin/env python3
"""torch.matmul GFLOP/s on the same products as native/tests/bench_gemm.cc, for a
side-by-side comparison (PyTorch on CPU calls the system BLAS, here OpenBLAS).

    OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 /usr/bin/python3 native/tests/bench_gemm_torch.py --threads 1
    /usr/bin/python3 native/tests/bench_gemm_torch.py --threads 2

Transposed operands are passed as transposed views (BLAS gets the trans flag, no
copy); beta = 1 products use addmm_ into C. Best of --trials runs of >= --ms each.
"""
import argparse
import time

import torch

CASES = [
    ("recurrent step fwd  h·Whh", False, False, 32, 1024, 256, 1.0),
    ("recurrent step bwd  dz·Whh^T", False, True, 32, 256, 1024, 1.0),
    ("input, all steps    X·Wih", False, False, 3200, 1024, 256, 0.0),
    ("weight grad         X^T·dZ", True, False, 256, 1024, 3200, 1.0),
    ("head char           H·Wo", False, False, 3200, 100, 256, 0.0),
    ("head word           H·Wo", False, False, 3200, 10000, 256, 0.0),
    ("head word (B20 T35) H·Wo", False, False, 700, 10000, 256, 0.0),
    ("head word bwd       dL·Wo^T", False, True, 700, 256, 10000, 0.0),
    ("head word wgrad     H^T·dL", True, False, 256, 10000, 700, 1.0),
]


def best_time(fn, trials, min_s):
    fn()
    best = float("inf")
    for _ in range(trials):
        reps, t0 = 0, time.perf_counter()
        while True:
            fn()
            reps += 1
            el = time.perf_counter() - t0
            if el >= min_s:
                break
        best = min(best, el / reps)
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--trials", type=int, default=15)
    ap.add_argument("--ms", type=float, default=30)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    print(f"torch {torch.__version__}, {a.threads} thread(s), best of {a.trials} x >= {a.ms:.0f} ms; GFLOP/s")
    for what, ta, tb, M, N, K, beta in CASES:
        A = torch.rand(K, M) * 2 - 1 if ta else torch.rand(M, K) * 2 - 1
        B = torch.rand(N, K) * 2 - 1 if tb else torch.rand(K, N) * 2 - 1
        opA = A.t() if ta else A
        opB = B.t() if tb else B
        C = torch.zeros(M, N)
        if beta == 0:
            fn = lambda: torch.matmul(opA, opB, out=C)
        else:
            fn = lambda: C.addmm_(opA, opB)
        s = best_time(fn, a.trials, a.ms / 1000)
        print(f"{what:30s} {int(ta):2d} {int(tb):2d} {M:5d} {N:6d} {K:5d} {beta:4g}  {2.0 * M * N * K / s / 1e9:7.1f}")


if __name__ == "__main__":
    main()
