// The elementwise ends of the column-block dense layer of nextrec_native.cc (densePartsForward / Backward): the
// bias added to every row, and the bias gradient as column sums (float64 per column, rows streamed in order).
#pragma once
#include <cstdint>
#include <vector>

#include "batch_norm_act.h"  // NEXTREC_VECTOR_CLONES

namespace nextrec {

// y[r, :] += v for a row-major [rows, cols] y
NEXTREC_VECTOR_CLONES
static void AddRowVector(float* __restrict y, const float* __restrict v, int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; r++) {
    float* __restrict row = y + r * cols;
    for (int64_t c = 0; c < cols; c++) row[c] += v[c];
  }
}

// out[c] = sum over rows of x[r, c]
NEXTREC_VECTOR_CLONES
static void ColumnSums(const float* __restrict x, int64_t rows, int64_t cols, float* __restrict out) {
  std::vector<double> acc(cols, 0.0);
  double* __restrict a = acc.data();
  for (int64_t r = 0; r < rows; r++) {
    const float* __restrict row = x + r * cols;
    for (int64_t c = 0; c < cols; c++) a[c] += row[c];
  }
  for (int64_t c = 0; c < cols; c++) out[c] = (float)a[c];
}

}  // namespace nextrec
