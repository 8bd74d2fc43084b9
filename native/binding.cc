// The only file that knows about JavaScript. It exports exactly the NativeAddon
// interface of src/engine/native.ts, checks every argument (types, lengths against
// the sizes they imply, ids and offsets within range) before any pointer is
// touched, and throws a TypeError (wrong kind of value) or RangeError (right kind,
// wrong size or value) whose one-line message names the function and argument.
#include <napi.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <string>

#include "gemm.h"
#include "net.h"
#include "optim.h"
#include "simd.h"
#include "threadpool.h"

namespace {

using srnn::NetConfig;

// ---- argument checking --------------------------------------------------------
// Each get_* returns false after scheduling a JS exception; callers return at once.

std::string describe(const Napi::Value& v) {
  if (v.IsUndefined()) return "undefined";
  if (v.IsNull()) return "null";
  if (v.IsBoolean()) return "boolean";
  if (v.IsNumber()) {
    double d = v.As<Napi::Number>().DoubleValue();
    std::string s = std::to_string(d);
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 1e15) s = std::to_string((long long)d);
    return "number " + s;
  }
  if (v.IsString()) return "string";
  if (v.IsTypedArray()) {
    switch (v.As<Napi::TypedArray>().TypedArrayType()) {
      case napi_int8_array: return "Int8Array";
      case napi_uint8_array: return "Uint8Array";
      case napi_uint8_clamped_array: return "Uint8ClampedArray";
      case napi_int16_array: return "Int16Array";
      case napi_uint16_array: return "Uint16Array";
      case napi_int32_array: return "Int32Array";
      case napi_uint32_array: return "Uint32Array";
      case napi_float32_array: return "Float32Array";
      case napi_float64_array: return "Float64Array";
      default: return "typed array";
    }
  }
  if (v.IsArray()) return "array";
  if (v.IsFunction()) return "function";
  if (v.IsObject()) return "object";
  return "value";
}

bool type_error(Napi::Env env, const std::string& msg) {
  Napi::TypeError::New(env, msg).ThrowAsJavaScriptException();
  return false;
}
bool range_error(Napi::Env env, const std::string& msg) {
  Napi::RangeError::New(env, msg).ThrowAsJavaScriptException();
  return false;
}

bool get_int(Napi::Env env, const Napi::Value& v, const std::string& name, int64_t lo, int64_t hi,
             int64_t* out) {
  if (!v.IsNumber()) return type_error(env, name + " must be a number (got " + describe(v) + ")");
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || d != std::floor(d) || d < (double)lo || d > (double)hi)
    return range_error(env, name + " must be an integer from " + std::to_string(lo) + " to " +
                                std::to_string(hi) + " (got " + describe(v) + ")");
  *out = (int64_t)d;
  return true;
}

bool get_int(Napi::Env env, const Napi::Value& v, const std::string& name, int64_t lo, int64_t hi,
             int* out) {
  int64_t x;
  if (!get_int(env, v, name, lo, hi, &x)) return false;
  *out = (int)x;
  return true;
}

bool get_num(Napi::Env env, const Napi::Value& v, const std::string& name, double* out) {
  if (!v.IsNumber()) return type_error(env, name + " must be a number (got " + describe(v) + ")");
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d)) return range_error(env, name + " must be a finite number (got " + describe(v) + ")");
  *out = d;
  return true;
}

bool get_bool(Napi::Env env, const Napi::Value& v, const std::string& name, bool* out) {
  if (!v.IsBoolean()) return type_error(env, name + " must be a boolean (got " + describe(v) + ")");
  *out = v.As<Napi::Boolean>().Value();
  return true;
}

bool is_typed(const Napi::Value& v, napi_typedarray_type t) {
  return v.IsTypedArray() && v.As<Napi::TypedArray>().TypedArrayType() == t;
}

