// nextrec-ts optional native kernels: a row-major sgemm with a bias + activation epilogue, the training batch
// norm + activation forward and backward (batch_norm_act.h) and the dense Adam update (optimizers.h), working in
// place on Float32Array views of the tfjs
// wasm heap (no copies). Built at install when oneDNN or OpenBLAS is present; the TypeScript adapter
// (src/basic/backend/native.ts) registers them over the wasm kernels.
#include <node_api.h>
#include <dlfcn.h>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "activations.h"
#include "attention_weights.h"
#include "batch_norm_act.h"
#include "dense_parts.h"
#include "layer_norm.h"
#include "optimizers.h"
#include "reductions.h"
#include "sampled_softmax.h"

#if defined(NEXTREC_USE_DNNL)
#include <oneapi/dnnl/dnnl.h>
#elif defined(NEXTREC_USE_OPENBLAS)
// declared here rather than through cblas.h, whose location differs between distributions
extern "C" {
enum { NEXTREC_CBLAS_ROW_MAJOR = 101, NEXTREC_CBLAS_NO_TRANS = 111, NEXTREC_CBLAS_TRANS = 112 };
void cblas_sgemm(int order, int transA, int transB, int m, int n, int k, float alpha, const float* a, int lda,
                 const float* b, int ldb, float beta, float* c, int ldc);
void openblas_set_num_threads(int n);
char* openblas_get_config(void);
char* openblas_get_corename(void);
}
#else
#error "define NEXTREC_USE_DNNL or NEXTREC_USE_OPENBLAS (native/detect.js chooses)"
#endif

#if defined(__unix__) || defined(__APPLE__)
#include <pthread.h>
#include <signal.h>
#define NEXTREC_POSIX_SIGNALS 1
#endif

namespace {

// Holds back asynchronous signals on this thread for the lifetime of the guard; they are delivered when it ends.
// Debian's oneDNN 2.6 sgemm corrupts the heap when a signal handler runs on the calling thread during the call
// (reproduced without Node: a 20-line C++ loop over dnnl_sgemm with a SIGPROF timer aborts in malloc; with the
// signals held back it runs clean), and Node's CPU profiler (--cpu-prof, the inspector) samples the main thread
// with SIGPROF. Two syscalls per product, negligible beside it. Fault signals stay unblocked.
class SignalHold {
 public:
  SignalHold() {
#if defined(NEXTREC_POSIX_SIGNALS)
    sigset_t hold;
    sigfillset(&hold);
    for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGABRT}) sigdelset(&hold, sig);
    active_ = pthread_sigmask(SIG_BLOCK, &hold, &previous_) == 0;
#endif
  }
  ~SignalHold() {
#if defined(NEXTREC_POSIX_SIGNALS)
    if (active_) pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
#endif
  }
  SignalHold(const SignalHold&) = delete;
  SignalHold& operator=(const SignalHold&) = delete;

 private:
#if defined(NEXTREC_POSIX_SIGNALS)
  sigset_t previous_;
  bool active_ = false;
#endif
};

// Activation codes shared with native.ts (ACTIVATION_CODES).
enum Activation { kLinear = 0, kRelu = 1, kRelu6 = 2, kSigmoid = 3, kElu = 4, kLeakyRelu = 5 };

// C[m x n] = op(A)[m x k] * op(B)[k x n], row-major with leading dimensions lda, ldb, ldc (elements between rows).
// beta = 1 adds the product to C instead of overwriting it.
bool GemmLd(bool transA, bool transB, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b,
            int64_t ldb, float* c, int64_t ldc, float beta = 0.0f) {
  if (k == 0) {
    if (beta == 0.0f) for (int64_t i = 0; i < m; i++) std::memset(c + i * ldc, 0, sizeof(float) * n);
    return true;
  }
#if defined(NEXTREC_USE_DNNL)
  return dnnl_sgemm(transA ? 'T' : 'N', transB ? 'T' : 'N', m, n, k, 1.0f, a, lda, b, ldb, beta, c, ldc) == dnnl_success;
#else
  cblas_sgemm(NEXTREC_CBLAS_ROW_MAJOR, transA ? NEXTREC_CBLAS_TRANS : NEXTREC_CBLAS_NO_TRANS,
              transB ? NEXTREC_CBLAS_TRANS : NEXTREC_CBLAS_NO_TRANS, (int)m, (int)n, (int)k, 1.0f, a, (int)lda, b,
              (int)ldb, beta, c, (int)ldc);
  return true;
#endif
}

// C[m x n] = op(A)[m x k] * op(B)[k x n], all row-major and contiguous.
bool Gemm(bool transA, bool transB, int64_t m, int64_t n, int64_t k, const float* a, const float* b, float* c) {
  return GemmLd(transA, transB, m, n, k, a, transA ? m : k, b, transB ? k : n, c, n);
}

inline float Activate(float x, int act, float alpha) {
  switch (act) {
    case kRelu: return x > 0.0f ? x : 0.0f;
    case kRelu6: return x < 0.0f ? 0.0f : (x > 6.0f ? 6.0f : x);
    case kSigmoid: return 1.0f / (1.0f + std::exp(-x));
    case kElu: return x > 0.0f ? x : std::expm1(x);
    case kLeakyRelu: return x < 0.0f ? alpha * x : x;
    default: return x;
  }
}

napi_value Throw(napi_env env, const std::string& message) {
  napi_throw_error(env, nullptr, ("nextrec native: " + message).c_str());
  return nullptr;
}

