#!/usr/bin/env python3
"""torch.matmul GFLOP/s on the same products as native/tests/bench_gemm.cc, for a
side-by-side comparison (PyTorch on CPU calls the system BLAS, here OpenBLAS).

    OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 /usr/bin/python3 native/tests/bench_gemm_torch.py --threads 1
    /usr/bin/python3 native/tests/bench_gemm_torch.py --threads 2

Transposed operands are passed as transposed views (BLAS gets the trans flag, no
copy); beta = 1 products use addmm_ into C. Best of --trials runs of >= --ms each,
in wall time and, at one thread, in thread CPU time (as bench_gemm.cc does).
"""
import argparse
import time

import torch

CASES = [
    ("recurrent step fwd  h·Whh", False, False, 32, 1024, 256, 1.0),
    ("recurrent step bwd  dz·WhhT", False, False, 32, 256, 1024, 1.0),
    ("  same on Whh       (transB)", False, True, 32, 256, 1024, 1.0),
    ("input, all steps    X·Wih", False, False, 3200, 1024, 256, 1.0),
    ("weight grad         X^T·dZ", True, False, 256, 1024, 3200, 0.0),
    ("head char           H·Wo", False, False, 3200, 100, 256, 1.0),
    ("head word           H·Wo", False, False, 3200, 10000, 256, 1.0),
    ("head word (B20 T35) H·Wo", False, False, 700, 10000, 256, 1.0),
    ("head word bwd       dL·Wo^T", False, True, 700, 256, 10000, 0.0),
    ("head word wgrad     H^T·dL", True, False, 256, 10000, 700, 0.0),
]


def best_time(fn, trials, min_s):
    """Best (wall, thread CPU) seconds per call."""
    fn()
    best_wall = best_cpu = float("inf")
    for _ in range(trials):
        reps, t0, c0 = 0, time.perf_counter(), time.thread_time()
        while True:
            fn()
            reps += 1
            el = time.perf_counter() - t0
            if el >= min_s:
                break
        best_wall = min(best_wall, el / reps)
        best_cpu = min(best_cpu, (time.thread_time() - c0) / reps)
    return best_wall, best_cpu


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--trials", type=int, default=15)
    ap.add_argument("--ms", type=float, default=30)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    print(f"torch {torch.__version__}, {a.threads} thread(s), best of {a.trials} x >= {a.ms:.0f} ms; GFLOP/s")
    print(f"{'product':30s} tA tB     M      N     K beta     wall" + ("     cpu" if a.threads == 1 else ""))
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
        wall, cpu = best_time(fn, a.trials, a.ms / 1000)
        flops = 2.0 * M * N * K
        line = f"{what:30s} {int(ta):2d} {int(tb):2d} {M:5d} {N:6d} {K:5d} {beta:4g}  {flops / wall / 1e9:7.1f}"
        if a.threads == 1:  # torch runs a 1-thread matmul on the calling thread
            line += f"  {flops / cpu / 1e9:6.1f}"
        print(line)


if __name__ == "__main__":
    main()