template <class T>
bool get_array(Napi::Env env, const Napi::Value& v, const std::string& name, const char* kind,
               napi_typedarray_type t, Napi::TypedArrayOf<T>* out) {
  if (!is_typed(v, t)) return type_error(env, name + " must be a " + kind + " (got " + describe(v) + ")");
  *out = v.As<Napi::TypedArrayOf<T>>();
  return true;
}
bool get_f32(Napi::Env env, const Napi::Value& v, const std::string& name, Napi::Float32Array* out) {
  return get_array<float>(env, v, name, "Float32Array", napi_float32_array, out);
}
bool get_i32(Napi::Env env, const Napi::Value& v, const std::string& name, Napi::Int32Array* out) {
  return get_array<int32_t>(env, v, name, "Int32Array", napi_int32_array, out);
}
bool get_u8(Napi::Env env, const Napi::Value& v, const std::string& name, Napi::Uint8Array* out) {
  return get_array<uint8_t>(env, v, name, "Uint8Array", napi_uint8_array, out);
}

bool check_len(Napi::Env env, size_t got, size_t want, const std::string& name, const std::string& why) {
  if (got == want) return true;
  return range_error(env, name + " must have " + why + " = " + std::to_string(want) +
                              " elements (got " + std::to_string(got) + ")");
}

bool check_args(const Napi::CallbackInfo& info, size_t n, const char* fn) {
  if (info.Length() >= n) return true;
  return type_error(info.Env(), std::string(fn) + ": expected " + std::to_string(n) + " arguments (got " +
                                    std::to_string(info.Length()) + ")");
}

// Byte ranges of two typed arrays overlap (same memory). Data() already includes
// the view's byte offset and works for SharedArrayBuffer-backed views too.
template <class A, class B>
bool overlaps(const A& a, const B& b) {
  const size_t na = a.ByteLength(), nb = b.ByteLength();
  if (na == 0 || nb == 0) return false;
  const uint8_t* pa = (const uint8_t*)a.Data();
  const uint8_t* pb = (const uint8_t*)b.Data();
  return pa < pb + nb && pb < pa + na;
}

// ---- SIMD and threads -----------------------------------------------------------

Napi::Value SimdLevel(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), srnn::simd_name(srnn::simd_level()));
}

Napi::Value SimdDetected(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), srnn::simd_name(srnn::simd_detected()));
}

Napi::Value SetSimd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!check_args(info, 1, "setSimd")) return env.Undefined();
  if (!info[0].IsString()) {
    type_error(env, "setSimd: level must be a string (got " + describe(info[0]) + ")");
    return env.Undefined();
  }
  const std::string s = info[0].As<Napi::String>().Utf8Value();
  srnn::SimdLevel l;
  if (s == "auto") l = srnn::simd_detected();
  else if (s == "avx512") l = srnn::SimdLevel::AVX512;
  else if (s == "avx2") l = srnn::SimdLevel::AVX2;
  else if (s == "scalar") l = srnn::SimdLevel::Scalar;
  else {
    range_error(env, "setSimd: level must be avx512, avx2, scalar or auto (got \"" + s + "\")");
    return env.Undefined();
  }
  if (!srnn::set_simd_level(l))
    range_error(env, "setSimd: this CPU does not support " + s + " (detected: " +
                         srnn::simd_name(srnn::simd_detected()) + ")");
  return env.Undefined();
}

Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int n;
  if (!check_args(info, 1, "setThreads") || !get_int(env, info[0], "setThreads: n", 1, 64, &n))
    return env.Undefined();
  srnn::set_threads(n);
  return env.Undefined();
}

Napi::Value GetThreads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), srnn::threads());
}

// ---- gemm ---------------------------------------------------------------------

// A matrix argument stored rows × cols with row stride ld must fit its array.
bool check_matrix(Napi::Env env, const char* name, const Napi::Float32Array& a, int64_t rows,
                  int64_t cols, int64_t ld, const char* ldName) {
  if (ld < std::max<int64_t>(1, cols))
    return range_error(env, std::string("gemm: ") + ldName + " must be >= " + std::to_string(std::max<int64_t>(1, cols)) +
                                " (the row length of " + name + "; got " + std::to_string(ld) + ")");
  if (rows == 0 || cols == 0) return true;
  const uint64_t need = (uint64_t)(rows - 1) * ld + cols;
  if (a.ElementLength() < need)
    return range_error(env, std::string("gemm: ") + name + " must have at least " + std::to_string(need) + " elements for " +
                                std::to_string(rows) + " rows of " + std::to_string(cols) + " with " + ldName + " " +
                                std::to_string(ld) + " (got " + std::to_string(a.ElementLength()) + ")");
  return true;
}

