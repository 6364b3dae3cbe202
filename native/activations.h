// SiLU (x sigmoid(x)) forward and backward over a flat buffer: the native twin of the composed
// tf.mul(x, tf.sigmoid(x)) of src/basic/layers/activation.ts, as one kernel each way instead of 2 forward and ~6
// backward (HSTU applies it to every block of its f1 projection). The backward recomputes sigmoid(x) from x rather
// than keeping a second activation-sized buffer alive for the whole backward pass.
#pragma once
#include <cstdint>

#include "batch_norm_act.h"  // NEXTREC_VECTOR_CLONES
#include "fast_exp.h"

namespace nextrec {

inline float Sigmoid(float z) { return 1.0f / (1.0f + FastExp(-z)); }

inline float Silu(float z) { return z * Sigmoid(z); }

// silu'(z) = sigmoid(z) + silu(z) (1 - sigmoid(z))
inline float SiluGrad(float z) {
  const float sig = Sigmoid(z);
  const float act = z * sig;
  return sig + (act - act * sig);
}

// y = x sigmoid(x)
NEXTREC_VECTOR_CLONES
static void SiluForward(const float* __restrict x, int64_t n, float* __restrict y) {
  for (int64_t i = 0; i < n; i++) y[i] = Silu(x[i]);
}

// dx = dy silu'(x)
NEXTREC_VECTOR_CLONES
static void SiluBackward(const float* __restrict dy, const float* __restrict x, int64_t n, float* __restrict dx) {
  for (int64_t i = 0; i < n; i++) dx[i] = dy[i] * SiluGrad(x[i]);
}

}  // namespace nextrec
