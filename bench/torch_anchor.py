#!/usr/bin/env python3
"""PyTorch's side of the sparse-rnn benchmarks: the same model, measured the same way.

The TypeScript benchmarks (bench/train.ts, bench/infer.ts, bench/sparse-train.ts,
`sparse-rnn bench train|infer`) run this script beside their own measurement and
print the ratio, so both numbers come from one run on one machine.

Modes (one JSON object is printed on the last line of stdout):

  train  embedding (width = hidden) -> `layers` stacked RNN/LSTM/GRU layers -> linear
         head over the vocabulary; random token inputs and targets; each step is
         forward, cross-entropy, backward, global-norm clipping to 0.25 and plain SGD
         (lr 0.1). Two warm-up steps, then the mean over `repeats` steps.
         Fields: engine mode cell hidden threads vocab layers batch steps tokens_per_s

  infer  one recurrent cell (input width = hidden), batch 1, one time step per call,
         ih and hh pruned by magnitude to `sparsity` (kept weights:
         max(round(n * (1 - s)), 1) per matrix, the rest set to exactly zero; PyTorch
         still multiplies them densely). 20 warm-up steps, then the plain mean over
         200 * repeats steps.
         Fields: engine mode cell hidden threads sparsity step_us

Needs Debian's PyTorch (apt-get install -y python3-torch libopenblas0-pthread) and the
system interpreter: /usr/bin/python3 bench/torch_anchor.py --help
BLAS threads are pinned to --threads before torch is imported: OpenBLAS threads on top
of PyTorch's own threads make it several times slower on a small machine.
"""
import argparse
import json
import os
import sys
import time


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--mode", choices=("train", "infer"), default="train")
    ap.add_argument("--cell", choices=("gru", "lstm", "rnn"), default="lstm")
    ap.add_argument("--hidden", type=int, default=256, help="hidden units (also the embedding width)")
    ap.add_argument("--vocab", type=int, default=100, help="train: vocabulary size")
    ap.add_argument("--layers", type=int, default=1, help="train: stacked recurrent layers")
    ap.add_argument("--batch", type=int, default=32, help="train: sequences per step")
    ap.add_argument("--steps", type=int, default=100, help="train: time steps per sequence (BPTT length)")
    ap.add_argument("--sparsity", type=float, default=0.0, help="infer: fraction of ih and hh set to zero")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=5, help="train: timed steps; infer: timed steps / 200")
    return ap.parse_args(argv)


ARGS = parse_args(sys.argv[1:])
for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, str(ARGS.threads))

import torch  # noqa: E402  (after the thread variables on purpose)
from torch import nn  # noqa: E402

LAYER = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}
CELL = {"rnn": nn.RNNCell, "lstm": nn.LSTMCell, "gru": nn.GRUCell}


class TokenModel(nn.Module):
    def __init__(self, cell, vocab, hidden, layers):
        super().__init__()
        self.embedding = nn.Embedding(vocab, hidden)
        self.recurrent = LAYER[cell](hidden, hidden, num_layers=layers, batch_first=True)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, tokens):
        out, _ = self.recurrent(self.embedding(tokens))
        return self.head(out)


def seconds_per_call(fn, warmup, calls):
    for _ in range(warmup):
        fn()
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) / calls


def measure_train(a):
    torch.manual_seed(0)
    model = TokenModel(a.cell, a.vocab, a.hidden, a.layers)
    sgd = torch.optim.SGD(model.parameters(), lr=0.1)
    inputs = torch.randint(a.vocab, (a.batch, a.steps))
    targets = torch.randint(a.vocab, (a.batch, a.steps))
    loss_fn = nn.CrossEntropyLoss()

    def one_step():
        sgd.zero_grad()
        loss = loss_fn(model(inputs).view(-1, a.vocab), targets.view(-1))
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 0.25)
        sgd.step()

    dt = seconds_per_call(one_step, warmup=2, calls=a.repeats)
    return {"vocab": a.vocab, "layers": a.layers, "batch": a.batch, "steps": a.steps,
            "tokens_per_s": round(a.batch * a.steps / dt)}


def prune_to(weight, sparsity):
    """Zero all but the max(round(n * (1 - s)), 1) largest |w| of the matrix, in place."""
    flat = weight.view(-1)
    keep = max(round(flat.numel() * (1.0 - sparsity)), 1)
    kept = torch.zeros_like(flat, dtype=torch.bool)
    kept[flat.abs().topk(keep).indices] = True
    flat[~kept] = 0.0


@torch.no_grad()
def measure_infer(a):
    torch.manual_seed(0)
    cell = CELL[a.cell](a.hidden, a.hidden)
    if a.sparsity > 0:
        prune_to(cell.weight_ih, a.sparsity)
        prune_to(cell.weight_hh, a.sparsity)
    x = torch.randn(1, a.hidden)
    h = torch.zeros(1, a.hidden)
    state = [(h, torch.zeros(1, a.hidden)) if a.cell == "lstm" else h]

    def one_step():
        state[0] = cell(x, state[0])

    dt = seconds_per_call(one_step, warmup=20, calls=200 * a.repeats)
    return {"sparsity": a.sparsity, "step_us": round(dt * 1e6, 1)}


def main(a):
    torch.set_num_threads(a.threads)
    row = {"engine": "pytorch-" + torch.__version__, "mode": a.mode, "cell": a.cell,
           "hidden": a.hidden, "threads": a.threads}
    row.update(measure_train(a) if a.mode == "train" else measure_infer(a))
    print(json.dumps(row))


if __name__ == "__main__":
    main(ARGS)
