#!/usr/bin/env python3
"""Writes the ONNX import fixtures in test/fixtures/onnx/ from real PyTorch models.

Run with Debian's PyTorch (apt-get install -y python3-torch), from the repository root:

    /usr/bin/python3 scripts/onnx-fixtures.py

For every case it writes `<case>.onnx` (torch.onnx.export, opset 14, dynamic batch and
time axes) and `<case>.json`: the input batch, the targets, PyTorch's logits, its mean
cross-entropy loss and, for every parameter, d(loss)/d(param) under PyTorch's own name
and shape. The tests (test/reference/onnx-*.test.ts) import the .onnx file into our
engine and compare against the .json without needing PyTorch.

Models (batch_first): tokens → nn.Embedding → nn.RNN|LSTM|GRU (1 or 2 layers) → nn.Linear
on every step (a language model); vectors → the recurrent layers → nn.Linear on the last
step (a classifier). PyTorch's GRU computes the candidate as tanh(W x + b_in +
r * (U h + b_hn)) (ONNX GRU linear_before_reset = 1; Keras reset_after = True).
"""
import json
import os
import sys

import torch
import torch.nn as nn

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'onnx')
B, T = 3, 5
V, E, H, D, C = 11, 8, 8, 6, 4


class Model(nn.Module):
    def __init__(self, cell, layers, tokens, vocab=V, embed=E, hidden=H, classes=C):
        super().__init__()
        self.tokens = tokens
        if tokens:
            self.embedding = nn.Embedding(vocab, embed)
            width, out = embed, vocab
        else:
            width, out = D, classes
        kind = {'rnn': nn.RNN, 'lstm': nn.LSTM, 'gru': nn.GRU}[cell]
        kw = {'nonlinearity': 'tanh'} if cell == 'rnn' else {}
        self.rnn = kind(width, hidden, num_layers=layers, batch_first=True, **kw)
        self.head = nn.Linear(hidden, out)

    def forward(self, x):
        h = self.embedding(x) if self.tokens else x
        y, _ = self.rnn(h)
        if self.tokens:
            return self.head(y)            # [B, T, V]
        return self.head(y[:, -1, :])      # [B, C]


def floats(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def write_case(name, model, x, y):
    model.eval()
    logits = model(x)
    rows = logits.reshape(-1, logits.shape[-1])
    loss = nn.functional.cross_entropy(rows, y.reshape(-1))
    model.zero_grad()
    loss.backward()
    grads = {n: {'shape': list(p.shape), 'data': floats(p.grad)} for n, p in model.named_parameters()}
    params = {n: {'shape': list(p.shape), 'data': floats(p)} for n, p in model.named_parameters()}
    dyn = {'x': {0: 'batch', 1: 'time'}, 'logits': {0: 'batch'} if not model.tokens else {0: 'batch', 1: 'time'}}
    path = os.path.join(OUT, name + '.onnx')
    torch.onnx.export(model, (x,), path, input_names=['x'], output_names=['logits'],
                      dynamic_axes=dyn, opset_version=14, do_constant_folding=True)
    meta = {
        'source': 'scripts/onnx-fixtures.py', 'torch': torch.__version__,
        'x': {'shape': list(x.shape), 'data': [int(v) for v in x.reshape(-1).tolist()] if model.tokens else floats(x)},
        'y': {'shape': list(y.shape), 'data': [int(v) for v in y.reshape(-1).tolist()]},
        'logits': {'shape': list(logits.shape), 'data': floats(logits)},
        'loss': float(loss), 'params': params, 'grads': grads,
    }
    with open(os.path.join(OUT, name + '.json'), 'w') as f:
        json.dump(meta, f, separators=(',', ':'))
    print(f'wrote {name}.onnx ({os.path.getsize(path)} bytes) and {name}.json')


def main():
    os.makedirs(OUT, exist_ok=True)
    seed = 100
    for cell in ['rnn', 'lstm', 'gru']:
        for layers in [1, 2]:
            for tokens in [True, False]:
                seed += 1
                torch.manual_seed(seed)
                model = Model(cell, layers, tokens)
                # Biases of order 1 so that their effect (and the GRU's b_hn inside the reset) shows.
                with torch.no_grad():
                    for n, p in model.rnn.named_parameters():
                        if n.startswith('bias'):
                            p.uniform_(-0.5, 0.5)
                if tokens:
                    x = torch.randint(0, V, (B, T))
                    y = torch.randint(0, V, (B, T))
                else:
                    x = torch.randn(B, T, D)
                    y = torch.randint(0, C, (B,))
                write_case(f'{cell}-{layers}-{"tokens" if tokens else "vectors"}', model, x, y)
    # The CLI round trip: a character LSTM over synthetic-lm's 17 symbols ('a'–'p', <unk>).
    torch.manual_seed(7)
    model = Model('lstm', 1, True, vocab=17, embed=16, hidden=16)
    x = torch.randint(0, 16, (2, 10))
    y = torch.randint(0, 16, (2, 10))
    write_case('lstm-synthetic-lm', model, x, y)


if __name__ == '__main__':
    sys.exit(main())