bool Floats(napi_env env, napi_value v, float** data, size_t* length) {
  bool is_typed = false;
  if (napi_is_typedarray(env, v, &is_typed) != napi_ok || !is_typed) return false;
  napi_typedarray_type type;
  void* raw = nullptr;
  if (napi_get_typedarray_info(env, v, &type, length, &raw, nullptr, nullptr) != napi_ok) return false;
  if (type != napi_float32_array) return false;
  *data = static_cast<float*>(raw);
  return true;
}

bool Int(napi_env env, napi_value v, int64_t* out) { return napi_get_value_int64(env, v, out) == napi_ok; }

// sgemm(a, b, c, batch, m, n, k, transA, transB, strideA, strideB,
//       bias | null, biasStrideBatch, biasStrideRow, biasStrideCol, activation, leakyAlpha)
// a, b, c: Float32Array views; strideA/strideB: elements between batch items (0 broadcasts one matrix).
// The bias element added to c[p][i][j] is bias[p*sb + i*sr + j*sc] (strides 0 broadcast).
napi_value Sgemm(napi_env env, napi_callback_info info) {
  size_t argc = 17;
  napi_value argv[17];
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc != 17) {
    return Throw(env, "sgemm: expected 17 arguments");
  }
  float *a, *b, *c, *bias = nullptr;
  size_t na, nb, nc, nbias = 0;
  if (!Floats(env, argv[0], &a, &na) || !Floats(env, argv[1], &b, &nb) || !Floats(env, argv[2], &c, &nc)) {
    return Throw(env, "sgemm: a, b and c must be Float32Arrays");
  }
  int64_t batch, m, n, k, strideA, strideB, sb = 0, sr = 0, sc = 0, act;
  bool ta = false, tb = false;
  if (!Int(env, argv[3], &batch) || !Int(env, argv[4], &m) || !Int(env, argv[5], &n) || !Int(env, argv[6], &k) ||
      napi_get_value_bool(env, argv[7], &ta) != napi_ok || napi_get_value_bool(env, argv[8], &tb) != napi_ok ||
      !Int(env, argv[9], &strideA) || !Int(env, argv[10], &strideB) || !Int(env, argv[15], &act)) {
    return Throw(env, "sgemm: bad size, transpose or activation argument");
  }
  napi_valuetype bias_type;
  napi_typeof(env, argv[11], &bias_type);
  if (bias_type != napi_null && bias_type != napi_undefined) {
    if (!Floats(env, argv[11], &bias, &nbias) || !Int(env, argv[12], &sb) || !Int(env, argv[13], &sr) ||
        !Int(env, argv[14], &sc)) {
      return Throw(env, "sgemm: bias must be a Float32Array with integer strides");
    }
  }
  double alpha = 0;
  napi_get_value_double(env, argv[16], &alpha);
  if (batch < 0 || m < 0 || n < 0 || k < 0 || strideA < 0 || strideB < 0) return Throw(env, "sgemm: negative size");
  // bounds: a kernel bug must raise here, never write outside the views into the wasm heap
  auto fits = [](int64_t stride, int64_t count, int64_t item, size_t length) {
    return count == 0 || item == 0 || (count - 1) * stride + item <= (int64_t)length;
  };
  if (!fits(strideA, batch, m * k, na) || !fits(strideB, batch, k * n, nb) || batch * m * n > (int64_t)nc) {
    return Throw(env, "sgemm: a view is shorter than the shapes need");
  }
  if (bias && batch * m * n > 0 && (batch - 1) * sb + (m - 1) * sr + (n - 1) * sc >= (int64_t)nbias) {
    return Throw(env, "sgemm: bias view is shorter than its strides need");
  }
  const int64_t plane = m * n;
  const SignalHold hold;
  for (int64_t p = 0; p < batch; p++) {
    float* cp = c + p * plane;
    if (!Gemm(ta, tb, m, n, k, a + p * strideA, b + p * strideB, cp)) return Throw(env, "sgemm: the BLAS call failed");
    if (bias == nullptr && act == kLinear) continue;
    const float al = (float)alpha;
    for (int64_t i = 0; i < m; i++) {
      float* row = cp + i * n;
      const float* brow = bias ? bias + p * sb + i * sr : nullptr;
      if (brow) {
        if (sc == 1) {
          for (int64_t j = 0; j < n; j++) row[j] += brow[j];
        } else {
          for (int64_t j = 0; j < n; j++) row[j] += brow[j * sc];
        }
      }
      if (act == kRelu) {
        for (int64_t j = 0; j < n; j++) row[j] = row[j] > 0.0f ? row[j] : 0.0f;
      } else if (act != kLinear) {
        for (int64_t j = 0; j < n; j++) row[j] = Activate(row[j], (int)act, al);
      }
    }
  }
  return nullptr;
}

