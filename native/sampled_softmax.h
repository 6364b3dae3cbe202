// Sampled softmax cross-entropy per row with the true item's logit kept apart from the negatives' [rows, cols]:
// loss = logsumexp(pos, neg_1..neg_cols) - pos, the native twin of sampledSoftmaxRows (src/loss/listwise.ts)
// without materialising the concatenated [rows, 1 + cols] logits (a Concat forward, a Slice pair backward and a
// softmax over the whole block on the composed path). Float32 arithmetic; the forward keeps lse per row so the
// backward recomputes the probabilities with one exp each instead of keeping a [rows, 1 + cols] buffer alive.
#pragma once
#include <cmath>
#include <cstdint>

#include "batch_norm_act.h"  // NEXTREC_VECTOR_CLONES
#include "fast_exp.h"

namespace nextrec {

// Row maximum and sum of exp(n - m) in 8 interleaved partial results, so that the loops vectorise (a single running
// max or sum is a dependency chain the compiler may not reorder without -ffast-math).
constexpr int kLanes = 8;

inline float RowMax(const float* __restrict n, int64_t cols, float init) {
  float acc[kLanes];
  for (int k = 0; k < kLanes; k++) acc[k] = init;
  int64_t j = 0;
  for (; j + kLanes <= cols; j += kLanes) {
    for (int k = 0; k < kLanes; k++) acc[k] = n[j + k] > acc[k] ? n[j + k] : acc[k];
  }
  float m = init;
  for (int k = 0; k < kLanes; k++) m = acc[k] > m ? acc[k] : m;
  for (; j < cols; j++) m = n[j] > m ? n[j] : m;
  return m;
}

inline float RowExpSum(const float* __restrict n, int64_t cols, float m) {
  float acc[kLanes] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t j = 0;
  for (; j + kLanes <= cols; j += kLanes) {
    for (int k = 0; k < kLanes; k++) acc[k] += FastExp(n[j + k] - m);
  }
  float s = 0;
  for (int k = 0; k < kLanes; k++) s += acc[k];
  for (; j < cols; j++) s += FastExp(n[j] - m);
  return s;
}

NEXTREC_VECTOR_CLONES
static void SampledSoftmaxForward(const float* __restrict pos, const float* __restrict neg, int64_t rows, int64_t cols,
                                  float* __restrict loss, float* __restrict lse) {
  for (int64_t r = 0; r < rows; r++) {
    const float* n = neg + r * cols;
    const float m = RowMax(n, cols, pos[r]);
    const float s = FastExp(pos[r] - m) + RowExpSum(n, cols, m);
    lse[r] = m + std::log(s);
    loss[r] = lse[r] - pos[r];
  }
}

// dpos = (p_pos - 1) dy, dneg_j = p_j dy with p = exp(logit - lse)
NEXTREC_VECTOR_CLONES
static void SampledSoftmaxBackward(const float* __restrict dy, const float* __restrict pos, const float* __restrict neg,
                                   const float* __restrict lse, int64_t rows, int64_t cols, float* __restrict dpos,
                                   float* __restrict dneg) {
  for (int64_t r = 0; r < rows; r++) {
    const float* n = neg + r * cols;
    float* d = dneg + r * cols;
    const float g = dy[r], l = lse[r];
    for (int64_t j = 0; j < cols; j++) d[j] = FastExp(n[j] - l) * g;
    dpos[r] = (FastExp(pos[r] - l) - 1.0f) * g;
  }
}

}  // namespace nextrec
