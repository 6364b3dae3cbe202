"""PyTorch side of the step-by-step speed comparison (issue 12): one training step per request.

  /usr/bin/python3 benchmarks/vs-pytorch/torch_step_server.py --model deepfm|dcnv2|sasrec|hstu [--len 50] [--seed 1]

Protocol (line based, driven by benchmarks/vs-pytorch/driver.ts): on start it prints
  ready {"torch": ..., "model": ..., "params": ...}
then for every input line 'step' it runs one training step on the next synthetic batch and prints
  ms WALL_MS CPU_MS LOSS
and exits on 'quit' or end of input. Errors are printed as 'error MESSAGE' before exiting with status 1.

The models are written here from the papers, with the same shapes, options and optimizer as nextrec-ts' own
(src/models/ranking/deepfm.ts, dcnv2.ts, src/models/generative/sasrec.ts, hstu.ts), batch-first as is usual in
PyTorch. Embedding tables are plain nn.Embedding under the same torch.optim.Adam as every other parameter (dense
gradients), which is what NextRec does. One intra-op and one inter-op thread.
Needs Debian's python3-torch (apt-get install -y python3-torch; run it with /usr/bin/python3).
"""
import argparse
import json
import math
import os
import sys
import time

try:
    import torch
    from torch import nn
    import torch.nn.functional as F
except ImportError as e:  # the driver checks this first; keep the message useful when run by hand
    print(f'error PyTorch is not importable from {sys.executable} ({e}); install it with: apt-get install -y python3-torch', flush=True)
    sys.exit(1)

torch.set_num_threads(1)
torch.set_num_interop_threads(1)

# MovieLens-1M cardinalities (+1 for the padding id 0) of user, movie, gender, age, occupation, zip prefix, genre,
# as in benchmarks/throughput.ts scenario (a)
ML1M_VOCABS = [6041, 3953, 3, 8, 22, 679, 19]
ITEMS = 3706  # ML-1M movies
RANK_BATCH = 1024
SEQ_BATCH = 128
SEQ_DIM = 50
NEGATIVES = 128
TEMPERATURE = 0.05
POOL = 4  # synthetic batches cycled through, so that consecutive steps do not see identical inputs


def mlp(width, dims=(256, 128)):
    layers, last = [], width
    for h in dims:
        layers += [nn.Linear(last, h), nn.BatchNorm1d(h), nn.ReLU()]
        last = h
    return nn.Sequential(*layers), last


class DeepFM(nn.Module):
    """y = w_0 + sum_i w_{id_i} + sum_{i<j} <e_i, e_j> + MLP([e_1; ...; e_F])."""

    def __init__(self, vocabs, dim=16):
        super().__init__()
        self.emb = nn.ModuleList(nn.Embedding(v, dim) for v in vocabs)
        self.first = nn.ModuleList(nn.Embedding(v, 1) for v in vocabs)
        self.bias = nn.Parameter(torch.zeros(1))
        self.deep, last = mlp(dim * len(vocabs))
        self.out = nn.Linear(last, 1)

    def forward(self, x):
        e = torch.stack([emb(x[:, f]) for f, emb in enumerate(self.emb)], 1)  # [B, F, D]
        s = e.sum(1)
        fm = 0.5 * (s * s - (e * e).sum(1)).sum(1, keepdim=True)
        first = torch.cat([w(x[:, f]) for f, w in enumerate(self.first)], 1).sum(1, keepdim=True) + self.bias
        return self.out(self.deep(e.flatten(1))) + fm + first


class DCNv2(nn.Module):
    """Parallel DCN-V2: y = w^T [Cross(x_0); MLP(x_0)], cross x_{l+1} = x_0 * (W_l x_l + b_l) + x_l (full rank)."""

    def __init__(self, vocabs, dim=16, layers=3):
        super().__init__()
        self.emb = nn.ModuleList(nn.Embedding(v, dim) for v in vocabs)
        width = dim * len(vocabs)
        self.cross = nn.ModuleList(nn.Linear(width, width) for _ in range(layers))
        self.deep, last = mlp(width)
        self.head = nn.Linear(width + last, 1)

    def forward(self, x):
        x0 = torch.cat([emb(x[:, f]) for f, emb in enumerate(self.emb)], 1)
        xl = x0
        for layer in self.cross:
            xl = x0 * layer(xl) + xl
        return self.head(torch.cat([xl, self.deep(x0)], 1))


