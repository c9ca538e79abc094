// Fuzz target for image decoding (PNG and the other formats stb_image reads), with and without
// the grayscale conversion and resizing paths.
#include <cstddef>
#include <cstdint>

#include "cajal/core/error.h"
#include "cajal/data/image_folder.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    cajal::data::decode_image(data, size, "fuzz");
  } catch (const cajal::Error&) {
  }
  try {
    cajal::data::decode_image(data, size, "fuzz", {.grayscale = true, .size = {{7, 5}}});
  } catch (const cajal::Error&) {
  }
  return 0;
}