// sgemmStrided(a, b, c, batch, m, n, k, transA, transB, strideA, strideB, strideC, lda, ldb, ldc)
// C_p = op(A_p) op(B_p) for p < batch, where X_p starts at x + p * strideX and its rows are ldX elements apart:
// the per-item matrices of time-major [L, N, d] tensors (item p = column block p of every row) need no transposes.
napi_value SgemmStrided(napi_env env, napi_callback_info info) {
  size_t argc = 15;
  napi_value argv[15];
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc != 15) {
    return Throw(env, "sgemmStrided: expected 15 arguments");
  }
  float *a, *b, *c;
  size_t na, nb, nc;
  if (!Floats(env, argv[0], &a, &na) || !Floats(env, argv[1], &b, &nb) || !Floats(env, argv[2], &c, &nc)) {
    return Throw(env, "sgemmStrided: a, b and c must be Float32Arrays");
  }
  int64_t v[10];
  bool ta = false, tb = false;
  const int ints[10] = {3, 4, 5, 6, 9, 10, 11, 12, 13, 14};
  for (int i = 0; i < 10; i++) {
    if (!Int(env, argv[ints[i]], &v[i]) || v[i] < 0) return Throw(env, "sgemmStrided: sizes and strides must be non-negative integers");
  }
  if (napi_get_value_bool(env, argv[7], &ta) != napi_ok || napi_get_value_bool(env, argv[8], &tb) != napi_ok) {
    return Throw(env, "sgemmStrided: transposes must be booleans");
  }
  const int64_t batch = v[0], m = v[1], n = v[2], k = v[3], sa = v[4], sb = v[5], sc = v[6], lda = v[7], ldb = v[8], ldc = v[9];
  if (batch == 0 || m == 0 || n == 0) return nullptr;
  const int64_t rowsA = ta ? k : m, colsA = ta ? m : k, rowsB = tb ? n : k, colsB = tb ? k : n;
  if (lda < colsA || ldb < colsB || ldc < n) return Throw(env, "sgemmStrided: a leading dimension is shorter than its row");
  // bounds: the last element of the last item of each operand must lie inside its view
  auto last = [](int64_t stride, int64_t count, int64_t rows, int64_t ld, int64_t cols) {
    return (count - 1) * stride + (rows - 1) * ld + cols;
  };
  if ((k > 0 && (last(sa, batch, rowsA, lda, colsA) > (int64_t)na || last(sb, batch, rowsB, ldb, colsB) > (int64_t)nb)) ||
      last(sc, batch, m, ldc, n) > (int64_t)nc) {
    return Throw(env, "sgemmStrided: a view is shorter than the shapes and strides need");
  }
  const SignalHold hold;
  for (int64_t p = 0; p < batch; p++) {
    if (!GemmLd(ta, tb, m, n, k, a + p * sa, lda, b + p * sb, ldb, c + p * sc, ldc)) return Throw(env, "sgemmStrided: the BLAS call failed");
  }
  return nullptr;
}

// Float32Array arguments of the batch-norm kernels, each checked to hold at least `need` elements.
bool FloatArgs(napi_env env, napi_value* argv, size_t count, const size_t* need, float** out) {
  for (size_t i = 0; i < count; i++) {
    size_t length = 0;
    if (!Floats(env, argv[i], &out[i], &length) || length < need[i]) return false;
  }
  return true;
}

// The trailing (rows, cols, epsilon, relu) arguments of the batch-norm kernels, from argv[first] on.
bool BatchNormShape(napi_env env, napi_value* argv, size_t first, int64_t* rows, int64_t* cols, double* epsilon, bool* relu) {
  return Int(env, argv[first], rows) && Int(env, argv[first + 1], cols) && *rows >= 1 && *cols >= 0 &&
         napi_get_value_double(env, argv[first + 2], epsilon) == napi_ok && napi_get_value_bool(env, argv[first + 3], relu) == napi_ok;
}

// batchNormActForward(x, gamma, beta, y, mean, variance, rows, cols, epsilon, relu)
napi_value BatchNormActForwardJs(napi_env env, napi_callback_info info) {
  size_t argc = 10;
  napi_value argv[10];
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc != 10) {
    return Throw(env, "batchNormActForward: expected 10 arguments");
  }
  int64_t rows, cols;
  double epsilon;
  bool relu;
  if (!BatchNormShape(env, argv, 6, &rows, &cols, &epsilon, &relu)) {
    return Throw(env, "batchNormActForward: bad rows, cols, epsilon or relu argument");
  }
  const size_t plane = (size_t)(rows * cols), c = (size_t)cols;
  const size_t need[6] = {plane, c, c, plane, c, c};
  float* v[6];
  if (!FloatArgs(env, argv, 6, need, v)) return Throw(env, "batchNormActForward: a view is not a Float32Array of the needed length");
  nextrec::BatchNormActForward(v[0], v[1], v[2], rows, cols, epsilon, relu, v[3], v[4], v[5]);
  return nullptr;
}

// batchNormActBackward(dy, x, gamma, beta, mean, variance, dx, dgamma, dbeta, rows, cols, epsilon, relu)
napi_value BatchNormActBackwardJs(napi_env env, napi_callback_info info) {
  size_t argc = 13;
  napi_value argv[13];
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc != 13) {
    return Throw(env, "batchNormActBackward: expected 13 arguments");
  }
  int64_t rows, cols;
  double epsilon;
  bool relu;
  if (!BatchNormShape(env, argv, 9, &rows, &cols, &epsilon, &relu)) {
    return Throw(env, "batchNormActBackward: bad rows, cols, epsilon or relu argument");
  }
  const size_t plane = (size_t)(rows * cols), c = (size_t)cols;
  const size_t need[9] = {plane, plane, c, c, c, c, plane, c, c};
  float* v[9];
  if (!FloatArgs(env, argv, 9, need, v)) return Throw(env, "batchNormActBackward: a view is not a Float32Array of the needed length");
  nextrec::BatchNormActBackward(v[0], v[1], v[2], v[3], v[4], v[5], rows, cols, epsilon, relu, v[6], v[7], v[8]);
  return nullptr;
}

// adamUpdate(w, g, m, v, wOut, mOut, vOut, constants: Float32Array [b1, 1-b1, b2, 1-b2, c1, c2, eps, -lr])
napi_value AdamUpdateJs(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8];
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc != 8) {
    return Throw(env, "adamUpdate: expected 8 arguments");
  }
  float* c;
  size_t nc = 0;
  if (!Floats(env, argv[7], &c, &nc) || nc != 8) return Throw(env, "adamUpdate: constants must be a Float32Array of 8");
  float* w;
  size_t n = 0;
  if (!Floats(env, argv[0], &w, &n)) return Throw(env, "adamUpdate: w must be a Float32Array");
  const size_t need[7] = {n, n, n, n, n, n, n};
  float* v[7];
  if (!FloatArgs(env, argv, 7, need, v)) return Throw(env, "adamUpdate: a view is not a Float32Array as long as w");
  nextrec::AdamStep step{c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]};
  nextrec::AdamUpdate(v[0], v[1], v[2], v[3], (int64_t)n, step, v[4], v[5], v[6]);
  return nullptr;
}