def l2n(x):
    return x * torch.rsqrt((x * x).sum(-1, keepdim=True) + 1e-12)


def unit_rms(x):
    return l2n(x) * math.sqrt(x.shape[-1])


class SASRecBlock(nn.Module):
    def __init__(self, dim, dropout):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.qkv, self.proj = nn.Linear(dim, 3 * dim), nn.Linear(dim, dim)
        self.ffn1, self.ffn2 = nn.Linear(dim, dim), nn.Linear(dim, dim)
        self.drop = nn.Dropout(dropout)

    def forward(self, x, mask):  # x [B, L, D]; mask [L, L] additive (causal)
        q, k, v = self.qkv(self.ln1(x)).chunk(3, -1)
        scores = q @ k.transpose(1, 2) / math.sqrt(x.shape[-1]) + mask
        att = self.drop(torch.softmax(scores, -1)) @ v
        x1 = x + self.drop(self.proj(att))
        return x1 + self.drop(self.ffn2(self.drop(F.relu(self.ffn1(self.ln2(x1))))))


class HSTULayer(nn.Module):
    """U, V, Q, K = Split(SiLU(f1(Norm(X)))); A = SiLU(Q K^T + rab) / n; Y = X + f2(Dropout(Norm(A V) * U))."""

    def __init__(self, dim, dropout, buckets=64):
        super().__init__()
        self.norm_in, self.norm_out = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.f1, self.f2 = nn.Linear(dim, 4 * dim), nn.Linear(dim, dim)
        self.rab = nn.Parameter(torch.zeros(buckets))
        self.drop = nn.Dropout(dropout)

    def forward(self, x, weights, bucket):  # weights [L, L]: causal 1/visible; bucket [L, L] relative-position bucket ids
        u, v, q, k = F.silu(self.f1(self.norm_in(x))).chunk(4, -1)
        a = F.silu(q @ k.transpose(1, 2) + self.rab[bucket]) * weights
        return x + self.f2(self.drop(self.norm_out(a @ v) * u))


class NextItem(nn.Module):
    """SASRec / HSTU next-item training: sampled softmax over cosine similarities / temperature, shared negatives."""

    def __init__(self, kind, L, dim=SEQ_DIM, blocks=2, dropout=0.2):
        super().__init__()
        self.kind = kind
        self.items = nn.Embedding(ITEMS + 1, dim, padding_idx=0)
        self.drop = nn.Dropout(dropout)
        if kind == 'sasrec':
            self.positions = nn.Parameter(torch.randn(L, dim) * 0.01)
            self.layers = nn.ModuleList(SASRecBlock(dim, dropout) for _ in range(blocks))
        else:
            self.layers = nn.ModuleList(HSTULayer(dim, dropout) for _ in range(blocks))
        self.norm = nn.LayerNorm(dim)
        causal = torch.tril(torch.ones(L, L))
        self.register_buffer('mask', torch.zeros(L, L).masked_fill(causal == 0, -1e9))
        self.register_buffer('weights', causal / causal.sum(1, keepdim=True))
        dist = (torch.arange(L)[:, None] - torch.arange(L)[None, :]).clamp(min=0).float()
        self.register_buffer('bucket', torch.clamp((torch.log2(dist + 1) * 6).long(), max=63))

    def forward(self, ids, negatives):
        e = self.items(ids)  # [B, L, D]
        x = unit_rms(e)
        if self.kind == 'sasrec':
            x = x + self.positions
        x = self.drop(x)
        for layer in self.layers:
            x = layer(x, self.mask) if self.kind == 'sasrec' else layer(x, self.weights, self.bucket)
        out = self.norm(x)
        D = e.shape[-1]
        o = l2n(out[:, :-1].reshape(-1, D))
        target = ids[:, 1:].reshape(-1)
        pos = (o * l2n(e[:, 1:].reshape(-1, D))).sum(-1) / TEMPERATURE
        neg = o @ l2n(self.items(negatives)).t() / TEMPERATURE
        neg = neg.masked_fill(target[:, None] == negatives[None, :], -1e4)
        loss = torch.logsumexp(torch.cat([pos[:, None], neg], 1), 1) - pos
        valid = (target != 0).float()
        return (loss * valid).sum() / valid.sum().clamp(min=1)


