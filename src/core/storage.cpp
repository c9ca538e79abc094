#include "cajal/core/storage.h"

#include <cstdlib>
#include <new>
#include <string>

#include "cajal/core/error.h"

namespace cajal {

Storage::Storage(size_t bytes) : bytes_(bytes) {
  // aligned_alloc needs a size that is a multiple of the alignment, and non-zero.
  size_t rounded = (bytes + alignment - 1) / alignment * alignment;
  if (rounded == 0) rounded = alignment;
  data_ = std::aligned_alloc(alignment, rounded);
  if (data_ == nullptr) {
    throw Error("out of memory: could not allocate " + std::to_string(bytes) + " bytes");
  }
}

Storage::~Storage() { std::free(data_); }

}  // namespace cajal
