// The fspd Node addon: each core function as `name(...)` (sync) and `nameAsync(...)` (Promise, runs
// on the libuv pool so the event loop stays free). Argument order mirrors src/native/addon.ts.
// Every kernel takes a trailing `device` argument: 'cpu' (default) or 'cuda' (fspd/cuda.h, device 0).
// The TypeScript layer (src/native/index.ts) decides which, once per process.
#include <napi.h>

#include <memory>
#include <string>
#include <vector>

#include "convert.h"
#include "fspd/cuda.h"
#include "fspd/fsp.h"
#include "jobs.h"
#include "mapped_file.h"
#include "output_pool.h"

namespace fspd::binding {
namespace {

// A reference the result callback can own (std::function needs copyable captures).
std::shared_ptr<Napi::ObjectReference> Hold(const Napi::Object& object) {
  return std::make_shared<Napi::ObjectReference>(Napi::Persistent(object));
}

// batch·c1·c2 floats: checked, since each factor may reach a map's whole size.
int64_t MatrixSize(Napi::Env env, const MapView& first, const MapView& second, const std::string& name) {
  return CheckedProduct(env, {first.batch, first.channels, second.channels}, name);
}

// Where a kernel runs: the CPU kernels with `cpu` (threads), or the CUDA kernels on `gpu.device`.
struct Target {
  bool cuda = false;
  Context cpu;
  cuda::DeviceContext gpu;