def build(model, L, seed):
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    if model in ('deepfm', 'dcnv2'):
        net = (DeepFM if model == 'deepfm' else DCNv2)(ML1M_VOCABS)
        # skewed ids as in benchmarks/throughput.ts: most traffic on a small head of each vocabulary
        xs = [torch.stack([1 + (torch.rand(RANK_BATCH, generator=g) ** 3 * (v - 1)).long() for v in ML1M_VOCABS], 1) for _ in range(POOL)]
        ys = [(torch.rand(RANK_BATCH, 1, generator=g) < 0.3).float() for _ in range(POOL)]
        loss_fn = nn.BCEWithLogitsLoss()

        def step_loss(i):
            return loss_fn(net(xs[i % POOL]), ys[i % POOL])
    else:
        net = NextItem(model, L)
        seqs = [torch.randint(1, ITEMS + 1, (SEQ_BATCH, L), generator=g) for _ in range(POOL)]

        def step_loss(i):
            negatives = torch.randint(1, ITEMS + 1, (NEGATIVES,))  # fresh uniform draw every step, as ours
            return net(seqs[i % POOL], negatives)
    return net, step_loss


def blas_libraries():
    """BLAS / LAPACK / oneDNN libraries mapped into this process. Debian's torch calls whatever libblas.so.3 the
    alternatives system points to: reference BLAS (libblas3, a few GFLOP/s) unless OpenBLAS is installed."""
    torch.mm(torch.ones(64, 64), torch.ones(64, 64))
    try:
        with open('/proc/self/maps') as f:
            paths = {line.split()[-1] for line in f if '/' in line}
    except OSError:
        return []
    keys = ('blas', 'lapack', 'mkl', 'dnnl')
    return sorted(os.path.realpath(p) for p in paths if any(k in os.path.basename(p).lower() for k in keys))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--model', required=True, choices=['deepfm', 'dcnv2', 'sasrec', 'hstu'])
    ap.add_argument('--len', type=int, default=50, help='sequence length (sasrec, hstu)')
    ap.add_argument('--seed', type=int, default=1)
    a = ap.parse_args()
    net, step_loss = build(a.model, a.len, a.seed)
    net.train()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    params = sum(p.numel() for p in net.parameters())
    print('ready ' + json.dumps({'torch': torch.__version__, 'model': a.model, 'len': a.len, 'params': params, 'threads': torch.get_num_threads(),
                                 'interopThreads': torch.get_num_interop_threads(), 'blas': blas_libraries(),
                                 'openblasCoretype': os.environ.get('OPENBLAS_CORETYPE')}), flush=True)
    i = 0
    for line in sys.stdin:
        cmd = line.strip()
        if cmd == 'quit':
            break
        if cmd != 'step':
            print(f'error unknown request {cmd!r} (expected step or quit)', flush=True)
            sys.exit(1)
        c0, t0 = time.process_time(), time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = step_loss(i)
        loss.backward()
        opt.step()
        value = loss.item()
        t1, c1 = time.perf_counter(), time.process_time()
        i += 1
        print(f'ms {(t1 - t0) * 1e3:.4f} {(c1 - c0) * 1e3:.4f} {value:.6f}', flush=True)


if __name__ == '__main__':
    try:
        main()
    except Exception as e:  # noqa: BLE001 - reported to the driver on the protocol channel
        print(f'error {type(e).__name__}: {e}', flush=True)
        sys.exit(1)
