#!/usr/bin/env python3
"""Side-by-side sgemm GFLOP/s: ours (native/tests/bench_gemm.cc) against
torch.matmul (native/tests/bench_gemm_torch.py, OpenBLAS underneath), 1 and 2
threads, in the same run. The machine is shared, so both benchmarks are run
--rounds times, interleaved, and each cell is the best over the rounds.

    /usr/bin/python3 native/tests/bench_compare.py [--rounds 3] [--trials 10] [--ms 20]

Builds /tmp/bench_gemm with g++ -O3 (the addon's flags) first. Prints a Markdown
table: wall-clock GFLOP/s at 1 and 2 threads, thread-CPU-time GFLOP/s at 1
thread (less disturbed by other processes), and the naive loop.
"""
import argparse
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def parse(out, ncols):
    """{product: [numbers...]} from a benchmark's table (last ncols numbers of a row)."""
    rows = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) < 7 + ncols or not parts[-1].replace(".", "").isdigit():
            continue
        try:
            nums = [float(x) for x in parts[-ncols:]]
        except ValueError:
            continue
        key = line[:30].rstrip()
        rows[key] = nums
    return rows


def best(acc, new):
    for k, v in new.items():
        acc[k] = [max(a, b) for a, b in zip(acc[k], v)] if k in acc else v


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--trials", type=int, default=10)
    ap.add_argument("--ms", type=float, default=20)
    a = ap.parse_args()
    exe = "/tmp/bench_gemm"
    subprocess.run(["g++", "-O3", "-fno-math-errno", "-ffp-contract=fast", "-std=c++17", "-pthread", "-Inative",
                    "native/gemm.cc", "native/simd.cc", "native/threadpool.cc", "native/tests/bench_gemm.cc", "-o", exe],
                   cwd=ROOT, check=True)
    t = ["--trials", str(a.trials), "--ms", str(a.ms)]
    ours, naive, torch1, torch2 = {}, {}, {}, {}
    env1 = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    env2 = dict(os.environ, OPENBLAS_NUM_THREADS="2", OMP_NUM_THREADS="2")
    torch_script = os.path.join(ROOT, "native/tests/bench_gemm_torch.py")
    for r in range(a.rounds):
        print(f"round {r + 1}/{a.rounds}", file=sys.stderr)
        best(ours, parse(subprocess.run([exe, "--no-naive", *t], cwd=ROOT, capture_output=True, text=True, check=True).stdout, 3))
        if r == 0:
            best(naive, parse(subprocess.run([exe, "--threads", "1", *t], cwd=ROOT, capture_output=True, text=True, check=True).stdout, 3))
        p = subprocess.run([sys.executable, torch_script, "--threads", "1", *t], env=env1, capture_output=True, text=True)
        if p.returncode == 0:
            best(torch1, parse(p.stdout, 2))
            best(torch2, parse(subprocess.run([sys.executable, torch_script, "--threads", "2", *t], env=env2,
                                              capture_output=True, text=True, check=True).stdout, 1))
        elif r == 0:
            print(f"torch unavailable: {p.stderr.strip().splitlines()[-1] if p.stderr else p.returncode}", file=sys.stderr)
    print("| product | ours 1t | torch 1t | ours 1t cpu | torch 1t cpu | ours 2t | torch 2t | naive 1t |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    f = lambda d, k, i: f"{d[k][i]:.1f}" if k in d else "n/a"
    for k, v in ours.items():
        nv = f"{naive[k][2]:.2f}" if k in naive else "n/a"
        print(f"| {k.strip()} | {v[0]:.1f} | {f(torch1, k, 0)} | {v[1]:.1f} | {f(torch1, k, 1)} | {v[2]:.1f} | {f(torch2, k, 0)} | {nv} |")


if __name__ == "__main__":
    main()