Napi::Value Gemm(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Napi::Value none = env.Undefined();
  if (!check_args(info, 13, "gemm")) return none;
  bool ta = false, tb = false, naive = false;
  int M = 0, N = 0, K = 0, lda = 1, ldb = 1, ldc = 1;
  double beta = 0;
  Napi::Float32Array A, B, C;
  const int64_t kMax = 1 << 30;
  if (!get_bool(env, info[0], "gemm: transA", &ta) || !get_bool(env, info[1], "gemm: transB", &tb) ||
      !get_int(env, info[2], "gemm: M", 0, kMax, &M) || !get_int(env, info[3], "gemm: N", 0, kMax, &N) ||
      !get_int(env, info[4], "gemm: K", 0, kMax, &K) || !get_f32(env, info[5], "gemm: A", &A) ||
      !get_int(env, info[6], "gemm: lda", 1, kMax, &lda) || !get_f32(env, info[7], "gemm: B", &B) ||
      !get_int(env, info[8], "gemm: ldb", 1, kMax, &ldb) || !get_num(env, info[9], "gemm: beta", &beta) ||
      !get_f32(env, info[10], "gemm: C", &C) || !get_int(env, info[11], "gemm: ldc", 1, kMax, &ldc) ||
      !get_bool(env, info[12], "gemm: naive", &naive))
    return none;
  if (beta != 0.0 && beta != 1.0) {
    range_error(env, "gemm: beta must be 0 or 1 (got " + describe(info[9]) + ")");
    return none;
  }
  if (!check_matrix(env, "A", A, ta ? K : M, ta ? M : K, lda, "lda") ||
      !check_matrix(env, "B", B, tb ? N : K, tb ? K : N, ldb, "ldb") ||
      !check_matrix(env, "C", C, M, N, ldc, "ldc"))
    return none;
  if (M == 0 || N == 0) return none;
  if (overlaps(C, A) || overlaps(C, B)) {
    range_error(env, "gemm: C must not share memory with A or B");
    return none;
  }
  float* c = C.Data();
  if (K == 0) {  // empty product: C = beta * C
    if (beta == 0.0)
      for (int i = 0; i < M; i++) std::memset(c + (size_t)i * ldc, 0, (size_t)N * sizeof(float));
    return none;
  }
  (naive ? srnn::sgemm_naive : srnn::sgemm)(ta, tb, M, N, K, A.Data(), lda, B.Data(), ldb, (float)beta, c, ldc);
  return none;
}

// ---- Net ------------------------------------------------------------------------

