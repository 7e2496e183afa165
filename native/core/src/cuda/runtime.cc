// The CUDA runtime layer (host code, compiled by the C++ compiler against static cudart).
#include "runtime.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <mutex>

namespace fspd::cuda::detail {
namespace {

std::string error_text(cudaError_t status) {
  return std::string(cudaGetErrorName(status)) + ": " + cudaGetErrorString(status);
}

// ---- Caching allocator: freed blocks wait in a per-device multimap keyed by their rounded size ----
struct Cache {
  std::mutex mutex;
  std::multimap<size_t, void*> free_blocks;
  AllocatorStats stats;
};

constexpr int kMaxDevices = 64;
Cache& cache(int device) {
  static Cache caches[kMaxDevices];
  return caches[device];
}

void release_cached(int device) {  // caller holds the cache mutex
  Cache& c = cache(device);
  for (auto& [bytes, p] : c.free_blocks) cudaFree(p);
  c.free_blocks.clear();
  c.stats.cached_bytes = 0;
}

}  // namespace

void check(cudaError_t status, const char* what) {
  if (status == cudaSuccess) return;
  cudaGetLastError();  // clear a non-sticky error so the next call starts clean
  throw CudaError(std::string("fspd cuda: ") + what + ": " + error_text(status));
}

size_t rounded_size(size_t bytes) {
  if (bytes == 0) bytes = 1;
  constexpr size_t kSmall = size_t(1) << 20, kSmallStep = 512, kLargeStep = size_t(2) << 20;
  const size_t step = bytes <= kSmall ? kSmallStep : kLargeStep;
  return (bytes + step - 1) / step * step;
}

AllocatorStats allocator_stats(int device) {
  if (device < 0 || device >= kMaxDevices) return {};
  Cache& c = cache(device);
  std::lock_guard<std::mutex> lock(c.mutex);
  return c.stats;
}

DeviceBuffer::DeviceBuffer(int device, size_t bytes) : bytes_(rounded_size(bytes)), device_(device) {
  Cache& c = cache(device);
  {
    std::lock_guard<std::mutex> lock(c.mutex);
    auto it = c.free_blocks.find(bytes_);
    if (it != c.free_blocks.end()) {
      ptr_ = it->second;
      c.free_blocks.erase(it);
      c.stats.cached_bytes -= bytes_;
      ++c.stats.reuses;
      return;
    }
  }
  cudaError_t status = cudaMalloc(&ptr_, bytes_);
  if (status == cudaErrorMemoryAllocation) {  // give the cached blocks back and try once more
    cudaGetLastError();
    {
      std::lock_guard<std::mutex> lock(c.mutex);
      release_cached(device);
    }
    status = cudaMalloc(&ptr_, bytes_);
  }
  if (status != cudaSuccess) {
    ptr_ = nullptr;
    check(status, ("cudaMalloc(" + std::to_string(bytes_) + " bytes)").c_str());
  }
  std::lock_guard<std::mutex> lock(c.mutex);
  ++c.stats.mallocs;
}

DeviceBuffer::~DeviceBuffer() { release(); }

DeviceBuffer::DeviceBuffer(DeviceBuffer&& other) noexcept
    : ptr_(other.ptr_), bytes_(other.bytes_), device_(other.device_) {
  other.ptr_ = nullptr;
}

DeviceBuffer& DeviceBuffer::operator=(DeviceBuffer&& other) noexcept {
  if (this != &other) {
    release();
    ptr_ = other.ptr_;
    bytes_ = other.bytes_;
    device_ = other.device_;
    other.ptr_ = nullptr;
  }
  return *this;
}

void DeviceBuffer::release() noexcept {
  if (ptr_ == nullptr) return;
  Cache& c = cache(device_);
  std::lock_guard<std::mutex> lock(c.mutex);
  c.free_blocks.emplace(bytes_, ptr_);
  c.stats.cached_bytes += bytes_;
  ptr_ = nullptr;
}

// ---- Lanes ----------------------------------------------------------------------------------------
// Two pinned staging slots of kChunk bytes: while one is copied by the DMA engine, the host fills or
// drains the other. Each slot has an event that says when the device is done with it.
constexpr size_t kChunk = size_t(8) << 20;

struct Lane {
  int device = 0;
  cudaStream_t stream = nullptr;
  void* slots[2] = {nullptr, nullptr};
  cudaEvent_t done[2] = {nullptr, nullptr};
  bool busy[2] = {false, false};  // an event was recorded for the slot since it was last waited on