// Reads the 16 integers [Lk, B, H, Lq, mask strides x4, bias strides x4, dropout strides x4] of the attention
// kernels from a JS array.
bool AttentionShapeArg(napi_env env, napi_value v, nextrec::AttentionShape* s) {
  int64_t x[16];
  for (uint32_t i = 0; i < 16; i++) {
    napi_value e;
    if (napi_get_element(env, v, i, &e) != napi_ok || !Int(env, e, &x[i]) || x[i] < 0) return false;
  }
  *s = {x[0], x[1], x[2], x[3], {x[4], x[5], x[6], x[7]}, {x[8], x[9], x[10], x[11]}, {x[12], x[13], x[14], x[15]}};
  return s->lk > 0 && s->b > 0 && s->h > 0 && s->lq > 0;
}

// The trailing (shape[16], scale, softmax) arguments of both attention-weights bindings, from argv[first] on.
bool AttentionArgs(napi_env env, napi_value* argv, size_t first, nextrec::AttentionShape* s, double* scale, bool* softmax) {
  return AttentionShapeArg(env, argv[first], s) && napi_get_value_double(env, argv[first + 1], scale) == napi_ok &&
         napi_get_value_bool(env, argv[first + 2], softmax) == napi_ok;
}

// Whether a broadcast operand of `length` elements covers every index its strides reach.
bool Covers(const nextrec::AttentionShape& s, const int64_t* st, size_t length) {
  return (s.lk - 1) * st[0] + (s.b - 1) * st[1] + (s.h - 1) * st[2] + (s.lq - 1) * st[3] < (int64_t)length;
}

// An optional Float32Array argument: true with *data = nullptr for null / undefined.
bool OptionalFloats(napi_env env, napi_value v, float** data, size_t* length) {
  napi_valuetype type;
  napi_typeof(env, v, &type);
  if (type == napi_null || type == napi_undefined) {
    *data = nullptr;
    *length = 0;
    return true;
  }
  return Floats(env, v, data, length);
}

// attentionWeightsForward(s, mask, bias | null, dropout | null, gate, w, shape[16], scale, softmax)
napi_value AttentionWeightsForwardJs(napi_env env, napi_callback_info info) {
  size_t argc = 9;
  napi_value argv[9];
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc != 9) {
    return Throw(env, "attentionWeightsForward: expected 9 arguments");
  }
  float *sc, *mask, *bias, *drop, *gate, *w;
  size_t ns, nm, nb, nd, ng, nw;
  nextrec::AttentionShape shape;
  double scale = 1;
  bool softmax = false;
  if (!Floats(env, argv[0], &sc, &ns) || !Floats(env, argv[1], &mask, &nm) || !OptionalFloats(env, argv[2], &bias, &nb) ||
      !OptionalFloats(env, argv[3], &drop, &nd) || !Floats(env, argv[4], &gate, &ng) || !Floats(env, argv[5], &w, &nw)) {
    return Throw(env, "attentionWeightsForward: tensors must be Float32Arrays (bias and dropout may be null)");
  }
  if (!AttentionArgs(env, argv, 6, &shape, &scale, &softmax)) {
    return Throw(env, "attentionWeightsForward: bad shape, scale or softmax argument");
  }
  const size_t full = (size_t)(shape.lk * shape.cols());
  if (ns < full || ng < full || nw < full || !Covers(shape, shape.mask, nm) || (bias && !Covers(shape, shape.bias, nb)) ||
      (drop && !Covers(shape, shape.drop, nd))) {
    return Throw(env, "attentionWeightsForward: a view is shorter than the shape and strides need");
  }
  nextrec::AttentionWeightsForward(sc, mask, bias, drop, shape, (float)scale, softmax, gate, w);
  return nullptr;
}

// attentionWeightsBackward(dw, gate, mask, dropout | null, dz, dbias | null, shape[16], outScale, softmax)
// dbias: the bias gradient, laid out as the bias (its strides in shape[8..11]).
napi_value AttentionWeightsBackwardJs(napi_env env, napi_callback_info info) {
  size_t argc = 9;
  napi_value argv[9];
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc != 9) {
    return Throw(env, "attentionWeightsBackward: expected 9 arguments");
  }
  float *dw, *gate, *mask, *drop, *dz, *dbias;
  size_t nw, ng, nm, nd, nz, nb;
  nextrec::AttentionShape shape;
  double scale = 1;
  bool softmax = false;
  if (!Floats(env, argv[0], &dw, &nw) || !Floats(env, argv[1], &gate, &ng) || !Floats(env, argv[2], &mask, &nm) ||
      !OptionalFloats(env, argv[3], &drop, &nd) || !Floats(env, argv[4], &dz, &nz) || !OptionalFloats(env, argv[5], &dbias, &nb)) {
    return Throw(env, "attentionWeightsBackward: tensors must be Float32Arrays (dropout and dbias may be null)");
  }
  if (!AttentionArgs(env, argv, 6, &shape, &scale, &softmax)) {
    return Throw(env, "attentionWeightsBackward: bad shape, scale or softmax argument");
  }
  const size_t full = (size_t)(shape.lk * shape.cols());
  if (nw < full || ng < full || nz < full || !Covers(shape, shape.mask, nm) || (drop && !Covers(shape, shape.drop, nd)) ||
      (dbias && !Covers(shape, shape.bias, nb))) {
    return Throw(env, "attentionWeightsBackward: a view is shorter than the shape and strides need");
  }
  nextrec::AttentionWeightsBackward(dw, gate, mask, drop, shape, (float)scale, softmax, dz, dbias, (int64_t)nb);
  return nullptr;
}