bool read_config(Napi::Env env, const Napi::Value& v, NetConfig* c) {
  if (!v.IsObject() || v.IsArray() || v.IsTypedArray())
    return type_error(env, "Net: cfg must be an object (got " + describe(v) + ")");
  Napi::Object o = v.As<Napi::Object>();
  auto field = [&](const char* k) { return o.Get(k); };
  const int64_t big = (int64_t)1 << 40, dim = 1 << 24;
  int cell;
  int64_t total;
  double dropout;
  if (!get_int(env, field("cell"), "Net: cfg.cell", 0, 2, &cell) ||
      !get_bool(env, field("tokens"), "Net: cfg.tokens", &c->tokens) ||
      !get_int(env, field("inputSize"), "Net: cfg.inputSize", 1, dim, &c->inputSize) ||
      !get_int(env, field("embedDim"), "Net: cfg.embedDim", 0, dim, &c->embedDim) ||
      !get_int(env, field("hidden"), "Net: cfg.hidden", 1, 16384, &c->hidden) ||
      !get_int(env, field("layers"), "Net: cfg.layers", 1, 16, &c->layers) ||
      !get_int(env, field("outputSize"), "Net: cfg.outputSize", 1, dim, &c->outputSize) ||
      !get_bool(env, field("classify"), "Net: cfg.classify", &c->classify) ||
      !get_bool(env, field("relu"), "Net: cfg.relu", &c->relu) ||
      !get_bool(env, field("tied"), "Net: cfg.tied", &c->tied) ||
      !get_num(env, field("dropout"), "Net: cfg.dropout", &dropout) ||
      !get_int(env, field("total"), "Net: cfg.total", 1, big, &total) ||
      !get_int(env, field("embedding"), "Net: cfg.embedding", -1, big, &c->embedding) ||
      !get_int(env, field("head"), "Net: cfg.head", -1, big, &c->head) ||
      !get_int(env, field("headBias"), "Net: cfg.headBias", -1, big, &c->headBias))
    return false;
  c->cell = (srnn::CellType)cell;
  c->total = (size_t)total;
  // Optional (absent = false): the reset-after GRU.
  if (!field("resetAfter").IsUndefined() && !get_bool(env, field("resetAfter"), "Net: cfg.resetAfter", &c->resetAfter))
    return false;
  if (!(dropout >= 0 && dropout < 1))
    return range_error(env, "Net: cfg.dropout must be in [0, 1) (got " + describe(field("dropout")) + ")");
  c->dropout = (float)dropout;
  const char* names[3] = {"ih", "hh", "bias"};
  std::vector<int64_t>* dst[3] = {&c->ih, &c->hh, &c->bias};
  for (int k = 0; k < 3; k++) {
    Napi::Value a = field(names[k]);
    const std::string nm = std::string("Net: cfg.") + names[k];
    if (!a.IsArray()) return type_error(env, nm + " must be an array of offsets (got " + describe(a) + ")");
    Napi::Array arr = a.As<Napi::Array>();
    if ((int)arr.Length() != c->layers)
      return range_error(env, nm + " must have cfg.layers = " + std::to_string(c->layers) + " entries (got " +
                                  std::to_string(arr.Length()) + ")");
    dst[k]->resize(c->layers);
    for (int l = 0; l < c->layers; l++)
      if (!get_int(env, arr.Get((uint32_t)l), nm + "[" + std::to_string(l) + "]", 0, big, &(*dst[k])[l])) return false;
  }
  const std::string err = c->check();
  if (!err.empty()) return range_error(env, "Net: " + err);
  return true;
}

