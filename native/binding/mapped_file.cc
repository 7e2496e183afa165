// mapFile(path, byteSize) -> ArrayBuffer over the first byteSize bytes of a file, mapped shared and
// read-write, so what another process writes into the file (a tmpfs under /dev/shm or a memory-backed pod
// volume) is seen without a copy, and what fspd writes is seen by it. The mapping lives until the
// ArrayBuffer is garbage-collected. Every page of the range is allocated first (posix_fallocate), so a
// full filesystem is an error here, not a SIGBUS later. POSIX only; elsewhere it throws and fspd reads
// through the file.
#include "mapped_file.h"

#include <cerrno>
#include <cstring>
#include <string>

#if defined(__unix__) || defined(__APPLE__)
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#define FSPD_HAVE_MMAP 1
#endif

namespace fspd::binding {

Napi::Value MapFile(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsString()) throw Napi::TypeError::New(env, "path: expected a string");
  if (!info[1].IsNumber()) throw Napi::TypeError::New(env, "byteSize: expected a number");
  const std::string path = info[0].As<Napi::String>().Utf8Value();
  const double requested = info[1].As<Napi::Number>().DoubleValue();
  if (!(requested >= 1) || requested > 9007199254740991.0 || requested != static_cast<double>(static_cast<int64_t>(requested)))
    throw Napi::RangeError::New(env, "byteSize: expected an integer >= 1");
  const auto size = static_cast<size_t>(requested);
#ifdef FSPD_HAVE_MMAP
  // O_NOFOLLOW: a symlink put in place of a checked file is refused, not followed.
  const int fd = open(path.c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) throw Napi::Error::New(env, path + ": " + std::strerror(errno));
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    const int stat_errno = errno;
    close(fd);
    throw Napi::Error::New(env, path + ": fstat: " + std::strerror(stat_errno));
  }
  // One link only: a hard link to a file elsewhere (same filesystem) is refused too.
  if (!S_ISREG(st.st_mode) || st.st_nlink != 1 || static_cast<uint64_t>(st.st_size) < size) {
    const std::string why = !S_ISREG(st.st_mode) ? "not a regular file"
                            : st.st_nlink != 1 ? "has " + std::to_string(st.st_nlink) + " hard links, expected 1"
                                               : "holds " + std::to_string(st.st_size) + " bytes, fewer than byteSize " + std::to_string(size);
    close(fd);
    throw Napi::RangeError::New(env, path + ": " + why);
  }
  // Back every page now: clients make regions with ftruncate (a sparse file), and a page of a full tmpfs
  // that fspd first touches in a call (e.g. writing gradients) would be SIGBUS. Holes are filled with zeros;
  // bytes already there stay.
  const int alloc_errno = posix_fallocate(fd, 0, static_cast<off_t>(size));
  if (alloc_errno != 0) {
    close(fd);
    throw Napi::RangeError::New(env, path + ": cannot back " + std::to_string(size) + " bytes: " + std::strerror(alloc_errno));
  }
  void* data = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  const int map_errno = errno;
  close(fd);  // the mapping keeps the file open
  if (data == MAP_FAILED) throw Napi::Error::New(env, path + ": mmap: " + std::strerror(map_errno));
  return Napi::ArrayBuffer::New(env, data, size, [size](Napi::Env, void* p) { munmap(p, size); });
#else
  throw Napi::Error::New(env, "mapFile: memory-mapped files are not supported on this platform");
#endif
}

}  // namespace fspd::binding