  ~Lane() {
    for (int i = 0; i < 2; ++i) {
      if (done[i]) cudaEventDestroy(done[i]);
      if (slots[i]) cudaFreeHost(slots[i]);
    }
    if (stream) cudaStreamDestroy(stream);
  }
  void wait(int slot) {
    if (!busy[slot]) return;
    FSPD_CUDA_CHECK(cudaEventSynchronize(done[slot]));
    busy[slot] = false;
  }
};

namespace {

struct LanePool {
  std::mutex mutex;
  std::vector<std::unique_ptr<Lane>> idle;
};
LanePool& lane_pool(int device) {
  static LanePool pools[kMaxDevices];
  return pools[device];
}

Lane* acquire_lane(int device) {
  LanePool& pool = lane_pool(device);
  {
    std::lock_guard<std::mutex> lock(pool.mutex);
    if (!pool.idle.empty()) {
      Lane* lane = pool.idle.back().release();
      pool.idle.pop_back();
      return lane;
    }
  }
  auto lane = std::make_unique<Lane>();
  lane->device = device;
  FSPD_CUDA_CHECK(cudaStreamCreateWithFlags(&lane->stream, cudaStreamNonBlocking));
  for (int i = 0; i < 2; ++i) {
    FSPD_CUDA_CHECK(cudaHostAlloc(&lane->slots[i], kChunk, cudaHostAllocDefault));
    FSPD_CUDA_CHECK(cudaEventCreateWithFlags(&lane->done[i], cudaEventDisableTiming));
  }
  return lane.release();
}

void release_lane(Lane* lane) {
  LanePool& pool = lane_pool(lane->device);
  std::lock_guard<std::mutex> lock(pool.mutex);
  pool.idle.emplace_back(lane);
}

}  // namespace

void use_device(const DeviceContext& ctx) {
  const DeviceStatus& status = device_status();
  if (!status.compiled) throw CudaError("fspd cuda: this build has no CUDA kernels (built with FSPD_CUDA=OFF or without nvcc)");
  if (status.count == 0) throw CudaError("fspd cuda: no usable CUDA device (" + status.reason + ")");
  if (ctx.device < 0 || ctx.device >= status.count || ctx.device >= kMaxDevices)
    throw ArgumentError(ArgumentError::Kind::Range, "device: " + std::to_string(ctx.device) + " is not one of the " +
                                                        std::to_string(status.count) + " CUDA devices");
  FSPD_CUDA_CHECK(cudaSetDevice(ctx.device));
}

Call::Call(const DeviceContext& ctx) : device_(ctx.device), lane_(nullptr) {
  use_device(ctx);
  lane_ = acquire_lane(device_);
}

Call::~Call() {
  if (lane_ == nullptr) return;
  // Whatever happened, nothing may still run on the stream when its buffers go back to the cache.
  const cudaError_t status = cudaStreamSynchronize(lane_->stream);
  buffers_.clear();
  if (status == cudaSuccess) {
    lane_->busy[0] = lane_->busy[1] = false;
    release_lane(lane_);
  } else {
    cudaGetLastError();
    delete lane_;  // a failed stream is not reused
  }
}

cudaStream_t Call::stream() const { return lane_->stream; }

float* Call::alloc_floats(int64_t n) {
  buffers_.emplace_back(device_, static_cast<size_t>(n) * sizeof(float));
  return buffers_.back().floats();
}

double* Call::alloc_doubles(int64_t n) {
  buffers_.emplace_back(device_, static_cast<size_t>(n) * sizeof(double));
  return buffers_.back().doubles();
}

float* Call::upload(const float* host, int64_t n) {
  float* device = alloc_floats(n);
  upload_to(device, host, n);
  return device;
}

void Call::upload_to(float* device, const float* host, int64_t n) {
  const char* src = reinterpret_cast<const char*>(host);
  char* dst = reinterpret_cast<char*>(device);
  size_t left = static_cast<size_t>(n) * sizeof(float);
  for (int slot = 0; left > 0; slot ^= 1) {
    const size_t bytes = std::min(left, kChunk);
    lane_->wait(slot);  // the DMA of the slot's previous chunk is done
    std::memcpy(lane_->slots[slot], src, bytes);
    FSPD_CUDA_CHECK(cudaMemcpyAsync(dst, lane_->slots[slot], bytes, cudaMemcpyHostToDevice, lane_->stream));
    FSPD_CUDA_CHECK(cudaEventRecord(lane_->done[slot], lane_->stream));
    lane_->busy[slot] = true;
    src += bytes;
    dst += bytes;
    left -= bytes;
  }
}

void Call::download_bytes(void* host, const void* device, size_t total) {
  char* dst = static_cast<char*>(host);
  const char* src = static_cast<const char*>(device);
  // Chunk i is copied into slot i%2 while the host drains chunk i-1 from the other slot.
  size_t pending_bytes[2] = {0, 0};
  char* pending_dst[2] = {nullptr, nullptr};
  size_t offset = 0;
  int slot = 0;
  auto drain = [&](int s) {
    if (pending_bytes[s] == 0) return;
    lane_->wait(s);
    std::memcpy(pending_dst[s], lane_->slots[s], pending_bytes[s]);
    pending_bytes[s] = 0;
  };
  while (offset < total) {
    const size_t bytes = std::min(total - offset, kChunk);
    drain(slot);  // the slot's previous chunk is out before it is overwritten
    lane_->wait(slot);
    FSPD_CUDA_CHECK(cudaMemcpyAsync(lane_->slots[slot], src + offset, bytes, cudaMemcpyDeviceToHost, lane_->stream));
    FSPD_CUDA_CHECK(cudaEventRecord(lane_->done[slot], lane_->stream));
    lane_->busy[slot] = true;
    pending_bytes[slot] = bytes;
    pending_dst[slot] = dst + offset;
    offset += bytes;
    slot ^= 1;
    drain(slot);  // the other slot's chunk, copied while this one was queued
  }
  drain(0);
  drain(1);
}

void Call::download(float* host, const float* device, int64_t n) {
  download_bytes(host, device, static_cast<size_t>(n) * sizeof(float));
}

void Call::download(double* host, const double* device, int64_t n) {
  download_bytes(host, device, static_cast<size_t>(n) * sizeof(double));
}

void Call::launched(const char* what) { check(cudaGetLastError(), what); }

void Call::finish() { FSPD_CUDA_CHECK(cudaStreamSynchronize(lane_->stream)); }

}  // namespace fspd::cuda::detail