// sumAxis(x, out, outer, reduce, inner, scale): out[o, i] = scale * sum_r x[o, r, i], the twins of sumLeadingAxis
// (float64 accumulators) and sumMiddleAxis (float32 accumulation, row by row) in wasm-fast-kernels.ts, in the same
// order and precision, so the results are the JavaScript kernels' bit for bit.
napi_value SumAxisJs(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc != 6) return Throw(env, "sumAxis: expected 6 arguments");
  float *x, *out;
  size_t nx, no;
  int64_t outer, reduce, inner;
  double scale;
  if (!Floats(env, argv[0], &x, &nx) || !Floats(env, argv[1], &out, &no) || !Int(env, argv[2], &outer) || !Int(env, argv[3], &reduce) ||
      !Int(env, argv[4], &inner) || napi_get_value_double(env, argv[5], &scale) != napi_ok || outer < 0 || reduce < 0 || inner < 0) {
    return Throw(env, "sumAxis: bad arguments");
  }
  if (nx < (size_t)(outer * reduce * inner) || no < (size_t)(outer * inner)) return Throw(env, "sumAxis: a view is shorter than the shapes need");
  nextrec::SumAxis(x, out, outer, reduce, inner, scale);
  return nullptr;
}

// dropoutMultiplier(out, key0, key1, threshold, kept)
napi_value DropoutMultiplierJs(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc != 5) {
    return Throw(env, "dropoutMultiplier: expected 5 arguments");
  }
  float* out;
  size_t n;
  uint32_t key[3];
  double kept;
  if (!Floats(env, argv[0], &out, &n)) return Throw(env, "dropoutMultiplier: out must be a Float32Array");
  for (int i = 0; i < 3; i++) {
    if (napi_get_value_uint32(env, argv[i + 1], &key[i]) != napi_ok) return Throw(env, "dropoutMultiplier: the keys and threshold must be numbers");
  }
  if (napi_get_value_double(env, argv[4], &kept) != napi_ok || !(kept >= 1)) return Throw(env, "dropoutMultiplier: kept (1 / keep) must be a number >= 1");
  if (key[2] > (1u << 24)) return Throw(env, "dropoutMultiplier: threshold must be at most 2^24");
  nextrec::DropoutMultiplier(key[0], key[1], key[2], (float)kept, (int64_t)n, out);
  return nullptr;
}

// A dense layer whose units are split into column blocks ("parts", e.g. q / k / v): part p is
// out_p = x kernel[:, c_p : c_p + w_p] + bias[c_p : c_p + w_p], read in place from the one kernel (its columns are
// `units` apart), so no slice of the weights is copied and the backward writes each block of dkernel in place:
//   dx = sum_p dy_p kernel_p^T, dkernel[:, block p] = x^T dy_p, dbias[block p] = column sums of dy_p.
// densePartsForward(x, kernel, bias | null, outs, rows, in, units, widths)
// densePartsBackward(x, kernel, dys, dx, dkernel, dbias | null, rows, in, units, widths)
bool PartWidths(napi_env env, napi_value v, int64_t units, std::vector<int64_t>* widths) {
  uint32_t count;
  if (napi_get_array_length(env, v, &count) != napi_ok || count == 0) return false;
  int64_t total = 0;
  for (uint32_t i = 0; i < count; i++) {
    napi_value e;
    int64_t w;
    if (napi_get_element(env, v, i, &e) != napi_ok || !Int(env, e, &w) || w < 1) return false;
    widths->push_back(w);
    total += w;
  }
  return total == units;
}

bool FloatsArray(napi_env env, napi_value v, size_t count, std::vector<float*>* data, std::vector<size_t>* lengths) {
  uint32_t n;
  if (napi_get_array_length(env, v, &n) != napi_ok || n != count) return false;
  for (uint32_t i = 0; i < n; i++) {
    napi_value e;
    float* d;
    size_t len;
    if (napi_get_element(env, v, i, &e) != napi_ok || !Floats(env, e, &d, &len)) return false;
    data->push_back(d);
    lengths->push_back(len);
  }
  return true;
}

napi_value DensePartsForwardJs(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8];
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc != 8) return Throw(env, "densePartsForward: expected 8 arguments");
  float *x, *kernel, *bias;
  size_t nx, nk, nb;
  int64_t rows, in, units;
  std::vector<int64_t> widths;
  std::vector<float*> outs;
  std::vector<size_t> outLengths;
  if (!Floats(env, argv[0], &x, &nx) || !Floats(env, argv[1], &kernel, &nk) || !OptionalFloats(env, argv[2], &bias, &nb)) {
    return Throw(env, "densePartsForward: x and kernel must be Float32Arrays, bias a Float32Array or null");
  }
  if (!Int(env, argv[4], &rows) || !Int(env, argv[5], &in) || !Int(env, argv[6], &units) || rows < 0 || in < 0 || units < 1 ||
      !PartWidths(env, argv[7], units, &widths)) {
    return Throw(env, "densePartsForward: bad rows, in, units or part widths (positive, summing to units)");
  }
  if (!FloatsArray(env, argv[3], widths.size(), &outs, &outLengths)) return Throw(env, "densePartsForward: outs must be one Float32Array per part");
  if (nx < (size_t)(rows * in) || nk < (size_t)(in * units) || (bias && nb < (size_t)units)) return Throw(env, "densePartsForward: a view is shorter than the shapes need");
  for (size_t p = 0; p < widths.size(); p++) {
    if (outLengths[p] < (size_t)(rows * widths[p])) return Throw(env, "densePartsForward: a view is shorter than the shapes need");
  }
  const SignalHold hold;
  int64_t c0 = 0;
  for (size_t p = 0; p < widths.size(); p++) {
    const int64_t w = widths[p];
    if (!GemmLd(false, false, rows, w, in, x, in, kernel + c0, units, outs[p], w)) return Throw(env, "densePartsForward: the BLAS call failed");
    if (bias) nextrec::AddRowVector(outs[p], bias + c0, rows, w);
    c0 += w;
  }
  return nullptr;
}

