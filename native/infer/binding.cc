// Node-API face of the sparse_infer addon (build/Release/sparse_infer.node); the only
// file of native/infer that knows about JS. Typed face: src/deploy/native-runtime.ts.
//
//   isaDetected() / isaActive() → 'avx512' | 'avx2' | 'scalar'
//   setIsa(name | 'auto')       throws if the CPU lacks it
//   new Model(cfg)              cfg: see ModelConfig in native-runtime.ts; arrays are copied
//   model.advance(x, state)     x Float32Array (D0), state Float32Array (L·S·H), in place
//   model.logits(state, out)    out Float32Array (O)
//   model.run(xs, T, state, logits|null)   T steps of xs (T·D0); logits (T·O) if given
//   model.advanceBatch(xs, states, B)  B ≤ 8 sequences at once: xs (B·D0), states (B·L·S·H)
//   model.weightBytes()         bytes of recurrent weights one step reads on the active path
#include <napi.h>
#include <cstring>
#include "kernels.h"
#include "model.h"

using namespace sinfer;

namespace {

bool throw_if(Napi::Env env, bool cond, const std::string& msg) {
  if (cond) Napi::TypeError::New(env, "sparse_infer: " + msg).ThrowAsJavaScriptException();
  return cond;
}

template <typename T, napi_typedarray_type K>
bool copy_array(Napi::Env env, Napi::Value v, std::vector<T>& out, const char* what) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != K) {
    throw_if(env, true, std::string(what) + " has the wrong array type");
    return false;
  }
  auto a = v.As<Napi::TypedArrayOf<T>>();
  out.assign(a.Data(), a.Data() + a.ElementLength());
  return true;
}

bool get_f32(Napi::Env env, Napi::Object o, const char* key, std::vector<float>& out) {
  return copy_array<float, napi_float32_array>(env, o.Get(key), out, key);
}

bool get_csr(Napi::Env env, Napi::Value v, Csr& m, const char* what) {
  if (throw_if(env, !v.IsObject(), std::string(what) + " must be an object")) return false;
  auto o = v.As<Napi::Object>();
  m.rows = o.Get("rows").As<Napi::Number>().Int32Value();
  m.cols = o.Get("cols").As<Napi::Number>().Int32Value();
  if (!copy_array<uint32_t, napi_uint32_array>(env, o.Get("rowPtr"), m.rowPtr, "rowPtr")) return false;
  auto half = o.Get("valuesHalf");
  auto q = o.Get("valuesInt8");
  if (!half.IsUndefined() && !half.IsNull()) {
    if (!copy_array<uint16_t, napi_uint16_array>(env, half, m.valh, "valuesHalf")) return false;
  } else if (!q.IsUndefined() && !q.IsNull()) {
    if (!copy_array<int8_t, napi_int8_array>(env, q, m.valq, "valuesInt8")) return false;
    if (!copy_array<float, napi_float32_array>(env, o.Get("colScale"), m.colScale, "colScale")) return false;
  } else if (!copy_array<float, napi_float32_array>(env, o.Get("values"), m.val, "values")) {
    return false;
  }
  auto idx = o.Get("colIdx");
  if (idx.IsTypedArray() && idx.As<Napi::TypedArray>().TypedArrayType() == napi_uint16_array) {
    if (!copy_array<uint16_t, napi_uint16_array>(env, idx, m.idx16, "colIdx")) return false;
  } else if (!copy_array<uint32_t, napi_uint32_array>(env, idx, m.idx32, "colIdx")) {
    return false;
  }
  const std::string err = m.check();
  if (throw_if(env, !err.empty(), std::string(what) + ": " + err)) return false;
  m.build_ell();
  return true;
}

Napi::Value IsaName(const Napi::CallbackInfo& info, SimdLevel l) { return Napi::String::New(info.Env(), srnn::simd_name(l)); }

