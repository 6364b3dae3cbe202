// Layer normalisation over the last axis of a row-major [rows, dim] buffer, forward and backward: the native twin of
// the LayerNorm custom op (src/basic/layers/layer-norm.ts), same formulas; row statistics and the gain / bias
// gradients accumulate in float64. gamma / beta may be absent (no affine part).
//   forward:  y = (x - mean) r, r = 1 / sqrt(var + eps), out = y gamma + beta
//   backward: d = g gamma, dx = r ((d - mean(d)) - y mean(d y)), dgamma = sum over rows of g y, dbeta = sum of g
#pragma once
#include <cmath>
#include <cstdint>
#include <vector>

#include "batch_norm_act.h"  // NEXTREC_VECTOR_CLONES

namespace nextrec {

// Row sums in 4 interleaved float64 partial sums: a single running sum is a chain of dependent adds the compiler
// may not reorder (4 cycles each), which made these rows of ~50 elements latency-bound.
constexpr int kRowLanes = 4;

template <typename F>
inline double RowSum(int64_t dim, F term) {
  double acc[kRowLanes] = {0, 0, 0, 0};
  int64_t c = 0;
  for (; c + kRowLanes <= dim; c += kRowLanes) {
    for (int k = 0; k < kRowLanes; k++) acc[k] += term(c + k);
  }
  double s = (acc[0] + acc[1]) + (acc[2] + acc[3]);
  for (; c < dim; c++) s += term(c);
  return s;
}

NEXTREC_VECTOR_CLONES
static void LayerNormForward(const float* __restrict x, const float* gamma, const float* beta, int64_t rows, int64_t dim,
                             double epsilon, float* __restrict out, float* __restrict y, float* __restrict r) {
  for (int64_t i = 0; i < rows; i++) {
    const float* __restrict xr = x + i * dim;
    float* __restrict yr = y + i * dim;
    const float mean = (float)(RowSum(dim, [&](int64_t c) { return (double)xr[c]; }) / (double)dim);
    for (int64_t c = 0; c < dim; c++) yr[c] = xr[c] - mean;
    const double sq = RowSum(dim, [&](int64_t c) { return (double)yr[c] * yr[c]; });
    const float rs = (float)(1.0 / std::sqrt(sq / (double)dim + epsilon));
    r[i] = rs;
    for (int64_t c = 0; c < dim; c++) yr[c] = yr[c] * rs;
    float* __restrict orow = out + i * dim;
    if (gamma) {
      for (int64_t c = 0; c < dim; c++) orow[c] = yr[c] * gamma[c] + beta[c];
    } else if (orow != yr) {
      for (int64_t c = 0; c < dim; c++) orow[c] = yr[c];
    }
  }
}

NEXTREC_VECTOR_CLONES
static void LayerNormBackward(const float* __restrict g, const float* __restrict y, const float* __restrict r, const float* gamma,
                              int64_t rows, int64_t dim, float* __restrict dx, float* dgamma, float* dbeta) {
  std::vector<double> dg(gamma ? dim : 0, 0.0), db(gamma ? dim : 0, 0.0);
  std::vector<float> scratch(dim);
  float* __restrict d = scratch.data();
  for (int64_t i = 0; i < rows; i++) {
    const float* __restrict gr = g + i * dim;
    const float* __restrict yr = y + i * dim;
    if (gamma) {
      for (int64_t c = 0; c < dim; c++) d[c] = gr[c] * gamma[c];
    } else {
      for (int64_t c = 0; c < dim; c++) d[c] = gr[c];
    }
    const double s1 = RowSum(dim, [&](int64_t c) { return (double)d[c]; });
    const double s2 = RowSum(dim, [&](int64_t c) { return (double)d[c] * yr[c]; });
    const float m1 = (float)(s1 / (double)dim), m2 = (float)(s2 / (double)dim);
    const float rs = r[i];
    float* __restrict xr = dx + i * dim;
    for (int64_t c = 0; c < dim; c++) xr[c] = rs * ((d[c] - m1) - yr[c] * m2);
    if (gamma) {
      double* __restrict a = dg.data();
      double* __restrict b = db.data();
      for (int64_t c = 0; c < dim; c++) {
        a[c] += (double)gr[c] * yr[c];
        b[c] += gr[c];
      }
    }
  }
  if (gamma) {
    for (int64_t c = 0; c < dim; c++) {
      dgamma[c] = (float)dg[c];
      dbeta[c] = (float)db[c];
    }
  }
}

}  // namespace nextrec
