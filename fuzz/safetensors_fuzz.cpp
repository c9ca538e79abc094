// Fuzz target for the safetensors reader (header length, JSON header, offsets, BOOL bytes).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "cajal/core/error.h"
#include "cajal/data/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    cajal::data::parse_safetensors(std::string_view(reinterpret_cast<const char*>(data), size),
                                   "fuzz");
  } catch (const cajal::Error&) {
  }
  return 0;
}
