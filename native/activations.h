// SiLU (x sigmoid(x)) forward and backward over a flat buffer: the native twin of the composed
// tf.mul(x, tf.sigmoid(x)) of src/basic/layers/activation.ts, as one kernel each way instead of 2 forward and ~6
// backward (HSTU applies it to every block of its f1 projection). The backward recomputes sigmoid(x) from x rather
// than keeping a second activation-sized buffer alive for the whole backward pass.
#pragma once
#include <cstdint>

#include "batch_norm_act.h"  // NEXTREC_VECTOR_CLONES
#include "fast_exp.h"

namespace nextrec {

// y = x sigmoid(x)
NEXTREC_VECTOR_CLONES
static void SiluForward(const float* __restrict x, int64_t n, float* __restrict y) {
  for (int64_t i = 0; i < n; i++) {
    const float sig = 1.0f / (1.0f + FastExp(-x[i]));
    y[i] = x[i] * sig;
  }
}

// dx = dy silu'(x), silu'(x) = sigmoid(x) + silu(x) (1 - sigmoid(x))
NEXTREC_VECTOR_CLONES
static void SiluBackward(const float* __restrict dy, const float* __restrict x, int64_t n, float* __restrict dx) {
  for (int64_t i = 0; i < n; i++) {
    const float sig = 1.0f / (1.0f + FastExp(-x[i]));
    const float y = x[i] * sig;
    dx[i] = dy[i] * (sig + y * (1.0f - sig));
  }
}

}  // namespace nextrec
