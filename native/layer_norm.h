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

NEXTREC_VECTOR_CLONES
static void LayerNormForward(const float* __restrict x, const float* gamma, const float* beta, int64_t rows, int64_t dim,
                             double epsilon, float* __restrict out, float* __restrict y, float* __restrict r) {
  for (int64_t i = 0; i < rows; i++) {
    const float* __restrict xr = x + i * dim;
    float* __restrict yr = y + i * dim;
    double sum = 0;
    for (int64_t c = 0; c < dim; c++) sum += xr[c];
    const float mean = (float)(sum / (double)dim);
    double sq = 0;
    for (int64_t c = 0; c < dim; c++) {
      const float d = xr[c] - mean;
      yr[c] = d;
      sq += (double)d * d;
    }
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
    double s1 = 0, s2 = 0;
    for (int64_t c = 0; c < dim; c++) {
      const float v = gamma ? gr[c] * gamma[c] : gr[c];
      d[c] = v;
      s1 += v;
      s2 += (double)v * yr[c];
    }
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
