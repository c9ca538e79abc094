// Fuzz target for the NPY reader.
#include <cstddef>
#include <cstdint>

#include "cajal/core/error.h"
#include "cajal/data/npy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    cajal::data::parse_npy(data, size, "fuzz");
  } catch (const cajal::Error&) {
  }
  return 0;
}
