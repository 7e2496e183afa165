// The fspd Node addon: each core function as `name(...)` (sync) and `nameAsync(...)` (Promise, runs
// on the libuv pool so the event loop stays free). Argument order mirrors src/native/addon.ts.
#include <napi.h>

#include <memory>
#include <string>
#include <vector>

#include "convert.h"
#include "fspd/fsp.h"
#include "jobs.h"

namespace fspd::binding {
namespace {

// A reference the result callback can own (std::function needs copyable captures).
std::shared_ptr<Napi::ObjectReference> Hold(const Napi::Object& object) {
  return std::make_shared<Napi::ObjectReference>(Napi::Persistent(object));
}

int64_t MatrixSize(const MapView& first, const MapView& second) { return first.batch * first.channels * second.channels; }

// fspForward(first, second, threads) -> Float32Array [B, C1, C2]
Napi::Value FspForward(const Napi::CallbackInfo& info, bool async) {
  Napi::Env env = info.Env();
  auto job = std::make_unique<Job>();
  MapView first = ReadMap(info[0], "first", *job);
  MapView second = ReadMap(info[1], "second", *job);
  Context ctx = ReadContext(info[2]);
  Napi::Float32Array out = NewOutput(env, MatrixSize(first, second), *job);
  float* out_data = out.Data();
  job->run = [=] { fsp_forward(first, second, out_data, ctx); };
  job->result = [ref = Hold(out)](Napi::Env) { return ref->Value(); };
  return RunJob(env, std::move(job), async);
}

// fspBackward(first, second, gradMatrices, threads) -> {first, second}
Napi::Value FspBackward(const Napi::CallbackInfo& info, bool async) {
  Napi::Env env = info.Env();
  auto job = std::make_unique<Job>();
  MapView first = ReadMap(info[0], "first", *job);
  MapView second = ReadMap(info[1], "second", *job);
  const float* grad = ReadFloats(info[2], "gradMatrices", MatrixSize(first, second), *job);
  Context ctx = ReadContext(info[3]);
  Napi::Float32Array grad_first = NewOutput(env, first.size(), *job);
  Napi::Float32Array grad_second = NewOutput(env, second.size(), *job);
  float* gf = grad_first.Data();
  float* gs = grad_second.Data();
  job->run = [=] { fsp_backward(first, second, grad, gf, gs, ctx); };
  job->result = [a = Hold(grad_first), b = Hold(grad_second)](Napi::Env env) {
    Napi::Object result = Napi::Object::New(env);
    result.Set("first", a->Value());
    result.Set("second", b->Value());
    return result;
  };
  return RunJob(env, std::move(job), async);
}

// poolTo(map, outHeight, outWidth, pooling, threads) -> Float32Array
Napi::Value PoolTo(const Napi::CallbackInfo& info, bool async) {
  Napi::Env env = info.Env();
  auto job = std::make_unique<Job>();
  MapView in = ReadMap(info[0], "map", *job);
  int64_t oh = ReadPositiveInt(info[1], "outHeight");
  int64_t ow = ReadPositiveInt(info[2], "outWidth");
  Pooling pooling = ReadPooling(info[3], "pooling");
  Context ctx = ReadContext(info[4]);
  if (oh > in.height || ow > in.width) {
    throw Napi::RangeError::New(env, "outHeight x outWidth: " + std::to_string(oh) + "x" + std::to_string(ow) +
                                         " exceeds the map's " + std::to_string(in.height) + "x" + std::to_string(in.width));
  }
  Napi::Float32Array out = NewOutput(env, in.batch * in.channels * oh * ow, *job);
  float* out_data = out.Data();
  job->run = [=] { pool_to(in, oh, ow, pooling, out_data, ctx); };
  job->result = [ref = Hold(out)](Napi::Env) { return ref->Value(); };
  return RunJob(env, std::move(job), async);
}

// poolBackward(map, outHeight, outWidth, pooling, gradOut, threads) -> Float32Array (map's shape)
Napi::Value PoolBackward(const Napi::CallbackInfo& info, bool async) {
  Napi::Env env = info.Env();
  auto job = std::make_unique<Job>();
  MapView in = ReadMap(info[0], "map", *job);
  int64_t oh = ReadPositiveInt(info[1], "outHeight");
  int64_t ow = ReadPositiveInt(info[2], "outWidth");
  Pooling pooling = ReadPooling(info[3], "pooling");
  const float* grad_out = ReadFloats(info[4], "gradOut", in.batch * in.channels * oh * ow, *job);
  Context ctx = ReadContext(info[5]);
  Napi::Float32Array grad_in = NewOutput(env, in.size(), *job);
  float* grad_in_data = grad_in.Data();
  job->run = [=] { pool_backward(in, oh, ow, pooling, grad_out, grad_in_data, ctx); };
  job->result = [ref = Hold(grad_in)](Napi::Env) { return ref->Value(); };
  return RunJob(env, std::move(job), async);
}

std::vector<PairView> ReadPairs(const Napi::Value& value, const std::string& name, Job& job) {
  if (!value.IsArray()) throw Napi::TypeError::New(value.Env(), name + ": expected an array of pairs");
  Napi::Array array = value.As<Napi::Array>();
  std::vector<PairView> pairs;
  for (uint32_t i = 0; i < array.Length(); ++i) {
    pairs.push_back(ReadPair(array.Get(i), name + "[" + std::to_string(i) + "]", job));
  }
  return pairs;
}

Napi::Array ToArray(Napi::Env env, const std::vector<Napi::ObjectReference>& refs) {
  Napi::Array array = Napi::Array::New(env, refs.size());
  for (size_t i = 0; i < refs.size(); ++i) array.Set(static_cast<uint32_t>(i), refs[i].Value());
  return array;
}

// fspLoss(studentPairs, teacherPairs, teacherMatrices, options, threads)
//   options: {weights: number[], reduction, pooling, returnGradients, returnTeacherMatrices}
//   -> {loss, pairLosses, gradients?: [{first, second}], teacherMatrices?: Float32Array[]}
Napi::Value FspLoss(const Napi::CallbackInfo& info, bool async) {
  Napi::Env env = info.Env();
  auto job = std::make_unique<Job>();
  std::vector<PairView> student = ReadPairs(info[0], "student", *job);
  std::vector<PairView> teacher_pairs = ReadPairs(info[1], "teacher", *job);
  if (student.empty()) throw Napi::RangeError::New(env, "student: expected at least one pair");

  std::vector<const float*> teacher_matrices;
  if (!info[2].IsArray()) throw Napi::TypeError::New(env, "teacherMatrices: expected an array");
  Napi::Array matrices = info[2].As<Napi::Array>();
  for (uint32_t i = 0; i < matrices.Length() && i < student.size(); ++i) {
    teacher_matrices.push_back(ReadFloats(matrices.Get(i), "teacherMatrices[" + std::to_string(i) + "]",
                                          MatrixSize(student[i].first, student[i].second), *job));
  }
  if (matrices.Length() != teacher_matrices.size()) {
    throw Napi::RangeError::New(env, "teacherMatrices: " + std::to_string(matrices.Length()) +
                                         " matrices for " + std::to_string(student.size()) + " student pairs");
  }

  if (!info[3].IsObject()) throw Napi::TypeError::New(env, "options: expected an object");
  Napi::Object opts = info[3].As<Napi::Object>();
  LossOptions options;
  options.reduction = ReadReduction(opts.Get("reduction"), "options.reduction");
  options.pooling = ReadPooling(opts.Get("pooling"), "options.pooling");
  if (!opts.Get("weights").IsArray()) throw Napi::TypeError::New(env, "options.weights: expected an array");
  Napi::Array weights = opts.Get("weights").As<Napi::Array>();
  for (uint32_t i = 0; i < weights.Length(); ++i) {
    Napi::Value w = weights.Get(i);
    if (!w.IsNumber()) throw Napi::TypeError::New(env, "options.weights[" + std::to_string(i) + "]: expected a number");
    options.weights.push_back(w.As<Napi::Number>().FloatValue());
  }
  bool want_gradients = opts.Get("returnGradients").ToBoolean();
  bool want_teacher = opts.Get("returnTeacherMatrices").ToBoolean() && !teacher_pairs.empty();
  Context ctx = ReadContext(info[4]);

  auto grads_first = std::make_shared<std::vector<Napi::ObjectReference>>();
  auto grads_second = std::make_shared<std::vector<Napi::ObjectReference>>();
  auto teacher_out = std::make_shared<std::vector<Napi::ObjectReference>>();
  LossOutputs outputs;
  for (const PairView& pair : student) {
    if (want_gradients) {
      Napi::Float32Array a = NewOutput(env, pair.first.size(), *job);
      Napi::Float32Array b = NewOutput(env, pair.second.size(), *job);
      outputs.grad_first.push_back(a.Data());
      outputs.grad_second.push_back(b.Data());
      grads_first->push_back(Napi::Persistent(static_cast<Napi::Object>(a)));
      grads_second->push_back(Napi::Persistent(static_cast<Napi::Object>(b)));
    }
    if (want_teacher) {
      Napi::Float32Array t = NewOutput(env, MatrixSize(pair.first, pair.second), *job);
      outputs.teacher_matrices.push_back(t.Data());
      teacher_out->push_back(Napi::Persistent(static_cast<Napi::Object>(t)));
    }
  }

  auto result = std::make_shared<LossResult>();
  job->run = [=] { *result = fsp_loss(student, teacher_pairs, teacher_matrices, options, outputs, ctx); };
  job->result = [=](Napi::Env env) {
    Napi::Object out = Napi::Object::New(env);
    out.Set("loss", result->loss);
    Napi::Array pair_losses = Napi::Array::New(env, result->pair_losses.size());
    for (size_t i = 0; i < result->pair_losses.size(); ++i) pair_losses.Set(static_cast<uint32_t>(i), result->pair_losses[i]);
    out.Set("pairLosses", pair_losses);
    if (want_gradients) {
      Napi::Array gradients = Napi::Array::New(env, grads_first->size());
      for (size_t i = 0; i < grads_first->size(); ++i) {
        Napi::Object g = Napi::Object::New(env);
        g.Set("first", (*grads_first)[i].Value());
        g.Set("second", (*grads_second)[i].Value());
        gradients.Set(static_cast<uint32_t>(i), g);
      }
      out.Set("gradients", gradients);
    }
    if (want_teacher) out.Set("teacherMatrices", ToArray(env, *teacher_out));
    return out;
  };
  return RunJob(env, std::move(job), async);
}

Napi::Value BuildInfoValue(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  BuildInfo b = build_info();
  Napi::Object out = Napi::Object::New(env);
  out.Set("version", b.version);
  out.Set("compiler", b.compiler);
  out.Set("simd", b.simd);
  out.Set("threads", b.threads);
  out.Set("cudaCompiled", b.cuda_compiled);
  return out;
}

// measureFmaPeak(threads, seconds) -> Promise<GFLOP/s>; async so a probe never blocks the event loop.
Napi::Value MeasureFmaPeak(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto job = std::make_unique<Job>();
  Context ctx = ReadContext(info[0]);
  double seconds = info[1].IsNumber() ? info[1].As<Napi::Number>().DoubleValue() : 0.2;
  if (!(seconds > 0 && seconds <= 10)) throw Napi::RangeError::New(env, "seconds: expected a number in (0, 10]");
  auto gflops = std::make_shared<double>(0);
  job->run = [=] { *gflops = measure_fma_peak_gflops(ctx.threads, seconds); };
  job->result = [=](Napi::Env env) { return Napi::Number::New(env, *gflops); };
  return RunJob(env, std::move(job), true);
}

template <Napi::Value (*Fn)(const Napi::CallbackInfo&, bool), bool Async>
Napi::Value Bind(const Napi::CallbackInfo& info) {
  return Fn(info, Async);
}

template <Napi::Value (*Fn)(const Napi::CallbackInfo&, bool)>
void Export(Napi::Env env, Napi::Object exports, const std::string& name) {
  exports.Set(name, Napi::Function::New(env, Bind<Fn, false>, name));
  exports.Set(name + "Async", Napi::Function::New(env, Bind<Fn, true>, name + "Async"));
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  Export<FspForward>(env, exports, "fspForward");
  Export<FspBackward>(env, exports, "fspBackward");
  Export<PoolTo>(env, exports, "poolTo");
  Export<PoolBackward>(env, exports, "poolBackward");
  Export<FspLoss>(env, exports, "fspLoss");
  exports.Set("buildInfo", Napi::Function::New(env, BuildInfoValue, "buildInfo"));
  exports.Set("measureFmaPeak", Napi::Function::New(env, MeasureFmaPeak, "measureFmaPeak"));
  return exports;
}

}  // namespace
}  // namespace fspd::binding

// NODE_API_MODULE pastes the function name into an identifier, so it needs an unqualified one.
static Napi::Object InitFspd(Napi::Env env, Napi::Object exports) { return fspd::binding::Init(env, exports); }
NODE_API_MODULE(fspd, InitFspd)
