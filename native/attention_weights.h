// The pointwise part of attention between its two products, on key-major scores [Lk, B, H, Lq] (row j = key j,
// columns (b, h, i) contiguous): the native twin of the elementwise ops of fusedAttention
// (src/basic/layers/fused-attention.ts), same operations in the same order, float32 arithmetic.
//   softmax (SASRec): z = scale s + bias + mask (additive), p = softmax over keys of z, w = p * dropout
//   silu (HSTU):      z = scale s + bias, w = silu(z) * mask * dropout
// and their backward passes. mask, bias and dropout broadcast to [Lk, B, H, Lq] through per-axis strides
// (0 along broadcast axes); bias and dropout may be absent. The softmax over keys is a reduction over rows, so
// every loop runs along the contiguous column axis with per-column accumulators.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "activations.h"  // Silu, SiluGrad
#include "batch_norm_act.h"  // NEXTREC_VECTOR_CLONES
#include "fast_exp.h"

namespace nextrec {

struct AttentionShape {
  int64_t lk, b, h, lq;
  // element strides over (j, b, h, i) of mask, bias, dropout; a null operand's strides are unused
  int64_t mask[4], bias[4], drop[4];
  int64_t cols() const { return b * h * lq; }
};

// Row of a broadcast operand over the Lq axis as a contiguous pointer: the operand itself when its stride is 1, else
// `scratch` filled with its one value (stride 0), or with `absent` when there is no operand. Keeps the inner loops
// branch-free and unit-stride so that they vectorise.
inline const float* RowOf(const float* base, const int64_t* st, int64_t j, int64_t bb, int64_t hh, int64_t lq, float absent,
                          float* scratch) {
  if (base && st[3] == 1) return base + j * st[0] + bb * st[1] + hh * st[2];
  const float v = base ? base[j * st[0] + bb * st[1] + hh * st[2]] : absent;
  for (int64_t i = 0; i < lq; i++) scratch[i] = v;
  return scratch;
}

// Calls f(first column, b, h) for each contiguous block of Lq columns of a row.
template <typename F>
inline void ForBlocks(const AttentionShape& s, F f) {
  for (int64_t bb = 0; bb < s.b; bb++) {
    for (int64_t hh = 0; hh < s.h; hh++) f((bb * s.h + hh) * s.lq, bb, hh);
  }
}

// softmax: gate = p; silu: gate = z. w = the attention weights.
NEXTREC_VECTOR_CLONES
static void AttentionWeightsForward(const float* __restrict sc, const float* mask, const float* bias, const float* drop,
                                    const AttentionShape& s, float scale, bool softmax, float* __restrict gate,
                                    float* __restrict w) {
  const int64_t cols = s.cols(), lq = s.lq;
  std::vector<float> scratch(3 * lq);
  float* sm = scratch.data();
  float* sb = sm + lq;
  float* sd = sb + lq;
  if (!softmax) {
    for (int64_t j = 0; j < s.lk; j++) {
      ForBlocks(s, [&](int64_t c0, int64_t bb, int64_t hh) {
        const float* __restrict sr = sc + j * cols + c0;
        float* __restrict zr = gate + j * cols + c0;
        float* __restrict wr = w + j * cols + c0;
        const float* __restrict mr = RowOf(mask, s.mask, j, bb, hh, lq, 1.0f, sm);
        const float* __restrict br = RowOf(bias, s.bias, j, bb, hh, lq, 0.0f, sb);
        const float* __restrict dr = RowOf(drop, s.drop, j, bb, hh, lq, 1.0f, sd);
        for (int64_t i = 0; i < lq; i++) {
          const float z = sr[i] * scale + br[i];
          zr[i] = z;
          wr[i] = (Silu(z) * mr[i]) * dr[i];
        }
      });
    }
    return;
  }
  std::vector<float> mx(cols, -INFINITY), sum(cols, 0.0f);
  float* __restrict m = mx.data();
  float* __restrict t = sum.data();
  for (int64_t j = 0; j < s.lk; j++) {
    ForBlocks(s, [&](int64_t c0, int64_t bb, int64_t hh) {
      const float* __restrict sr = sc + j * cols + c0;
      float* __restrict zr = gate + j * cols + c0;
      const float* __restrict mr = RowOf(mask, s.mask, j, bb, hh, lq, 0.0f, sm);
      const float* __restrict br = RowOf(bias, s.bias, j, bb, hh, lq, 0.0f, sb);
      float* __restrict mc = m + c0;
      for (int64_t i = 0; i < lq; i++) {
        const float z = (sr[i] * scale + br[i]) + mr[i];
        zr[i] = z;
        mc[i] = z > mc[i] ? z : mc[i];
      }
    });
  }
  for (int64_t j = 0; j < s.lk; j++) {
    float* __restrict zr = gate + j * cols;
    for (int64_t c = 0; c < cols; c++) {
      const float e = FastExp(zr[c] - m[c]);
      zr[c] = e;
      t[c] += e;
    }
  }
  for (int64_t j = 0; j < s.lk; j++) {
    ForBlocks(s, [&](int64_t c0, int64_t bb, int64_t hh) {
      float* __restrict pr = gate + j * cols + c0;
      float* __restrict wr = w + j * cols + c0;
      const float* __restrict dr = RowOf(drop, s.drop, j, bb, hh, lq, 1.0f, sd);
      const float* __restrict tc = t + c0;
      for (int64_t i = 0; i < lq; i++) {
        const float p = pr[i] / tc[i];
        pr[i] = p;
        wr[i] = p * dr[i];
      }
    });
  }
}

// Adds row d (Lq values of dz) into the bias gradient at its broadcast position (strides s.bias).
inline void AccumulateBias(float* dbias, const AttentionShape& s, int64_t j, int64_t bb, int64_t hh, const float* __restrict d) {
  float* __restrict db = dbias + j * s.bias[0] + bb * s.bias[1] + hh * s.bias[2];
  if (s.bias[3] == 1) {
    for (int64_t i = 0; i < s.lq; i++) db[i] += d[i];
  } else {
    float acc = 0;
    for (int64_t i = 0; i < s.lq; i++) acc += d[i];
    db[0] += acc;
  }
}

// outScale x dz of the forward above from dw = dL/dw (outScale: the scale of the scores), and, when dbias is given
// (biasSize elements, broadcast to the scores through s.bias), dL/dbias = dz summed over the broadcast axes.
NEXTREC_VECTOR_CLONES
static void AttentionWeightsBackward(const float* __restrict dw, const float* __restrict gate, const float* mask,
                                     const float* drop, const AttentionShape& s, float outScale, bool softmax,
                                     float* __restrict dz, float* dbias, int64_t biasSize) {
  const int64_t cols = s.cols(), lq = s.lq;
  if (dbias) std::memset(dbias, 0, sizeof(float) * biasSize);
  std::vector<float> row(lq);
  float* __restrict dr0 = row.data();
  std::vector<float> scratch(2 * lq);
  float* sm = scratch.data();
  float* sd = sm + lq;
  // dz of one block of a row from dL/dz in row (scaled back by the scores' scale), and its share of dbias
  auto emit = [&](float* __restrict out, int64_t j, int64_t bb, int64_t hh) {
    for (int64_t i = 0; i < lq; i++) out[i] = dr0[i] * outScale;
    if (dbias) AccumulateBias(dbias, s, j, bb, hh, dr0);
  };
  if (!softmax) {
    for (int64_t j = 0; j < s.lk; j++) {
      ForBlocks(s, [&](int64_t c0, int64_t bb, int64_t hh) {
        const float* __restrict gr = dw + j * cols + c0;
        const float* __restrict zr = gate + j * cols + c0;
        float* __restrict out = dz + j * cols + c0;
        const float* __restrict mr = RowOf(mask, s.mask, j, bb, hh, lq, 1.0f, sm);
        const float* __restrict dr = RowOf(drop, s.drop, j, bb, hh, lq, 1.0f, sd);
        for (int64_t i = 0; i < lq; i++) dr0[i] = ((gr[i] * dr[i]) * mr[i]) * SiluGrad(zr[i]);
        emit(out, j, bb, hh);
      });
    }
    return;
  }
  std::vector<float> dot(cols, 0.0f);
  float* __restrict t = dot.data();
  // first pass: dz <- dw * dropout, and the per-column sum of p * (dw * dropout)
  for (int64_t j = 0; j < s.lk; j++) {
    ForBlocks(s, [&](int64_t c0, int64_t bb, int64_t hh) {
      const float* __restrict gr = dw + j * cols + c0;
      const float* __restrict pr = gate + j * cols + c0;
      float* __restrict out = dz + j * cols + c0;
      const float* __restrict dr = RowOf(drop, s.drop, j, bb, hh, lq, 1.0f, sd);
      float* __restrict tc = t + c0;
      for (int64_t i = 0; i < lq; i++) {
        const float g = gr[i] * dr[i];
        out[i] = g;
        tc[i] += pr[i] * g;
      }
    });
  }
  for (int64_t j = 0; j < s.lk; j++) {
    ForBlocks(s, [&](int64_t c0, int64_t bb, int64_t hh) {
      const float* __restrict pr = gate + j * cols + c0;
      float* __restrict out = dz + j * cols + c0;
      const float* __restrict tc = t + c0;
      for (int64_t i = 0; i < lq; i++) dr0[i] = pr[i] * (out[i] - tc[i]);
      emit(out, j, bb, hh);
    });
  }
}

// The dropout multiplier of element i: 1 / keep where a counter-based hash of (i, key0, key1) falls below
// threshold = round(keep * 2^24) in its top 24 bits, else 0. Each element is hashed on its own (no generator state
// carried from one element to the next), so the loop vectorises; dropout-kernel.ts computes the same integers in
// JavaScript, so both engines draw the same mask.
static inline uint32_t Mix32(uint32_t x) {
  x ^= x >> 16;
  x *= 0x7feb352dU;
  x ^= x >> 15;
  x *= 0x846ca68bU;
  x ^= x >> 16;
  return x;
}

static void DropoutMultiplier(uint32_t key0, uint32_t key1, uint32_t threshold, float kept, int64_t n, float* __restrict out) {
  for (int64_t i = 0; i < n; i++) {
    const uint32_t h = Mix32(Mix32((uint32_t)i * 0x9e3779b9U + key0) ^ key1);
    out[i] = (h >> 8) < threshold ? kept : 0.0f;
  }
}

}  // namespace nextrec
