"""Independent reference for the group-wise ranking losses of nextrec-ts (src/loss/grouped.ts, issue 13).

Computes BPR, ListNet, ListMLE and ApproxNDCG with PyTorch autograd, one group at a time with plain Python loops
over the rows (no padded layout, no masks), on one batch that has every awkward case: groups of different sizes
(so the packed layout pads), a group of one row, a group without a positive, a group of positives only, and graded
labels with ties. Writes the loss values and their gradients w.r.t. the row scores as JSON;
test/ranking-group-losses.test.ts compares ours with them.

  /usr/bin/python3 benchmarks/vs-pytorch/grouped_losses.py > test/fixtures/grouped-losses-torch.json
(needs Debian's python3-torch; the JSON is committed so the test runs without PyTorch).

Definitions (per group; the batch loss is the mean described under each):
- bpr: softplus(s_j - s_i) over pairs with y_i > y_j; mean over all pairs of the batch.
- listnet: -sum_i (y_i / sum y) log softmax(s)_i; mean over groups weighted by sum y.
- listmle: rows stably sorted by label (descending; ties keep batch order), then for every position k whose label
  is above the group's lowest, log sum_{j >= k} exp(s_j) - s_k; mean over all such terms of the batch.
- approx_ndcg(T): 1 - sum_i (2^y_i - 1) / log2(1 + pi_i) / IDCG, pi_i = 1 + sum_{j != i} sigmoid((s_j - s_i) / T);
  mean over groups weighted by sum y (groups with IDCG 0 have weight 0).
"""
import json
import math

import torch

torch.set_default_dtype(torch.float64)

GROUPS = [7, 7, 7, 2, 2, 9, 9, 9, 9, 5, 4, 4, 4, 3, 3, 3, 3, 3, 1, 1]
LABELS = [1, 0, 0, 0, 1, 1, 0, 1, 0, 0, 0, 0, 0, 2, 1, 0, 1, 2, 1, 1]
SCORES = [0.3, -0.2, 0.8, 1.1, -0.5, 0.1, 0.4, -0.9, 0.2, 0.6, 0.05, -0.3, 0.7, -0.4, 0.9, 0.35, -0.15, 0.5, 0.25, -0.6]
TEMPERATURE = 0.5


def groups():
    order = []
    members = {}
    for r, g in enumerate(GROUPS):
        if g not in members:
            members[g] = []
            order.append(g)
        members[g].append(r)
    return [members[g] for g in order]


def bpr(s, y):
    terms = [torch.nn.functional.softplus(s[j] - s[i]) for rows in groups() for i in rows for j in rows if y[i] > y[j]]
    return torch.stack(terms).mean()


def listnet(s, y):
    weighted, mass = 0, 0
    for rows in groups():
        total = sum(y[r] for r in rows)
        if total == 0:
            continue
        lse = torch.logsumexp(torch.stack([s[r] for r in rows]), 0)
        weighted = weighted + total * -sum((y[r] / total) * (s[r] - lse) for r in rows)
        mass += total
    return weighted / mass


def listmle(s, y):
    terms = []
    for rows in groups():
        ordered = sorted(rows, key=lambda r: -y[r])  # stable: ties keep batch order
        lowest = min(y[r] for r in rows)
        for k, r in enumerate(ordered):
            if y[r] > lowest:
                terms.append(torch.logsumexp(torch.stack([s[q] for q in ordered[k:]]), 0) - s[r])
    return torch.stack(terms).mean()


def approx_ndcg(s, y):
    weighted, mass = 0, 0
    for rows in groups():
        gains = sorted((2.0 ** y[r] - 1 for r in rows), reverse=True)
        ideal = sum(g / math.log2(k + 2) for k, g in enumerate(gains))
        if ideal == 0:
            continue
        dcg = 0
        for i in rows:
            rank = 1 + sum(torch.sigmoid((s[j] - s[i]) / TEMPERATURE) for j in rows if j != i)
            dcg = dcg + (2.0 ** y[i] - 1) / (torch.log(1 + rank) / math.log(2))
        total = sum(y[r] for r in rows)
        weighted = weighted + total * (1 - dcg / ideal)
        mass += total
    return weighted / mass


def main():
    out = {"groups": GROUPS, "labels": LABELS, "scores": SCORES, "temperature": TEMPERATURE, "losses": {}}
    for name, fn in [("bpr", bpr), ("listnet", listnet), ("listmle", listmle), ("approx_ndcg", approx_ndcg)]:
        s = torch.tensor(SCORES, requires_grad=True)
        value = fn(s, LABELS)
        value.backward()
        out["losses"][name] = {"value": value.item(), "grad": s.grad.tolist()}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
