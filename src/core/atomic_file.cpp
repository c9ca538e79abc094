#include "cajal/core/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <utility>

#include "cajal/core/error.h"

namespace cajal {

namespace {

std::string system_error(const std::string& what, const std::filesystem::path& path) {
  return what + " '" + path.string() + "': " + std::strerror(errno);
}

// Distinguishes the temporary files of several writers in one process; the process id
// distinguishes processes.
std::atomic<uint64_t> temporary_counter{0};

std::filesystem::path directory_of(const std::filesystem::path& path) {
  std::filesystem::path directory = path.parent_path();
  return directory.empty() ? std::filesystem::path(".") : directory;
}

}  // namespace

AtomicFile::AtomicFile(std::filesystem::path path) : path_(std::move(path)) {
  if (path_.empty() || !path_.has_filename()) {
    throw IOError("AtomicFile: '" + path_.string() + "' does not name a file");
  }
  std::filesystem::path directory = directory_of(path_);
  // Hidden and suffixed, so a directory listing or a glob for "*.safetensors" never picks up a
  // half-written file.
  // Appended piece by piece: GCC 12 warns falsely (-Wrestrict) on "." + std::string.
  std::string stem = ".";
  stem += path_.filename().string();
  stem += ".tmp.";
  stem += std::to_string(::getpid());
  stem += ".";
  for (int attempt = 0; attempt < 100; ++attempt) {
    temporary_path_ = directory / (stem + std::to_string(temporary_counter.fetch_add(1)));
    fd_ = ::open(temporary_path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd_ >= 0) return;
    if (errno != EEXIST) break;
  }
  std::string message = system_error("cannot create a temporary file for", path_);
  temporary_path_.clear();
  throw IOError(message);
}

AtomicFile::~AtomicFile() {
  if (!committed_) discard();
}

void AtomicFile::discard() noexcept {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  if (!temporary_path_.empty()) {
    ::unlink(temporary_path_.c_str());
    temporary_path_.clear();
  }
}

void AtomicFile::write(const void* data, size_t size) {
  if (fd_ < 0) throw IOError("AtomicFile: write to '" + path_.string() + "' after commit");
  const char* bytes = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t written = ::write(fd_, bytes, size);
    if (written < 0) {
      if (errno == EINTR) continue;
      throw IOError(system_error("cannot write", path_));
    }
    bytes += written;
    size -= static_cast<size_t>(written);
    bytes_written_ += static_cast<size_t>(written);
  }
}

void AtomicFile::commit() {
  if (fd_ < 0) throw IOError("AtomicFile: '" + path_.string() + "' was already committed");
  // The data must be on disk before the rename makes it visible; otherwise a crash could leave
  // the new name pointing at an empty or partial file.
  if (::fsync(fd_) != 0) throw IOError(system_error("cannot flush", path_));
  int fd = std::exchange(fd_, -1);
  if (::close(fd) != 0) throw IOError(system_error("cannot close", path_));
  if (::rename(temporary_path_.c_str(), path_.c_str()) != 0) {
    throw IOError(system_error("cannot rename the temporary file over", path_));
  }
  temporary_path_.clear();
  committed_ = true;
  // The rename itself lives in the directory; flushing the directory makes it durable. Some file
  // systems cannot fsync a directory (EINVAL): the rename is then as durable as they allow.
  std::filesystem::path directory = directory_of(path_);
  int directory_fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (directory_fd < 0) return;
  int result = ::fsync(directory_fd);
  int error = errno;
  ::close(directory_fd);
  if (result != 0 && error != EINVAL && error != EROFS) {
    errno = error;
    throw IOError(system_error("wrote the new contents but cannot flush the directory of", path_));
  }
}

void write_file_atomically(const std::filesystem::path& path,
                           const std::function<void(AtomicFile&)>& write) {
  AtomicFile file(path);
  write(file);
  file.commit();
}

void write_file_atomically(const std::filesystem::path& path, std::string_view contents) {
  write_file_atomically(path, [contents](AtomicFile& file) { file.write(contents); });
}

}  // namespace cajal
