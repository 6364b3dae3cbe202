"""Step-by-step reference for the row-sparse Adam of nextrec-ts (issue 13).

Trains one tiny embedding table (6 rows x 3, row 0 = padding) with PyTorch's dense Adam (nn.Embedding, dense
gradient: rows absent from a batch get a zero gradient and keep moving on momentum) and with SparseAdam
(nn.Embedding(sparse=True): only rows present in a batch move, duplicate ids summed by coalescing), feeding
the same batches and per-occurrence gradients to both, and writes the weights after every step as JSON.
test/sparse-adam-vs-pytorch.test.ts feeds the same gradients to our tables and compares every row.

  /usr/bin/python3 benchmarks/vs-pytorch/sparse_adam_steps.py > test/fixtures/sparse-adam-torch.json
(needs Debian's python3-torch; the JSON is committed so the test runs without PyTorch).
"""
import json
import math

import torch

ROWS, DIM, LR, BETAS, EPS = 6, 3, 0.05, (0.9, 0.999), 1e-8
# duplicates within a batch, rows absent for several steps, a row (5) first seen late, row 0 never used
BATCHES = [
    [1, 2, 2, 3], [1, 1, 4], [3], [2, 4, 4, 4], [1], [5, 1], [3, 2], [1], [1], [4, 5, 5],
    [1], [2], [1], [1], [3, 1], [1], [1], [1], [1], [2, 2],
] + [[1]] * 30 + [[2, 3, 4, 5]]


def coefficients(n):
    """Gradient of the loss w.r.t. each looked-up row (loss = sum(coef * rows)), deterministic."""
    return [[math.sin(0.7 * (p * DIM + j) + 0.3 * n) + 0.1 * (((p * DIM + j) % 5) - 2) for j in range(DIM)] for p in range(n)]


def run(sparse):
    torch.manual_seed(0)
    emb = torch.nn.Embedding(ROWS, DIM, sparse=sparse)
    with torch.no_grad():
        emb.weight.copy_(torch.tensor(INIT))
    opt = (torch.optim.SparseAdam if sparse else torch.optim.Adam)(emb.parameters(), lr=LR, betas=BETAS, eps=EPS)
    history = []
    for step, ids in enumerate(BATCHES):
        opt.zero_grad()
        coef = torch.tensor(coefficients(len(ids)), dtype=torch.float32)
        loss = (emb(torch.tensor(ids)) * coef).sum()
        loss.backward()
        opt.step()
        history.append(emb.weight.detach().numpy().astype(float).tolist())
    return history


g = torch.Generator().manual_seed(3)
INIT = (0.1 * torch.randn(ROWS, DIM, generator=g)).tolist()
INIT[0] = [0.0] * DIM
print(json.dumps({
    "torch": torch.__version__,
    "rows": ROWS, "dim": DIM, "lr": LR, "beta1": BETAS[0], "beta2": BETAS[1], "epsilon": EPS,
    "init": INIT,
    "batches": BATCHES,
    "coefficients": [coefficients(len(b)) for b in BATCHES],
    "adam": run(False),
    "sparseAdam": run(True),
}))
