// A float32 exp that vectorises, shared by the attention weights and the SiLU activation kernels.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>

namespace nextrec {

// exp(x) for float32 in plain arithmetic that vectorises (std::exp stays a scalar call without -ffast-math):
// 2^n e^r with n = round(x / ln 2), |r| <= ln 2 / 2 split off in two parts (Cody-Waite), e^r by its degree-7 Taylor
// polynomial (truncation error < 2e-9 relative), 2^n through the exponent bits. Within 2 float32 ulp of std::exp;
// 0 below -87.3 (where e^x is subnormal) so a -1e9 mask gives exact zeros as tfjs' Exp does.
inline float FastExp(float x) {
  const float hi = 88.0f, lo = -87.3365447505531f;  // 2^n stays a normal float
  const bool under = x < lo;
  x = x > hi ? hi : (x < lo ? lo : x);
  const float n = std::nearbyint(x * 1.44269504088896341f);
  const float r = (x - n * 0.693359375f) - n * -2.12194440e-4f;
  float p = 1.0f / 5040.0f;
  p = p * r + 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  int32_t bits = ((int32_t)n + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return under ? 0.0f : p * scale;
}

}  // namespace nextrec
