// Internal: the CUDA runtime layer: errors as exceptions, a caching device allocator, and "lanes"
// (a stream plus pinned staging buffers) handed to one call at a time.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "fspd/cuda.h"

namespace fspd::cuda::detail {

// Throws CudaError "fspd cuda: <what>: <cudaErrorName>: <description>" when status is not cudaSuccess.
void check(cudaError_t status, const char* what);
#define FSPD_CUDA_CHECK(call) ::fspd::cuda::detail::check((call), #call)

// Throws CudaError unless ctx.device is a usable device; makes it current on this thread.
void use_device(const DeviceContext& ctx);

// A block of device memory from the per-device cache; returned to the cache (not freed) on destruction.
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  DeviceBuffer(int device, size_t bytes);
  ~DeviceBuffer();
  DeviceBuffer(DeviceBuffer&& other) noexcept;
  DeviceBuffer& operator=(DeviceBuffer&& other) noexcept;
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;

  float* floats() const { return static_cast<float*>(ptr_); }
  double* doubles() const { return static_cast<double*>(ptr_); }
  size_t bytes() const { return bytes_; }

 private:
  void release() noexcept;
  void* ptr_ = nullptr;
  size_t bytes_ = 0;  // the rounded size the block is cached under
  int device_ = 0;
};

// Allocator statistics, for tests: blocks obtained from cudaMalloc vs reused from the cache.
struct AllocatorStats {
  size_t mallocs = 0, reuses = 0, cached_bytes = 0;
};
AllocatorStats allocator_stats(int device);
// The size class a request of `bytes` is rounded up to (also used by the host-side tests).
size_t rounded_size(size_t bytes);

struct Lane;

// One call's resources: a lane (stream + pinned staging) taken from the device's pool, and the device
// buffers the call allocates. The destructor waits for the stream before returning buffers and lane,
// so memory is never reused while a kernel may still touch it, even when the call throws.
class Call {
 public:
  explicit Call(const DeviceContext& ctx);
  ~Call();
  Call(const Call&) = delete;
  Call& operator=(const Call&) = delete;

  cudaStream_t stream() const;
  int device() const { return device_; }

  float* alloc_floats(int64_t n);
  double* alloc_doubles(int64_t n);
  // Host → device through the pinned staging buffers (chunked, double-buffered).
  float* upload(const float* host, int64_t n);
  void upload_to(float* device, const float* host, int64_t n);
  // Device → host through the pinned staging buffers; the data is in `host` on return.
  void download(float* host, const float* device, int64_t n);
  void download(double* host, const double* device, int64_t n);
  // Checks the last launch (call after every kernel launch).
  void launched(const char* what);
  // Waits for the stream and throws on any error it reports.
  void finish();

 private:
  void download_bytes(void* host, const void* device, size_t bytes);
  int device_;
  Lane* lane_;
  std::vector<DeviceBuffer> buffers_;
};

}  // namespace fspd::cuda::detail