class ModelWrap : public Napi::ObjectWrap<ModelWrap> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "Model", {
      InstanceMethod("advance", &ModelWrap::Advance),
      InstanceMethod("logits", &ModelWrap::Logits),
      InstanceMethod("run", &ModelWrap::Run),
      InstanceMethod("weightBytes", &ModelWrap::WeightBytes),
      InstanceMethod("advanceBatch", &ModelWrap::AdvanceBatch),
    });
  }

  explicit ModelWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ModelWrap>(info) {
    Napi::Env env = info.Env();
    if (throw_if(env, info.Length() < 1 || !info[0].IsObject(), "Model(cfg) needs a config object")) return;
    auto cfg = info[0].As<Napi::Object>();
    Model& m = model_;
    m.cell = cfg.Get("cell").As<Napi::Number>().Int32Value();
    m.relu = cfg.Get("relu").ToBoolean();
    m.resetAfter = cfg.Get("resetAfter").ToBoolean();
    m.H = cfg.Get("hidden").As<Napi::Number>().Int32Value();
    m.O = cfg.Get("outputSize").As<Napi::Number>().Int32Value();
    const std::string mode = cfg.Get("mode").ToString();
    m.mode = mode == "dense" ? Mode::Dense : mode == "naive" ? Mode::Naive : Mode::Sparse;
    if (throw_if(env, m.cell < 0 || m.cell > 2, "cell must be 0, 1 or 2")) return;
    if (throw_if(env, m.resetAfter && m.cell != 2, "resetAfter needs cell 2 (gru)")) return;
    if (throw_if(env, m.H < 1 || m.O < 1, "hidden and outputSize must be >= 1")) return;
    m.G = m.cell == 1 ? 4 : m.cell == 2 ? 3 : 1;
    m.S = m.cell == 1 ? 2 : 1;
    auto layers = cfg.Get("layers").As<Napi::Array>();
    m.L = (int)layers.Length();
    if (throw_if(env, m.L < 1, "at least one layer")) return;
    const size_t GH = (size_t)m.G * m.H;
    for (int l = 0; l < m.L; l++) {
      auto lo = layers.Get(l).As<Napi::Object>();
      Layer ly;
      ly.D = lo.Get("inDim").As<Napi::Number>().Int32Value();
      if (throw_if(env, ly.D < 1 || (l > 0 && ly.D != m.H), "layer inDim is wrong")) return;
      if (!get_f32(env, lo, "bias", ly.bias) || throw_if(env, ly.bias.size() != GH, "bias length is not G*H")) return;
      if (m.resetAfter && (!get_f32(env, lo, "recBias", ly.recBias) ||
                           throw_if(env, ly.recBias.size() != (size_t)m.H, "recBias length is not H"))) return;
      if (m.mode == Mode::Sparse) {
        if (!get_csr(env, lo.Get("main"), ly.main, "main")) return;
        if (throw_if(env, ly.main.rows != (int)GH || ly.main.cols != ly.D + m.H, "main must be (G*H, D+H)")) return;
        if (m.cell == 2) {
          if (!get_csr(env, lo.Get("rec"), ly.rec, "rec")) return;
          if (throw_if(env, ly.rec.rows != m.H || ly.rec.cols != m.H, "rec must be (H, H)")) return;
        }
      } else {
        if (!get_f32(env, lo, "ih", ly.ih) || throw_if(env, ly.ih.size() != (size_t)ly.D * GH, "ih must be D*G*H")) return;
        if (!get_f32(env, lo, "hh", ly.hh) || throw_if(env, ly.hh.size() != (size_t)m.H * GH, "hh must be H*G*H")) return;
      }
      m.layers.push_back(std::move(ly));
    }
    if (!get_f32(env, cfg, "headBias", m.headBias) || throw_if(env, m.headBias.size() != (size_t)m.O, "headBias length is not O")) return;
    if (m.mode == Mode::Sparse) {
      if (!get_csr(env, cfg.Get("head"), m.head, "head")) return;
      if (throw_if(env, m.head.rows != m.O || m.head.cols != m.H, "head must be (O, H)")) return;
    } else if (!get_f32(env, cfg, "headW", m.headW) || throw_if(env, m.headW.size() != (size_t)m.H * m.O, "headW must be H*O")) {
      return;
    }
    m.init_scratch();
  }

 private:
  Model model_;

  bool check_f32(Napi::Env env, Napi::Value v, size_t n, const char* what) {
    const bool ok = v.IsTypedArray() && v.As<Napi::TypedArray>().TypedArrayType() == napi_float32_array &&
                    v.As<Napi::Float32Array>().ElementLength() == n;
    return !throw_if(env, !ok, std::string(what) + " must be a Float32Array of " + std::to_string(n));
  }

  size_t state_len() const { return (size_t)model_.L * model_.S * model_.H; }

  Napi::Value Advance(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!check_f32(env, info[0], model_.layers[0].D, "x") || !check_f32(env, info[1], state_len(), "state")) return env.Undefined();
    model_.advance(info[0].As<Napi::Float32Array>().Data(), info[1].As<Napi::Float32Array>().Data());
    return env.Undefined();
  }

  Napi::Value AdvanceBatch(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (throw_if(env, !info[2].IsNumber(), "B must be a number")) return env.Undefined();
    const int B = info[2].As<Napi::Number>().Int32Value();
    if (throw_if(env, B < 1 || B > Model::kMaxBatch, "B must be from 1 to 8")) return env.Undefined();
    if (!check_f32(env, info[0], (size_t)B * model_.layers[0].D, "xs") ||
        !check_f32(env, info[1], (size_t)B * state_len(), "states")) return env.Undefined();
    model_.advance_batch(info[0].As<Napi::Float32Array>().Data(), info[1].As<Napi::Float32Array>().Data(), B);
    return env.Undefined();
  }

  Napi::Value Logits(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!check_f32(env, info[0], state_len(), "state") || !check_f32(env, info[1], model_.O, "logits")) return env.Undefined();
    model_.logits(info[0].As<Napi::Float32Array>().Data(), info[1].As<Napi::Float32Array>().Data());
    return env.Undefined();
  }

  Napi::Value WeightBytes(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), (double)model_.layer_bytes());
  }

  Napi::Value Run(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (throw_if(env, !info[1].IsNumber(), "T must be a number")) return env.Undefined();
    const int64_t T = info[1].As<Napi::Number>().Int64Value();
    const size_t D = model_.layers[0].D;
    if (throw_if(env, T < 0, "T must be >= 0")) return env.Undefined();
    if (!check_f32(env, info[0], (size_t)T * D, "xs") || !check_f32(env, info[2], state_len(), "state")) return env.Undefined();
    float* logits = nullptr;
    if (!info[3].IsNull() && !info[3].IsUndefined()) {
      if (!check_f32(env, info[3], (size_t)T * model_.O, "logits")) return env.Undefined();
      logits = info[3].As<Napi::Float32Array>().Data();
    }
    const float* xs = info[0].As<Napi::Float32Array>().Data();
    float* state = info[2].As<Napi::Float32Array>().Data();
    for (int64_t t = 0; t < T; t++) {
      model_.advance(xs + t * D, state);
      if (logits) model_.logits(state, logits + t * model_.O);
    }
    return env.Undefined();
  }
};

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("isaDetected", Napi::Function::New(env, [](const Napi::CallbackInfo& info) { return IsaName(info, srnn::simd_detected()); }));
  exports.Set("isaActive", Napi::Function::New(env, [](const Napi::CallbackInfo& info) { return IsaName(info, srnn::simd_level()); }));
  exports.Set("setIsa", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
    Napi::Env env = info.Env();
    const std::string name = info[0].ToString();
    SimdLevel l = name == "avx512" ? SimdLevel::AVX512 : name == "avx2" ? SimdLevel::AVX2 : name == "scalar" ? SimdLevel::Scalar : srnn::simd_detected();
    if (name != "auto" && name != "avx512" && name != "avx2" && name != "scalar") {
      throw_if(env, true, "setIsa takes avx512, avx2, scalar or auto");
      return env.Undefined();
    }
    if (!srnn::set_simd_level(l)) throw_if(env, true, std::string("this CPU lacks ") + name);
    return env.Undefined();
  }));
  exports.Set("Model", ModelWrap::Init(env));
  return exports;
}

}  // namespace

NODE_API_MODULE(sparse_infer, Init)