class NetWrap : public Napi::ObjectWrap<NetWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Net", {InstanceMethod("run", &NetWrap::Run), InstanceMethod("setMask", &NetWrap::SetMask)});
  }

  NetWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NetWrap>(info) {
    Napi::Env env = info.Env();
    if (!check_args(info, 3, "Net")) return;
    NetConfig cfg;
    Napi::Float32Array params, grads;
    if (!read_config(env, info[0], &cfg) || !get_f32(env, info[1], "Net: params", &params) ||
        !get_f32(env, info[2], "Net: grads", &grads) ||
        !check_len(env, params.ElementLength(), cfg.total, "Net: params", "cfg.total") ||
        !check_len(env, grads.ElementLength(), cfg.total, "Net: grads", "cfg.total"))
      return;
    if (overlaps(params, grads)) {
      range_error(env, "Net: params and grads must be separate buffers");
      return;
    }
    params_ = Napi::Persistent(params);  // keep both alive as long as the Net
    grads_ = Napi::Persistent(grads);
    net_ = std::make_unique<srnn::Net>(cfg);
  }

 private:
  // setMask(mask: Uint8Array [total] | null): kept by reference and read at every run
  // (sparse-aware training, native/sparse.h); null goes back to the dense path.
  Napi::Value SetMask(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const Napi::Value none = env.Undefined();
    if (!net_) {
      Napi::Error::New(env, "Net.setMask: this Net was not constructed").ThrowAsJavaScriptException();
      return none;
    }
    if (!check_args(info, 1, "Net.setMask")) return none;
    if (info[0].IsNull() || info[0].IsUndefined()) {
      mask_.Reset();
      return none;
    }
    Napi::Uint8Array m;
    if (!get_u8(env, info[0], "Net.setMask: mask", &m) ||
        !check_len(env, m.ElementLength(), net_->config().total, "Net.setMask: mask", "cfg.total"))
      return none;
    mask_ = Napi::Persistent(m);
    return none;
  }

  Napi::Value Run(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const Napi::Value none = env.Undefined();
    if (!net_) {
      Napi::Error::New(env, "Net.run: this Net was not constructed").ThrowAsJavaScriptException();
      return none;
    }
    if (!check_args(info, 1, "Net.run")) return none;
    if (!info[0].IsObject()) {
      type_error(env, "Net.run: args must be an object (got " + describe(info[0]) + ")");
      return none;
    }
    const NetConfig& c = net_->config();
    Napi::Object a = info[0].As<Napi::Object>();
    srnn::RunIO io;
    const int64_t kRows = 1 << 26;
    if (!get_int(env, a.Get("batch"), "Net.run: args.batch", 1, kRows, &io.B) ||
        !get_int(env, a.Get("steps"), "Net.run: args.steps", 1, kRows, &io.T) ||
        !get_bool(env, a.Get("backward"), "Net.run: args.backward", &io.backward))
      return none;
    const size_t B = io.B, T = io.T, R = B * T;
    if (R > (size_t)kRows) {
      range_error(env, "Net.run: args.batch * args.steps must be <= " + std::to_string(kRows) + " (got " +
                           std::to_string(R) + ")");
      return none;
    }
    // x
    Napi::Value xv = a.Get("x");
    if (c.tokens) {
      Napi::Int32Array x;
      if (!get_i32(env, xv, "Net.run: args.x (token ids)", &x) ||
          !check_len(env, x.ElementLength(), R, "Net.run: args.x", "batch*steps"))
        return none;
      const int32_t* ids = x.Data();
      for (size_t i = 0; i < R; i++)
        if (ids[i] < 0 || ids[i] >= c.inputSize) {
          range_error(env, "Net.run: args.x[" + std::to_string(i) + "] = " + std::to_string(ids[i]) +
                               " is not a token id in [0, " + std::to_string(c.inputSize) + ")");
          return none;
        }
      io.tokens = ids;
    } else {
      Napi::Float32Array x;
      if (!get_f32(env, xv, "Net.run: args.x (vectors)", &x) ||
          !check_len(env, x.ElementLength(), R * c.inputSize, "Net.run: args.x", "batch*steps*inputSize"))
        return none;
      io.vectors = x.Data();
    }
    // y
    Napi::Int32Array y;
    const size_t ny = c.classify ? B : R;
    if (!get_i32(env, a.Get("y"), "Net.run: args.y", &y) ||
        !check_len(env, y.ElementLength(), ny, "Net.run: args.y", c.classify ? "batch (classify)" : "batch*steps"))
      return none;
    for (size_t i = 0; i < ny; i++)
      if (y.Data()[i] < -1 || y.Data()[i] >= c.outputSize) {
        range_error(env, "Net.run: args.y[" + std::to_string(i) + "] = " + std::to_string(y.Data()[i]) +
                             " is not a target in [-1, " + std::to_string(c.outputSize) + ")");
        return none;
      }
    io.y = y.Data();
    // state
    Napi::Value sv = a.Get("state");
    if (!sv.IsNull() && !sv.IsUndefined()) {
      Napi::Float32Array s;
      if (!get_f32(env, sv, "Net.run: args.state", &s) ||
          !check_len(env, s.ElementLength(), (size_t)c.layers * c.states() * B * c.hidden, "Net.run: args.state",
                     "layers*S*batch*hidden"))
        return none;
      io.state = s.Data();
    }
    // dropoutSeed: truncated to a 64-bit integer (rng.h)
    double seed;
    if (!get_num(env, a.Get("dropoutSeed"), "Net.run: args.dropoutSeed", &seed)) return none;
    if (std::fabs(seed) >= 9.2e18) {
      range_error(env, "Net.run: args.dropoutSeed must be below 2^63 in magnitude");
      return none;
    }
    io.seed = (uint64_t)(int64_t)seed;
    // logits (optional)
    Napi::Value lv = a.Get("logits");
    if (!lv.IsNull() && !lv.IsUndefined()) {
      Napi::Float32Array lg;
      if (!get_f32(env, lv, "Net.run: args.logits", &lg) ||
          !check_len(env, lg.ElementLength(), (c.classify ? B : R) * c.outputSize, "Net.run: args.logits",
                     c.classify ? "batch*outputSize" : "batch*steps*outputSize"))
        return none;
      io.logits = lg.Data();
    }
    // the kept buffers: still the length the config implies (not detached)
    Napi::Float32Array params = params_.Value(), grads = grads_.Value();
    if (params.ElementLength() != c.total || grads.ElementLength() != c.total) {
      Napi::Error::New(env, "Net.run: the params or grads buffer was detached or resized").ThrowAsJavaScriptException();
      return none;
    }
    // outputs must not alias the parameters, the gradients or each other
    {
      Napi::Value outs[2] = {sv, lv};
      const char* names[2] = {"args.state", "args.logits"};
      for (int k = 0; k < 2; k++) {
        if (outs[k].IsNull() || outs[k].IsUndefined()) continue;
        Napi::Float32Array o = outs[k].As<Napi::Float32Array>();
        if (overlaps(o, params) || overlaps(o, grads)) {
          range_error(env, std::string("Net.run: ") + names[k] + " must not share memory with the params or grads buffer");
          return none;
        }
      }
      if (io.state && io.logits && overlaps(sv.As<Napi::Float32Array>(), lv.As<Napi::Float32Array>())) {
        range_error(env, "Net.run: args.state and args.logits must not share memory");
        return none;
      }
    }
    if (!mask_.IsEmpty()) {
      Napi::Uint8Array m = mask_.Value();
      if (m.ElementLength() != c.total) {
        Napi::Error::New(env, "Net.run: the mask buffer was detached or resized").ThrowAsJavaScriptException();
        return none;
      }
      io.mask = m.Data();
    }
    srnn::RunStats st;
    try {
      st = net_->run(params.Data(), grads.Data(), io);
    } catch (const std::bad_alloc&) {
      range_error(env, "Net.run: out of memory for the workspace of batch " + std::to_string(B) + " x steps " +
                           std::to_string(T));
      return none;
    } catch (const std::exception& e) {
      Napi::Error::New(env, std::string("Net.run: ") + e.what()).ThrowAsJavaScriptException();
      return none;
    }
    // Tell V8 about the workspace so that dropped Nets are collected in good time.
    const int64_t bytes = (int64_t)net_->workspaceBytes();
    if (bytes != reported_) {
      Napi::MemoryManagement::AdjustExternalMemory(env, bytes - reported_);
      reported_ = bytes;
    }
    Napi::Object r = Napi::Object::New(env);
    r.Set("loss", Napi::Number::New(env, st.loss));
    r.Set("count", Napi::Number::New(env, (double)st.count));
    r.Set("correct", Napi::Number::New(env, (double)st.correct));
    return r;
  }

  void Finalize(Napi::Env env) override {
    if (reported_) Napi::MemoryManagement::AdjustExternalMemory(env, -reported_);
    reported_ = 0;
  }

  std::unique_ptr<srnn::Net> net_;
  Napi::Reference<Napi::Float32Array> params_, grads_;
  Napi::Reference<Napi::Uint8Array> mask_;  // empty: dense
  int64_t reported_ = 0;  // workspace bytes reported to V8
};