  // The one dispatch: calls kernel(context) with the context of the chosen side. Every kernel exists on both
  // sides with the same arguments followed by its context (fspd/fsp.h, fspd/cuda.h), so a generic lambda
  // calling it unqualified reaches fspd::X for a Context and, by argument-dependent lookup, fspd::cuda::X
  // for a cuda::DeviceContext.
  template <class Kernel>
  auto run(const Kernel& kernel) const {
    return cuda ? kernel(gpu) : kernel(cpu);
  }
};

// threads: see ReadContext; device: undefined | 'cpu' | 'cuda'. 'cuda' without a usable device is refused
// here, on the JS thread.
Target ReadTarget(const Napi::Value& threads, const Napi::Value& value) {
  Target t;
  t.cpu = ReadContext(threads);
  if (value.IsUndefined()) return t;
  if (!value.IsString()) throw Napi::TypeError::New(value.Env(), "device: expected 'cpu' or 'cuda'");
  const std::string d = value.As<Napi::String>().Utf8Value();
  if (d == "cpu") return t;
  if (d != "cuda") throw Napi::RangeError::New(value.Env(), "device: expected 'cpu' or 'cuda', got '" + d + "'");
  if (!cuda::available())
    throw Napi::Error::New(value.Env(), "device 'cuda': no usable CUDA device (" + cuda::device_status().reason + ")");
  t.cuda = true;
  return t;
}

// fspForward(first, second, threads, device, into) -> Float32Array [B, C1, C2]: `into` when given (the
// caller's array, written in place), else a new one.
Napi::Value FspForward(const Napi::CallbackInfo& info, bool async) {
  Napi::Env env = info.Env();
  auto job = std::make_unique<Job>();
  MapView first = ReadMap(info[0], "first", *job);
  MapView second = ReadMap(info[1], "second", *job);
  Target target = ReadTarget(info[2], info[3]);
  const bool given = !info[4].IsUndefined() && !info[4].IsNull();
  const int64_t size = MatrixSize(env, first, second, given ? "into" : "output");
  Napi::Float32Array out = given ? ReadOutput(info[4], "into", size, *job) : NewOutput(env, size, *job);
  float* out_data = out.Data();
  job->run = [=] { target.run([&](const auto& on) { fsp_forward(first, second, out_data, on); }); };
  job->result = [ref = Hold(out)](Napi::Env) { return ref->Value(); };
  return RunJob(env, std::move(job), async);
}

// fspBackward(first, second, gradMatrices, threads) -> {first, second}
Napi::Value FspBackward(const Napi::CallbackInfo& info, bool async) {
  Napi::Env env = info.Env();
  auto job = std::make_unique<Job>();
  MapView first = ReadMap(info[0], "first", *job);
  MapView second = ReadMap(info[1], "second", *job);
  const float* grad = ReadFloats(info[2], "gradMatrices", MatrixSize(env, first, second, "gradMatrices"), *job);
  Target target = ReadTarget(info[3], info[4]);
  Napi::Float32Array grad_first = NewOutput(env, first.size(), *job);
  Napi::Float32Array grad_second = NewOutput(env, second.size(), *job);
  float* gf = grad_first.Data();
  float* gs = grad_second.Data();
  job->run = [=] { target.run([&](const auto& on) { fsp_backward(first, second, grad, gf, gs, on); }); };
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
  Target target = ReadTarget(info[4], info[5]);
  // A target larger than the map is refused by validate.ts (and by the core's check_pool_target before the
  // kernel runs); the output is sized by the target (its size checked: oh and ow reach 2^53), so it is
  // memory-safe either way.
  Napi::Float32Array out = NewOutput(env, CheckedProduct(env, {in.batch, in.channels, oh, ow}, "output"), *job);
  float* out_data = out.Data();
  job->run = [=] { target.run([&](const auto& on) { pool_to(in, oh, ow, pooling, out_data, on); }); };
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
  // Checked: oh and ow reach 2^53, and a wrapped product would take a short gradOut.
  const int64_t size = CheckedProduct(env, {in.batch, in.channels, oh, ow}, "gradOut");
  const float* grad_out = ReadFloats(info[4], "gradOut", size, *job);
  Target target = ReadTarget(info[5], info[6]);
  Napi::Float32Array grad_in = NewOutput(env, in.size(), *job);
  float* grad_in_data = grad_in.Data();
  job->run = [=] { target.run([&](const auto& on) { pool_backward(in, oh, ow, pooling, grad_out, grad_in_data, on); }); };
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

// A device-resident teacher (cudaUploadTeacher) as a JS value: an External owning a handle copy.
using TeacherExternal = Napi::External<cuda::TeacherHandle>;

bool IsTeacherHandle(const Napi::Value& value) { return value.IsExternal(); }

// fspLoss(studentPairs, teacherPairs, teacherMatrices, options, threads, device)
//   teacherMatrices: Float32Array[] or a handle from cudaUploadTeacher (then device must be 'cuda')
//   options: {weights: number[], reduction, pooling, returnGradients, returnTeacherMatrices}
//   -> {loss, pairLosses, gradients?: [{first, second}], teacherMatrices?: Float32Array[]}
Napi::Value FspLoss(const Napi::CallbackInfo& info, bool async) {
  Napi::Env env = info.Env();
  auto job = std::make_unique<Job>();
  std::vector<PairView> student = ReadPairs(info[0], "student", *job);
  std::vector<PairView> teacher_pairs = ReadPairs(info[1], "teacher", *job);
  // Input rules (at least one pair, one teacher entry per pair, weights finite and >= 0, gradientsInto only
  // with returnGradients, one per pair, overlapping nothing) are validate.ts's, with the core's
  // check_loss_arguments as the last line; this function checks types and lengths against declared shapes.

  std::vector<const float*> teacher_matrices;
  cuda::TeacherHandle resident;
  if (IsTeacherHandle(info[2])) {
    // Handles exist only at this level (validate.ts never passes one), and the core's resident-teacher
    // loss does not see teacher_pairs: this is where giving both is refused.
    if (!teacher_pairs.empty())
      throw Napi::TypeError::New(env, "teacher: give teacher pairs or teacher matrices, not both");
    resident = *info[2].As<TeacherExternal>().Data();  // a shared copy keeps the device memory alive
  } else {
    if (!info[2].IsArray()) throw Napi::TypeError::New(env, "teacherMatrices: expected an array or a teacher handle");
    Napi::Array matrices = info[2].As<Napi::Array>();
    for (uint32_t i = 0; i < matrices.Length(); ++i) {
      // Beyond the student pairs there is no shape to check a length against: a null stand-in, never read,
      // because the core rejects the count before any kernel runs.
      const std::string name = "teacherMatrices[" + std::to_string(i) + "]";
      teacher_matrices.push_back(i < student.size() ? ReadFloats(matrices.Get(i), name,
                                                                 MatrixSize(env, student[i].first, student[i].second, name), *job)
                                                    : nullptr);
    }
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
  Target target = ReadTarget(info[4], info[5]);
  if (resident && !target.cuda)
    throw Napi::TypeError::New(env, "teacherMatrices: a CUDA teacher handle needs device 'cuda'");

  // options.gradientsInto: the caller's arrays for the gradients, else new ones. Read only with
  // returnGradients; each entry's lengths are checked here (the kernel writes them).
  Napi::Value into = opts.Get("gradientsInto");
  const bool given = want_gradients && !into.IsUndefined() && !into.IsNull();
  if (given && !into.IsArray()) throw Napi::TypeError::New(env, "options.gradientsInto: expected an array of {first, second}");
  auto grads_first = std::make_shared<std::vector<Napi::ObjectReference>>();
  auto grads_second = std::make_shared<std::vector<Napi::ObjectReference>>();
  auto teacher_out = std::make_shared<std::vector<Napi::ObjectReference>>();
  LossOutputs outputs;
  for (size_t i = 0; i < student.size(); ++i) {
    const PairView& pair = student[i];
    if (want_gradients) {
      const std::string name = "options.gradientsInto[" + std::to_string(i) + "]";
      Napi::Value g = given ? into.As<Napi::Array>().Get(static_cast<uint32_t>(i)) : env.Undefined();
      if (given && !g.IsObject()) throw Napi::TypeError::New(env, name + ": expected {first, second}");
      Napi::Float32Array a = given ? ReadOutput(g.As<Napi::Object>().Get("first"), name + ".first", pair.first.size(), *job)
                                   : NewOutput(env, pair.first.size(), *job);
      Napi::Float32Array b = given ? ReadOutput(g.As<Napi::Object>().Get("second"), name + ".second", pair.second.size(), *job)
                                   : NewOutput(env, pair.second.size(), *job);
      outputs.grad_first.push_back(a.Data());
      outputs.grad_second.push_back(b.Data());
      grads_first->push_back(Napi::Persistent(static_cast<Napi::Object>(a)));
      grads_second->push_back(Napi::Persistent(static_cast<Napi::Object>(b)));
    }
    if (want_teacher) {
      Napi::Float32Array t = NewOutput(env, MatrixSize(env, pair.first, pair.second, "teacherMatrices output"), *job);
      outputs.teacher_matrices.push_back(t.Data());
      teacher_out->push_back(Napi::Persistent(static_cast<Napi::Object>(t)));
    }
  }

  auto result = std::make_shared<LossResult>();
  job->run = [=] {
    *result = resident ? cuda::fsp_loss(student, resident, options, outputs, target.gpu)  // CUDA only
                       : target.run([&](const auto& on) {
                           return fsp_loss(student, teacher_pairs, teacher_matrices, options, outputs, on);
                         });
  };
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
  const cuda::DeviceStatus& status = cuda::device_status();  // cached; never throws, never aborts
  out.Set("cudaDevices", status.count);
  Napi::Array names = Napi::Array::New(env, status.devices.size());
  for (size_t i = 0; i < status.devices.size(); ++i) {
    const cuda::DeviceInfo& d = status.devices[i];
    names.Set(static_cast<uint32_t>(i), d.name + " (sm_" + std::to_string(d.major) + std::to_string(d.minor) + ", " +
                                            std::to_string(d.memory_bytes >> 20) + " MiB)");
  }
  out.Set("cudaDeviceNames", names);
  out.Set("cudaReason", status.reason);
  out.Set("cudaRuntimeVersion", status.runtime_version);
  out.Set("cudaDriverVersion", status.driver_version);
  return out;
}

// cudaUploadTeacher(matrices: Float32Array[], shapes: [batch, c1, c2][]) -> teacher handle (External):
// the teacher's FSP matrices kept on the GPU for fspLoss(..., handle, ..., 'cuda'); freed when the
// handle is garbage-collected.
Napi::Value CudaUploadTeacher(const Napi::CallbackInfo& info, bool async) {
  Napi::Env env = info.Env();
  auto job = std::make_unique<Job>();
  if (!info[0].IsArray() || !info[1].IsArray())
    throw Napi::TypeError::New(env, "cudaUploadTeacher: expected (matrices: Float32Array[], shapes: number[][])");
  Napi::Array matrices = info[0].As<Napi::Array>(), shapes = info[1].As<Napi::Array>();
  if (matrices.Length() != shapes.Length())
    throw Napi::RangeError::New(env, "shapes: " + std::to_string(shapes.Length()) + " shapes for " +
                                         std::to_string(matrices.Length()) + " matrices");
  std::vector<const float*> pointers;
  std::vector<cuda::MatrixShape> dims;
  for (uint32_t i = 0; i < matrices.Length(); ++i) {
    const std::string name = "shapes[" + std::to_string(i) + "]";
    Napi::Value shape = shapes.Get(i);
    if (!shape.IsArray() || shape.As<Napi::Array>().Length() != 3)
      throw Napi::TypeError::New(env, name + ": expected [batch, c1, c2]");
    Napi::Array a = shape.As<Napi::Array>();
    cuda::MatrixShape m{ReadPositiveInt(a.Get(0u), name + "[0]"), ReadPositiveInt(a.Get(1u), name + "[1]"),
                        ReadPositiveInt(a.Get(2u), name + "[2]")};
    dims.push_back(m);
    // Checked: each dimension reaches 2^53, and m.size() would wrap.
    const int64_t size = CheckedProduct(env, {m.batch, m.c1, m.c2}, name);
    pointers.push_back(ReadFloats(matrices.Get(i), "matrices[" + std::to_string(i) + "]", size, *job));
  }
  ReadTarget(env.Undefined(), Napi::String::New(env, "cuda"));  // a clear error now when there is no device
  auto handle = std::make_shared<cuda::TeacherHandle>();
  job->run = [=] { *handle = cuda::upload_teacher_matrices(pointers, dims); };
  job->result = [=](Napi::Env env) {
    return TeacherExternal::New(env, new cuda::TeacherHandle(*handle),
                                [](Napi::Env, cuda::TeacherHandle* h) { delete h; });
  };
  return RunJob(env, std::move(job), async);
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

// toFloat16(data) / toBfloat16(data): a new Uint16Array of the bit patterns of a Float32Array's values
// (fspd::to_float16, to_bfloat16), on the calling thread: a few MiB take well under a millisecond.
template <void (*Convert)(const float*, uint16_t*, int64_t)>
Napi::Value ToHalf(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
    throw Napi::TypeError::New(env, "data: expected a Float32Array");
  const Napi::Float32Array data = info[0].As<Napi::Float32Array>();
  Napi::Uint16Array out = Napi::Uint16Array::New(env, data.ElementLength());
  Convert(data.Data(), out.Data(), static_cast<int64_t>(data.ElementLength()));
  return out;
}

// The bytes a typed array or DataView spans: its data address (node-api adds the byte offset) and length.
struct Bytes {
  uintptr_t begin = 0;
  size_t length = 0;
};

Bytes ViewBytes(const Napi::Value& value, const std::string& name) {
  napi_env env = value.Env();
  void* data = nullptr;
  size_t length = 0;
  napi_status status = napi_invalid_arg;
  if (value.IsTypedArray()) {
    Napi::TypedArray array = value.As<Napi::TypedArray>();
    status = napi_get_typedarray_info(env, array, nullptr, nullptr, &data, nullptr, nullptr);
    length = array.ByteLength();
  } else if (value.IsDataView()) {
    status = napi_get_dataview_info(env, value, &length, &data, nullptr, nullptr);
  }
  if (status != napi_ok) throw Napi::TypeError::New(value.Env(), name + ": expected a typed array or DataView");
  return {reinterpret_cast<uintptr_t>(data), length};
}

// viewsOverlap(a, b) -> whether two views share bytes, by address. Two SharedArrayBuffer objects can be one
// memory (structuredClone or postMessage of one gives another object over it), which comparing the buffer
// objects cannot tell: validate.ts asks here before a kernel writes one view while it reads the other.
Napi::Value ViewsOverlap(const Napi::CallbackInfo& info) {
  const Bytes a = ViewBytes(info[0], "a"), b = ViewBytes(info[1], "b");
  const bool overlap = a.length > 0 && b.length > 0 && a.begin < b.begin + b.length && b.begin < a.begin + a.length;
  return Napi::Boolean::New(info.Env(), overlap);
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
  Export<CudaUploadTeacher>(env, exports, "cudaUploadTeacher");
  exports.Set("buildInfo", Napi::Function::New(env, BuildInfoValue, "buildInfo"));
  exports.Set("measureFmaPeak", Napi::Function::New(env, MeasureFmaPeak, "measureFmaPeak"));
  exports.Set("mapFile", Napi::Function::New(env, MapFile, "mapFile"));
  exports.Set("outputPoolStats", Napi::Function::New(env, OutputPoolStatsValue, "outputPoolStats"));
  exports.Set("outputPoolTrim", Napi::Function::New(env, OutputPoolTrim, "outputPoolTrim"));
  exports.Set("outputArray", Napi::Function::New(env, OutputArray, "outputArray"));
  exports.Set("toFloat16", Napi::Function::New(env, ToHalf<to_float16>, "toFloat16"));
  exports.Set("toBfloat16", Napi::Function::New(env, ToHalf<to_bfloat16>, "toBfloat16"));
  exports.Set("viewsOverlap", Napi::Function::New(env, ViewsOverlap, "viewsOverlap"));
  return exports;
}

}  // namespace
}  // namespace fspd::binding

// NODE_API_MODULE pastes the function name into an identifier, so it needs an unqualified one.
static Napi::Object InitFspd(Napi::Env env, Napi::Object exports) { return fspd::binding::Init(env, exports); }
NODE_API_MODULE(fspd, InitFspd)