napi_value DensePartsBackwardJs(napi_env env, napi_callback_info info) {
  size_t argc = 10;
  napi_value argv[10];
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc != 10) return Throw(env, "densePartsBackward: expected 10 arguments");
  float *x, *kernel, *dx, *dkernel, *dbias;
  size_t nx, nk, ndx, ndk, ndb;
  int64_t rows, in, units;
  std::vector<int64_t> widths;
  std::vector<float*> dys;
  std::vector<size_t> dyLengths;
  if (!Floats(env, argv[0], &x, &nx) || !Floats(env, argv[1], &kernel, &nk) || !Floats(env, argv[3], &dx, &ndx) ||
      !Floats(env, argv[4], &dkernel, &ndk) || !OptionalFloats(env, argv[5], &dbias, &ndb)) {
    return Throw(env, "densePartsBackward: x, kernel, dx and dkernel must be Float32Arrays, dbias a Float32Array or null");
  }
  if (!Int(env, argv[6], &rows) || !Int(env, argv[7], &in) || !Int(env, argv[8], &units) || rows < 0 || in < 0 || units < 1 ||
      !PartWidths(env, argv[9], units, &widths)) {
    return Throw(env, "densePartsBackward: bad rows, in, units or part widths (positive, summing to units)");
  }
  if (!FloatsArray(env, argv[2], widths.size(), &dys, &dyLengths)) return Throw(env, "densePartsBackward: dys must be one Float32Array per part");
  if (nx < (size_t)(rows * in) || nk < (size_t)(in * units) || ndx < (size_t)(rows * in) || ndk < (size_t)(in * units) ||
      (dbias && ndb < (size_t)units)) {
    return Throw(env, "densePartsBackward: a view is shorter than the shapes need");
  }
  for (size_t p = 0; p < widths.size(); p++) {
    if (dyLengths[p] < (size_t)(rows * widths[p])) return Throw(env, "densePartsBackward: a view is shorter than the shapes need");
  }
  const SignalHold hold;
  int64_t c0 = 0;
  for (size_t p = 0; p < widths.size(); p++) {
    const int64_t w = widths[p];
    const bool ok = GemmLd(false, true, rows, in, w, dys[p], w, kernel + c0, units, dx, in, p == 0 ? 0.0f : 1.0f) &&
                    GemmLd(true, false, in, w, rows, x, in, dys[p], w, dkernel + c0, units);
    if (!ok) return Throw(env, "densePartsBackward: the BLAS call failed");
    if (dbias) nextrec::ColumnSums(dys[p], rows, w, dbias + c0);
    c0 += w;
  }
  return nullptr;
}

// sampledSoftmaxForward(pos, neg, loss, lse, rows, cols) and
// sampledSoftmaxBackward(dy, pos, neg, lse, dpos, dneg, rows, cols): pos, loss, lse, dy, dpos [rows]; neg, dneg [rows, cols]
napi_value SampledSoftmaxForwardJs(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc != 6) return Throw(env, "sampledSoftmaxForward: expected 6 arguments");
  float *pos, *neg, *loss, *lse;
  size_t np, nn, nl, ns;
  int64_t rows, cols;
  if (!Floats(env, argv[0], &pos, &np) || !Floats(env, argv[1], &neg, &nn) || !Floats(env, argv[2], &loss, &nl) || !Floats(env, argv[3], &lse, &ns)) {
    return Throw(env, "sampledSoftmaxForward: pos, neg, loss and lse must be Float32Arrays");
  }
  if (!Int(env, argv[4], &rows) || !Int(env, argv[5], &cols) || rows < 0 || cols < 0) return Throw(env, "sampledSoftmaxForward: bad rows or cols argument");
  const size_t r = (size_t)rows;
  if (np < r || nl < r || ns < r || nn < r * (size_t)cols) return Throw(env, "sampledSoftmaxForward: a view is shorter than the shapes need");
  nextrec::SampledSoftmaxForward(pos, neg, rows, cols, loss, lse);
  return nullptr;
}

napi_value SampledSoftmaxBackwardJs(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8];
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc != 8) return Throw(env, "sampledSoftmaxBackward: expected 8 arguments");
  float *dy, *pos, *neg, *lse, *dpos, *dneg;
  size_t ndy, np, nn, ns, ndp, ndn;
  int64_t rows, cols;
  if (!Floats(env, argv[0], &dy, &ndy) || !Floats(env, argv[1], &pos, &np) || !Floats(env, argv[2], &neg, &nn) || !Floats(env, argv[3], &lse, &ns) ||
      !Floats(env, argv[4], &dpos, &ndp) || !Floats(env, argv[5], &dneg, &ndn)) {
    return Throw(env, "sampledSoftmaxBackward: dy, pos, neg, lse, dpos and dneg must be Float32Arrays");
  }
  if (!Int(env, argv[6], &rows) || !Int(env, argv[7], &cols) || rows < 0 || cols < 0) return Throw(env, "sampledSoftmaxBackward: bad rows or cols argument");
  const size_t r = (size_t)rows, plane = r * (size_t)cols;
  if (ndy < r || np < r || ns < r || ndp < r || nn < plane || ndn < plane) return Throw(env, "sampledSoftmaxBackward: a view is shorter than the shapes need");
  nextrec::SampledSoftmaxBackward(dy, pos, neg, lse, rows, cols, dpos, dneg);
  return nullptr;
}