// ---- optimizer loops ------------------------------------------------------------

// The optional mask: null / undefined or a Uint8Array of n elements.
bool get_mask(Napi::Env env, const Napi::Value& v, const std::string& name, size_t n, const uint8_t** out) {
  *out = nullptr;
  if (v.IsNull() || v.IsUndefined()) return true;
  Napi::Uint8Array m;
  if (!get_u8(env, v, name, &m) || !check_len(env, m.ElementLength(), n, name, "params.length")) return false;
  *out = m.Data();
  return true;
}

Napi::Value Sgd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Napi::Value none = env.Undefined();
  if (!check_args(info, 8, "sgd")) return none;
  Napi::Float32Array p, g, v;
  const uint8_t* mask;
  double lr, mom, wd;
  bool nesterov;
  if (!get_f32(env, info[0], "sgd: params", &p) || !get_f32(env, info[1], "sgd: grads", &g) ||
      !get_f32(env, info[2], "sgd: mom", &v) ||
      !check_len(env, g.ElementLength(), p.ElementLength(), "sgd: grads", "params.length") ||
      !check_len(env, v.ElementLength(), p.ElementLength(), "sgd: mom", "params.length") ||
      !get_mask(env, info[3], "sgd: mask", p.ElementLength(), &mask) || !get_num(env, info[4], "sgd: lr", &lr) ||
      !get_num(env, info[5], "sgd: momentum", &mom) || !get_num(env, info[6], "sgd: weightDecay", &wd) ||
      !get_bool(env, info[7], "sgd: nesterov", &nesterov))
    return none;
  srnn::sgd_step(p.Data(), g.Data(), v.Data(), mask, p.ElementLength(), (float)lr, (float)mom, (float)wd, nesterov);
  return none;
}

