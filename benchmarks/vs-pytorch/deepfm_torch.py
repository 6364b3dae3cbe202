"""Plain PyTorch DeepFM / deep-only / DCNv2 on the CSV splits written by benchmarks/deepfm-reference.ts --csv DIR
(issue 13): the reference to compare nextrec-ts against, with the embedding optimizer as the variable.

  /usr/bin/python3 benchmarks/vs-pytorch/deepfm_torch.py DIR [--seeds 3] [--epochs 3]
      [--variants deepfm:adam:1,deepfm:sparseadam:1,deepfm:sparseadam:5,deep-only:adam:1,dcnv2:adam:1]

A variant is model:optimizer:k. optimizer 'adam': one torch.optim.Adam over every parameter, embeddings included
(dense gradients: rows absent from a batch get 0 and keep moving on momentum). 'sparseadam': embeddings with
sparse gradients under torch.optim.SparseAdam (rows move only when present) at k x lr, the rest under Adam.
Same settings as ours: 7 fields x dim 16 (normal init, std 0.01), first-order weights one scalar per id
(zero init) + bias, MLP [256, 128] with batch norm and ReLU, no dropout, lr 1e-3, batch 1024, 1 thread.
Needs Debian's python3-torch (run with /usr/bin/python3).
"""
import argparse
import csv
import json
import math
import os
import time

import numpy as np
import torch
from torch import nn

torch.set_num_threads(1)


def read(path):
    with open(path) as f:
        rows = list(csv.reader(f))
    header, body = rows[0], np.array(rows[1:], dtype=np.float64)
    return torch.tensor(body[:, :-1], dtype=torch.long), torch.tensor(body[:, -1], dtype=torch.float32), header[:-1]


class Net(nn.Module):
    def __init__(self, kind, vocabs, dim, sparse, init='torch'):
        super().__init__()
        self.kind = kind
        self.emb = nn.ModuleList(nn.Embedding(v, dim, sparse=sparse) for v in vocabs)
        for e in self.emb:
            nn.init.normal_(e.weight, std=0.01)
        width = dim * len(vocabs)
        if kind == 'deepfm':
            self.first = nn.ModuleList(nn.Embedding(v, 1, sparse=sparse) for v in vocabs)
            for e in self.first:
                nn.init.zeros_(e.weight)
            self.bias = nn.Parameter(torch.zeros(1))
        if kind == 'dcnv2':
            self.cross = nn.ModuleList(nn.Linear(width, width) for _ in range(3))
        layers, last = [], width
        for h in (256, 128):
            layers += [nn.Linear(last, h), nn.BatchNorm1d(h), nn.ReLU()]
            last = h
        layers.append(nn.Linear(last, 1))
        self.mlp = nn.Sequential(*layers)
        if init == 'glorot':  # what nextrec-ts' Dense layers use (tfjs' default), instead of PyTorch's
            for m in self.modules():
                if isinstance(m, nn.Linear):
                    nn.init.xavier_uniform_(m.weight)
                    nn.init.zeros_(m.bias)

    def embedding_params(self):
        return [p for n, p in self.named_parameters() if n.startswith('emb.') or n.startswith('first.')]

    def forward(self, x):
        e = torch.stack([emb(x[:, f]) for f, emb in enumerate(self.emb)], 1)  # [B, F, D]
        flat = e.flatten(1)
        if self.kind == 'dcnv2':
            x0, xl = flat, flat
            for layer in self.cross:
                xl = x0 * layer(xl) + xl
            return self.mlp(xl).squeeze(1)
        out = self.mlp(flat).squeeze(1)
        if self.kind == 'deepfm':
            s = e.sum(1)
            fm = 0.5 * (s * s - (e * e).sum(1)).sum(1)
            first = sum(w(x[:, f]).squeeze(1) for f, w in enumerate(self.first)) + self.bias
            out = out + fm + first
        return out


def auc(y, p):
    order = np.argsort(p, kind='mergesort')
    ranks = np.empty(len(p))
    ranks[order] = np.arange(1, len(p) + 1)
    pos = y == 1
    n1, n0 = pos.sum(), (~pos).sum()
    return (ranks[pos].sum() - n1 * (n1 + 1) / 2) / (n1 * n0)


def run(kind, optimizer, k, seed, data, vocabs, epochs, init='torch'):
    torch.manual_seed(seed)
    (xtr, ytr), (xte, yte) = data
    model = Net(kind, vocabs, 16, sparse=optimizer == 'sparseadam', init=init)
    if optimizer == 'adam':
        opts = [torch.optim.Adam(model.parameters(), lr=1e-3)]
    else:
        emb = model.embedding_params()
        ids = {id(p) for p in emb}
        opts = [torch.optim.SparseAdam(emb, lr=k * 1e-3), torch.optim.Adam([p for p in model.parameters() if id(p) not in ids], lr=1e-3)]
    loss_fn = nn.BCEWithLogitsLoss()
    t0 = time.time()
    for _ in range(epochs):
        model.train()
        perm = torch.randperm(len(ytr))
        for i in range(0, len(perm), 1024):
            b = perm[i:i + 1024]
            for o in opts:
                o.zero_grad()
            loss = loss_fn(model(xtr[b]), ytr[b])
            loss.backward()
            for o in opts:
                o.step()
    model.eval()
    with torch.no_grad():
        p = torch.sigmoid(torch.cat([model(xte[i:i + 8192]) for i in range(0, len(yte), 8192)])).numpy().astype(np.float64)
    y = yte.numpy()
    pc = np.clip(p, 1e-7, 1 - 1e-7)
    logloss = float(-np.mean(y * np.log(pc) + (1 - y) * np.log(1 - pc)))
    return float(auc(y, p)), logloss, time.time() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('dir')
    ap.add_argument('--seeds', type=int, default=3)
    ap.add_argument('--epochs', type=int, default=3)
    ap.add_argument('--init', default='torch', choices=['torch', 'glorot'], help="dense layers: PyTorch's default init or Glorot uniform + zero bias (ours)")
    ap.add_argument('--variants', default='deepfm:adam:1,deepfm:sparseadam:1,deepfm:sparseadam:5,deep-only:adam:1,dcnv2:adam:1')
    a = ap.parse_args()
    xtr, ytr, names = read(os.path.join(a.dir, 'train.csv'))
    xte, yte, _ = read(os.path.join(a.dir, 'test.csv'))
    vocab = json.load(open(os.path.join(a.dir, 'vocab.json')))
    vocabs = [vocab[n] for n in names]
    print(f'torch {torch.__version__}; init {a.init}; train {len(ytr)} rows, test {len(yte)}; fields {names}')
    summary = []
    for v in a.variants.split(','):
        kind, optimizer, k = v.split(':')
        res = []
        for seed in range(1, a.seeds + 1):
            r = run(kind, optimizer, float(k), seed, ((xtr, ytr), (xte, yte)), vocabs, a.epochs, a.init)
            res.append(r)
            print(f'{v} seed {seed}: test AUC {r[0]:.4f} logloss {r[1]:.4f} ({r[2]:.0f} s)', flush=True)
        aucs, lls = np.array([r[0] for r in res]), np.array([r[1] for r in res])
        sd = lambda x: x.std(ddof=1) if len(x) > 1 else 0.0
        summary.append(f'| torch {v} | {aucs.mean():.4f} ± {sd(aucs):.4f} | {lls.mean():.4f} ± {sd(lls):.4f} |')
    print('\n| variant | test AUC (mean ± sd) | test logloss |\n|---|---|---|')
    print('\n'.join(summary))


if __name__ == '__main__':
    main()