// siluForward(x, y) and siluBackward(dy, x, dx): every view covers all elements (the same length)
napi_value SiluForwardJs(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc != 2) return Throw(env, "siluForward: expected 2 arguments");
  float *x, *y;
  size_t nx, ny;
  if (!Floats(env, argv[0], &x, &nx) || !Floats(env, argv[1], &y, &ny)) return Throw(env, "siluForward: x and y must be Float32Arrays");
  if (nx != ny) return Throw(env, "siluForward: x and y must have the same length");
  nextrec::SiluForward(x, (int64_t)nx, y);
  return nullptr;
}

napi_value SiluBackwardJs(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc != 3) return Throw(env, "siluBackward: expected 3 arguments");
  float *dy, *x, *dx;
  size_t ndy, nx, ndx;
  if (!Floats(env, argv[0], &dy, &ndy) || !Floats(env, argv[1], &x, &nx) || !Floats(env, argv[2], &dx, &ndx)) {
    return Throw(env, "siluBackward: dy, x and dx must be Float32Arrays");
  }
  if (ndy != nx || ndx != nx) return Throw(env, "siluBackward: dy, x and dx must have the same length");
  nextrec::SiluBackward(dy, x, (int64_t)nx, dx);
  return nullptr;
}

// layerNormForward(x, gamma | null, beta | null, out, y, r, rows, dim, epsilon)
napi_value LayerNormForwardJs(napi_env env, napi_callback_info info) {
  size_t argc = 9;
  napi_value argv[9];
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc != 9) {
    return Throw(env, "layerNormForward: expected 9 arguments");
  }
  float *x, *gamma, *beta, *out, *y, *r;
  size_t nx, ng, nb, no, ny, nr;
  int64_t rows, dim;
  double epsilon;
  if (!Floats(env, argv[0], &x, &nx) || !OptionalFloats(env, argv[1], &gamma, &ng) || !OptionalFloats(env, argv[2], &beta, &nb) ||
      !Floats(env, argv[3], &out, &no) || !Floats(env, argv[4], &y, &ny) || !Floats(env, argv[5], &r, &nr)) {
    return Throw(env, "layerNormForward: tensors must be Float32Arrays (gamma and beta may be null)");
  }
  if (!Int(env, argv[6], &rows) || !Int(env, argv[7], &dim) || rows < 0 || dim < 1 || napi_get_value_double(env, argv[8], &epsilon) != napi_ok) {
    return Throw(env, "layerNormForward: bad rows, dim or epsilon argument");
  }
  const size_t plane = (size_t)(rows * dim);
  if (nx < plane || no < plane || ny < plane || nr < (size_t)rows || (gamma == nullptr) != (beta == nullptr) ||
      (gamma && (ng < (size_t)dim || nb < (size_t)dim))) {
    return Throw(env, "layerNormForward: a view is shorter than the shapes need (or only one of gamma, beta given)");
  }
  nextrec::LayerNormForward(x, gamma, beta, rows, dim, epsilon, out, y, r);
  return nullptr;
}

// layerNormBackward(g, y, r, gamma | null, dx, dgamma | null, dbeta | null, rows, dim)
napi_value LayerNormBackwardJs(napi_env env, napi_callback_info info) {
  size_t argc = 9;
  napi_value argv[9];
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc != 9) {
    return Throw(env, "layerNormBackward: expected 9 arguments");
  }
  float *g, *y, *r, *gamma, *dx, *dgamma, *dbeta;
  size_t ng, ny, nr, ngam, ndx, ndg, ndb;
  int64_t rows, dim;
  if (!Floats(env, argv[0], &g, &ng) || !Floats(env, argv[1], &y, &ny) || !Floats(env, argv[2], &r, &nr) ||
      !OptionalFloats(env, argv[3], &gamma, &ngam) || !Floats(env, argv[4], &dx, &ndx) || !OptionalFloats(env, argv[5], &dgamma, &ndg) ||
      !OptionalFloats(env, argv[6], &dbeta, &ndb)) {
    return Throw(env, "layerNormBackward: tensors must be Float32Arrays (gamma, dgamma and dbeta may be null)");
  }
  if (!Int(env, argv[7], &rows) || !Int(env, argv[8], &dim) || rows < 0 || dim < 1) return Throw(env, "layerNormBackward: bad rows or dim argument");
  const size_t plane = (size_t)(rows * dim), d = (size_t)dim;
  if (ng < plane || ny < plane || ndx < plane || nr < (size_t)rows ||
      (gamma && (ngam < d || !dgamma || !dbeta || ndg < d || ndb < d))) {
    return Throw(env, "layerNormBackward: a view is shorter than the shapes need (or gamma without dgamma, dbeta)");
  }
  nextrec::LayerNormBackward(g, y, r, gamma, rows, dim, dx, dgamma, dbeta);
  return nullptr;
}

// The BLAS threads used by later calls (OpenMP for the Debian oneDNN build, OpenBLAS's own pool otherwise).
napi_value SetThreads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  int64_t threads = 1;
  if (argc < 1 || !Int(env, argv[0], &threads) || threads < 1) return Throw(env, "setThreads: threads must be a positive integer");
#if defined(NEXTREC_USE_DNNL)
  // oneDNN's OpenMP runtime is a dependency already loaded with the addon; find it without linking it ourselves
  const char* libs[] = {"libgomp.so.1", "libomp.so", "libomp.dylib", "libiomp5.so"};
  for (const char* lib : libs) {
    void* handle = dlopen(lib, RTLD_LAZY | RTLD_NOLOAD);
    if (!handle) continue;
    auto set = reinterpret_cast<void (*)(int)>(dlsym(handle, "omp_set_num_threads"));
    if (set) set((int)threads);
    dlclose(handle);
    if (set) break;
  }