Napi::Value Adam(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Napi::Value none = env.Undefined();
  if (!check_args(info, 11, "adam")) return none;
  Napi::Float32Array p, g, m, v;
  const uint8_t* mask;
  double lr, b1, b2, eps, wd;
  int step;
  if (!get_f32(env, info[0], "adam: params", &p) || !get_f32(env, info[1], "adam: grads", &g) ||
      !get_f32(env, info[2], "adam: m", &m) || !get_f32(env, info[3], "adam: v", &v) ||
      !check_len(env, g.ElementLength(), p.ElementLength(), "adam: grads", "params.length") ||
      !check_len(env, m.ElementLength(), p.ElementLength(), "adam: m", "params.length") ||
      !check_len(env, v.ElementLength(), p.ElementLength(), "adam: v", "params.length") ||
      !get_mask(env, info[4], "adam: mask", p.ElementLength(), &mask) || !get_num(env, info[5], "adam: lr", &lr) ||
      !get_num(env, info[6], "adam: beta1", &b1) || !get_num(env, info[7], "adam: beta2", &b2) ||
      !get_num(env, info[8], "adam: eps", &eps) || !get_num(env, info[9], "adam: weightDecay", &wd) ||
      !get_int(env, info[10], "adam: step", 1, INT32_MAX, &step))
    return none;
  if (!(b1 >= 0 && b1 < 1) || !(b2 >= 0 && b2 < 1)) {
    range_error(env, "adam: beta1 and beta2 must be in [0, 1)");
    return none;
  }
  srnn::adam_step(p.Data(), g.Data(), m.Data(), v.Data(), mask, p.ElementLength(), (float)lr, (float)b1, (float)b2,
                  (float)eps, (float)wd, step);
  return none;
}

Napi::Value SumSquares(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Float32Array x;
  if (!check_args(info, 1, "sumSquares") || !get_f32(env, info[0], "sumSquares: x", &x)) return env.Undefined();
  return Napi::Number::New(env, srnn::sum_squares(x.Data(), x.ElementLength()));
}

Napi::Value Scale(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Float32Array x;
  double s;
  if (!check_args(info, 2, "scale") || !get_f32(env, info[0], "scale: x", &x) ||
      !get_num(env, info[1], "scale: s", &s))
    return env.Undefined();
  srnn::scale(x.Data(), x.ElementLength(), (float)s);
  return env.Undefined();
}

Napi::Value ApplyMask(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Float32Array p;
  Napi::Uint8Array m;
  if (!check_args(info, 2, "applyMask") || !get_f32(env, info[0], "applyMask: params", &p) ||
      !get_u8(env, info[1], "applyMask: mask", &m) ||
      !check_len(env, m.ElementLength(), p.ElementLength(), "applyMask: mask", "params.length"))
    return env.Undefined();
  srnn::apply_mask(p.Data(), m.Data(), p.ElementLength());
  return env.Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("simdLevel", Napi::Function::New(env, SimdLevel, "simdLevel"));
  exports.Set("simdDetected", Napi::Function::New(env, SimdDetected, "simdDetected"));
  exports.Set("setSimd", Napi::Function::New(env, SetSimd, "setSimd"));
  exports.Set("setThreads", Napi::Function::New(env, SetThreads, "setThreads"));
  exports.Set("getThreads", Napi::Function::New(env, GetThreads, "getThreads"));
  exports.Set("gemm", Napi::Function::New(env, Gemm, "gemm"));
  exports.Set("Net", NetWrap::Define(env));
  exports.Set("sparseDensity", Napi::Number::New(env, srnn::kSparseDensity));
  exports.Set("sgd", Napi::Function::New(env, Sgd, "sgd"));
  exports.Set("adam", Napi::Function::New(env, Adam, "adam"));
  exports.Set("sumSquares", Napi::Function::New(env, SumSquares, "sumSquares"));
  exports.Set("scale", Napi::Function::New(env, Scale, "scale"));
  exports.Set("applyMask", Napi::Function::New(env, ApplyMask, "applyMask"));
  return exports;
}

}  // namespace

NODE_API_MODULE(sparse_rnn, Init)
