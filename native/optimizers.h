// Dense optimizer updates: the native twin of adamUpdate in src/basic/backend/optimizer-kernels.ts. That loop rounds
// every intermediate to float32 (Math.fround) to follow tfjs' own chain of float32 kernels; here every operation is
// a float32 operation (SSE/AVX arithmetic, no FMA contraction: binding.gyp sets -ffp-contract=off; correctly
// rounded sqrtf), so the two give the same bits.
#pragma once
#include <cmath>
#include <cstdint>

#include "batch_norm_act.h"  // NEXTREC_VECTOR_CLONES

namespace nextrec {

// The step's constants, each already rounded to float32 by the caller as the JavaScript kernel rounds them.
struct AdamStep {
  float beta1, oneMinusBeta1, beta2, oneMinusBeta2, correction1, correction2, epsilon, negLr;
};

// m' = b1 m + (1-b1) g, v' = b2 v + (1-b2) g^2, w' = w - lr (m'/c1) / (sqrt(v'/c2) + eps)
NEXTREC_VECTOR_CLONES
static void AdamUpdate(const float* __restrict w, const float* __restrict g, const float* __restrict m,
                       const float* __restrict v, int64_t n, AdamStep s, float* __restrict wOut,
                       float* __restrict mOut, float* __restrict vOut) {
  const float b1 = s.beta1, ob1 = s.oneMinusBeta1, b2 = s.beta2, ob2 = s.oneMinusBeta2, c1 = s.correction1,
              c2 = s.correction2, eps = s.epsilon, negLr = s.negLr;
  for (int64_t i = 0; i < n; i++) {
    const float gi = g[i];
    const float mi = m[i] * b1 + gi * ob1;
    const float vi = v[i] * b2 + (gi * gi) * ob2;
    mOut[i] = mi;
    vOut[i] = vi;
    wOut[i] = w[i] + ((mi / c1) / (std::sqrt(vi / c2) + eps)) * negLr;
  }
}

}  // namespace nextrec
