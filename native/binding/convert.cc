#include "convert.h"

#include <cmath>
#include <limits>

#include "output_pool.h"

namespace fspd::binding {
namespace {

[[noreturn]] void ThrowType(Napi::Env env, const std::string& message) {
  throw Napi::TypeError::New(env, message);
}
[[noreturn]] void ThrowRange(Napi::Env env, const std::string& message) {
  throw Napi::RangeError::New(env, message);
}

Napi::Float32Array AsFloat32Array(const Napi::Value& value, const std::string& name) {
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    ThrowType(value.Env(), name + ": expected a Float32Array");
  }
  return value.As<Napi::Float32Array>();
}

Napi::Object AsObject(const Napi::Value& value, const std::string& name) {
  if (!value.IsObject()) ThrowType(value.Env(), name + ": expected an object");
  return value.As<Napi::Object>();
}

}  // namespace

int64_t ReadPositiveInt(const Napi::Value& value, const std::string& name) {
  if (!value.IsNumber()) ThrowType(value.Env(), name + ": expected a number");
  double v = value.As<Napi::Number>().DoubleValue();
  // 2^53: beyond that a JS number no longer holds every integer.
  if (!(v >= 1) || v != std::floor(v) || v > 9007199254740992.0) {
    ThrowRange(value.Env(), name + ": expected a positive integer, got " + value.ToString().Utf8Value());
  }
  return static_cast<int64_t>(v);
}

MapView ReadMap(const Napi::Value& value, const std::string& name, Job& job) {
  Napi::Env env = value.Env();
  Napi::Object map = AsObject(value, name);
  Napi::Float32Array data = AsFloat32Array(map.Get("data"), name + ".data");

  Napi::Value layout_value = map.Get("layout");
  std::string layout = layout_value.IsString() ? layout_value.As<Napi::String>().Utf8Value() : "";
  if (layout != "NHWC" && layout != "NCHW") ThrowRange(env, name + ".layout: expected 'NHWC' or 'NCHW'");

  Napi::Value shape_value = map.Get("shape");
  if (!shape_value.IsArray() || shape_value.As<Napi::Array>().Length() != 4) {
    ThrowType(env, name + ".shape: expected 4 dimensions");
  }
  Napi::Array shape = shape_value.As<Napi::Array>();
  int64_t dims[4];
  int64_t total = 1;
  for (uint32_t i = 0; i < 4; ++i) {
    dims[i] = ReadPositiveInt(shape.Get(i), name + ".shape[" + std::to_string(i) + "]");
    if (dims[i] > std::numeric_limits<int64_t>::max() / total) ThrowRange(env, name + ".shape: too many elements");
    total *= dims[i];
  }
  if (static_cast<int64_t>(data.ElementLength()) != total) {
    ThrowRange(env, name + ".data: length " + std::to_string(data.ElementLength()) + " does not match shape (" +
                        std::to_string(total) + " elements)");
  }
  job.Keep(data);

  MapView view;
  view.data = data.Data();
  view.batch = dims[0];
  if (layout == "NHWC") {
    view.layout = Layout::NHWC;
    view.height = dims[1], view.width = dims[2], view.channels = dims[3];
  } else {
    view.layout = Layout::NCHW;
    view.channels = dims[1], view.height = dims[2], view.width = dims[3];
  }
  return view;
}

PairView ReadPair(const Napi::Value& value, const std::string& name, Job& job) {
  Napi::Object pair = AsObject(value, name);
  return PairView{ReadMap(pair.Get("first"), name + ".first", job), ReadMap(pair.Get("second"), name + ".second", job)};
}

const float* ReadFloats(const Napi::Value& value, const std::string& name, int64_t length, Job& job) {
  Napi::Float32Array array = AsFloat32Array(value, name);
  if (static_cast<int64_t>(array.ElementLength()) != length) {
    ThrowRange(value.Env(), name + ": expected " + std::to_string(length) + " elements, got " +
                                std::to_string(array.ElementLength()));
  }
  job.Keep(array);
  return array.Data();
}

Napi::Float32Array ReadOutput(const Napi::Value& value, const std::string& name, int64_t length, Job& job) {
  ReadFloats(value, name, length, job);
  return value.As<Napi::Float32Array>();
}

Pooling ReadPooling(const Napi::Value& value, const std::string& name) {
  std::string s = value.IsString() ? value.As<Napi::String>().Utf8Value() : "";
  if (s == "max") return Pooling::Max;
  if (s == "avg") return Pooling::Avg;
  ThrowRange(value.Env(), name + ": expected 'max' or 'avg'");
}

Reduction ReadReduction(const Napi::Value& value, const std::string& name) {
  std::string s = value.IsString() ? value.As<Napi::String>().Utf8Value() : "";
  if (s == "paper") return Reduction::Paper;
  if (s == "mean") return Reduction::Mean;
  ThrowRange(value.Env(), name + ": expected 'paper' or 'mean'");
}

Context ReadContext(const Napi::Value& threads) {
  Context ctx;
  if (threads.IsUndefined()) return ctx;
  if (!threads.IsNumber()) ThrowType(threads.Env(), "threads: expected a number");
  // Checked as a double: Int32Value would wrap 2^32 + 1 to 1 and truncate 1.5.
  double v = threads.As<Napi::Number>().DoubleValue();
  if (!(v >= 0 && v <= kMaxThreads) || v != std::floor(v)) {
    ThrowRange(threads.Env(), "threads: expected an integer in [0, " + std::to_string(kMaxThreads) +
                                  "] (0: every hardware thread), got " + threads.ToString().Utf8Value());
  }
  ctx.threads = static_cast<int>(v);
  return ctx;
}

int64_t CheckedProduct(Napi::Env env, std::initializer_list<int64_t> factors, const std::string& name) {
  int64_t product = 1;
  for (int64_t f : factors) {
    if (!__builtin_mul_overflow(product, f, &product)) continue;
    std::string shape;
    for (int64_t g : factors) shape += (shape.empty() ? "" : "x") + std::to_string(g);
    ThrowRange(env, name + ": " + shape + " elements overflow int64");
  }
  return product;
}

Napi::Float32Array NewOutput(Napi::Env env, int64_t n, Job& job) {
  // A Float32Array is limited to 2^32-1 elements by V8 on 64-bit hosts; fail clearly before that.
  if (n <= 0 || n > static_cast<int64_t>(std::numeric_limits<uint32_t>::max())) {
    ThrowRange(env, "output of " + std::to_string(n) + " elements is larger than a Float32Array can hold");
  }
  Napi::Float32Array out = NewPooledFloat32Array(env, static_cast<size_t>(n));
  job.Keep(out);
  return out;
}

}  // namespace fspd::binding
