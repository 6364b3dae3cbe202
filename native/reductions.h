// Sum (or mean, through `scale`) over the middle axis of a row-major [outer, reduce, inner] buffer: the native twin
// of sumLeadingAxis / sumMiddleAxis in src/basic/backend/wasm-fast-kernels.ts, with the same accumulation order and
// precision (float64 for outer == 1, float32 otherwise), so both give the same bits. Loops run along the contiguous
// inner axis.
#pragma once
#include <cstdint>
#include <vector>

#include "batch_norm_act.h"  // NEXTREC_VECTOR_CLONES

namespace nextrec {

NEXTREC_VECTOR_CLONES
static void SumAxis(const float* __restrict x, float* __restrict out, int64_t outer, int64_t reduce, int64_t inner, double scale) {
  if (outer == 1) {
    std::vector<double> acc(inner, 0.0);
    double* __restrict a = acc.data();
    for (int64_t r = 0; r < reduce; r++) {
      const float* __restrict xr = x + r * inner;
      for (int64_t i = 0; i < inner; i++) a[i] += xr[i];
    }
    for (int64_t i = 0; i < inner; i++) out[i] = (float)(a[i] * scale);
    return;
  }
  for (int64_t o = 0; o < outer; o++) {
    float* __restrict ob = out + o * inner;
    for (int64_t i = 0; i < inner; i++) ob[i] = 0.0f;
    for (int64_t r = 0; r < reduce; r++) {
      const float* __restrict xr = x + (o * reduce + r) * inner;
      for (int64_t i = 0; i < inner; i++) ob[i] += xr[i];
    }
    if (scale != 1.0) {
      for (int64_t i = 0; i < inner; i++) ob[i] = (float)((double)ob[i] * scale);
    }
  }
}

}  // namespace nextrec
