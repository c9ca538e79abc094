// Fuzz target for the IDX reader (raw and gzip).
#include <cstddef>
#include <cstdint>

#include "cajal/core/error.h"
#include "cajal/data/idx.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    cajal::data::parse_idx(data, size, "fuzz");
  } catch (const cajal::Error&) {
  }
  return 0;
}