#else
  openblas_set_num_threads((int)threads);
#endif
  return nullptr;
}

// { library: 'oneDNN' | 'OpenBLAS', version, detail }
napi_value Info(napi_env env, napi_callback_info) {
  std::string library, version, detail;
#if defined(NEXTREC_USE_DNNL)
  const dnnl_version_t* v = dnnl_version();
  library = "oneDNN";
  version = std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch);
  detail = v->cpu_runtime == DNNL_RUNTIME_OMP ? "OpenMP" : (v->cpu_runtime == DNNL_RUNTIME_TBB ? "TBB" : "sequential");
#else
  library = "OpenBLAS";
  std::string config = openblas_get_config();
  // "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY ..." -> "0.3.21"
  size_t start = config.find(' ');
  size_t end = start == std::string::npos ? std::string::npos : config.find(' ', start + 1);
  version = start == std::string::npos ? config : config.substr(start + 1, end - start - 1);
  detail = std::string("core ") + openblas_get_corename();
#endif
  napi_value out, value;
  napi_create_object(env, &out);
  napi_create_string_utf8(env, library.c_str(), library.size(), &value);
  napi_set_named_property(env, out, "library", value);
  napi_create_string_utf8(env, version.c_str(), version.size(), &value);
  napi_set_named_property(env, out, "version", value);
  napi_create_string_utf8(env, detail.c_str(), detail.size(), &value);
  napi_set_named_property(env, out, "detail", value);
  return out;
}

}  // namespace

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "sgemm", NAPI_AUTO_LENGTH, Sgemm, nullptr, &fn);
  napi_set_named_property(env, exports, "sgemm", fn);
  napi_create_function(env, "sgemmStrided", NAPI_AUTO_LENGTH, SgemmStrided, nullptr, &fn);
  napi_set_named_property(env, exports, "sgemmStrided", fn);
  napi_create_function(env, "attentionWeightsForward", NAPI_AUTO_LENGTH, AttentionWeightsForwardJs, nullptr, &fn);
  napi_set_named_property(env, exports, "attentionWeightsForward", fn);
  napi_create_function(env, "attentionWeightsBackward", NAPI_AUTO_LENGTH, AttentionWeightsBackwardJs, nullptr, &fn);
  napi_set_named_property(env, exports, "attentionWeightsBackward", fn);
  napi_create_function(env, "layerNormForward", NAPI_AUTO_LENGTH, LayerNormForwardJs, nullptr, &fn);
  napi_set_named_property(env, exports, "layerNormForward", fn);
  napi_create_function(env, "layerNormBackward", NAPI_AUTO_LENGTH, LayerNormBackwardJs, nullptr, &fn);
  napi_set_named_property(env, exports, "layerNormBackward", fn);
  napi_create_function(env, "dropoutMultiplier", NAPI_AUTO_LENGTH, DropoutMultiplierJs, nullptr, &fn);
  napi_set_named_property(env, exports, "dropoutMultiplier", fn);
  napi_create_function(env, "siluForward", NAPI_AUTO_LENGTH, SiluForwardJs, nullptr, &fn);
  napi_set_named_property(env, exports, "siluForward", fn);
  napi_create_function(env, "siluBackward", NAPI_AUTO_LENGTH, SiluBackwardJs, nullptr, &fn);
  napi_set_named_property(env, exports, "siluBackward", fn);
  napi_create_function(env, "sampledSoftmaxForward", NAPI_AUTO_LENGTH, SampledSoftmaxForwardJs, nullptr, &fn);
  napi_set_named_property(env, exports, "sampledSoftmaxForward", fn);
  napi_create_function(env, "sampledSoftmaxBackward", NAPI_AUTO_LENGTH, SampledSoftmaxBackwardJs, nullptr, &fn);
  napi_set_named_property(env, exports, "sampledSoftmaxBackward", fn);
  napi_create_function(env, "densePartsForward", NAPI_AUTO_LENGTH, DensePartsForwardJs, nullptr, &fn);
  napi_set_named_property(env, exports, "densePartsForward", fn);
  napi_create_function(env, "densePartsBackward", NAPI_AUTO_LENGTH, DensePartsBackwardJs, nullptr, &fn);
  napi_set_named_property(env, exports, "densePartsBackward", fn);
  napi_create_function(env, "sumAxis", NAPI_AUTO_LENGTH, SumAxisJs, nullptr, &fn);
  napi_set_named_property(env, exports, "sumAxis", fn);
  napi_create_function(env, "batchNormActForward", NAPI_AUTO_LENGTH, BatchNormActForwardJs, nullptr, &fn);
  napi_set_named_property(env, exports, "batchNormActForward", fn);
  napi_create_function(env, "batchNormActBackward", NAPI_AUTO_LENGTH, BatchNormActBackwardJs, nullptr, &fn);
  napi_set_named_property(env, exports, "batchNormActBackward", fn);
  napi_create_function(env, "adamUpdate", NAPI_AUTO_LENGTH, AdamUpdateJs, nullptr, &fn);
  napi_set_named_property(env, exports, "adamUpdate", fn);
  napi_create_function(env, "setThreads", NAPI_AUTO_LENGTH, SetThreads, nullptr, &fn);
  napi_set_named_property(env, exports, "setThreads", fn);
  napi_create_function(env, "info", NAPI_AUTO_LENGTH, Info, nullptr, &fn);
  napi_set_named_property(env, exports, "info", fn);
  return exports;
}
