#pragma once
// AtomicFile: replaces a file so that a reader (or a crash) sees either the old contents or the
// new ones, never a mix. Bytes go to a temporary file in the target's directory; commit() flushes
// it to disk (fsync), renames it over the target and flushes the directory entry. If commit() is
// never reached (an exception, an early return), the destructor removes the temporary file and
// the old target is untouched. A crash at any point leaves the last good file in place.
//
//   AtomicFile file("run/last.safetensors");
//   file.write(header.data(), header.size());
//   file.write(tensor.raw_data(), nbytes);
//   file.commit();
#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

namespace cajal {

class AtomicFile {
 public:
  // Creates the temporary file next to `path`. IOError naming the path when the directory is
  // missing or not writable.
  explicit AtomicFile(std::filesystem::path path);
  // Removes the temporary file unless commit() succeeded.
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  // Appends bytes; IOError (disk full, ...) naming the target. Not allowed after commit().
  void write(const void* data, size_t size);
  void write(std::string_view bytes) { write(bytes.data(), bytes.size()); }
  // Makes the new contents durable and visible under the target's name. IOError on failure. If
  // the failure comes before the rename (fsync, close, rename), the target keeps its old contents
  // and the temporary file is removed; if only the final directory flush fails, the new contents
  // are in place but may not survive a power loss, and the message says so.
  void commit();

  const std::filesystem::path& path() const { return path_; }
  const std::filesystem::path& temporary_path() const { return temporary_path_; }
  size_t bytes_written() const { return bytes_written_; }

 private:
  void discard() noexcept;

  std::filesystem::path path_;
  std::filesystem::path temporary_path_;
  int fd_ = -1;
  size_t bytes_written_ = 0;
  bool committed_ = false;
};

// Runs `write` on an AtomicFile for `path` and commits it; if `write` throws, the exception
// propagates and `path` is untouched.
void write_file_atomically(const std::filesystem::path& path,
                           const std::function<void(AtomicFile&)>& write);
// Replaces `path` with `contents` atomically.
void write_file_atomically(const std::filesystem::path& path, std::string_view contents);

}  // namespace cajal
