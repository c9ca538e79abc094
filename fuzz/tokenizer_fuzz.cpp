// Fuzz target for tokenizer files: the bytes are read as a tokenizer's JSON (tokenizer_from_json);
// a tokenizer that loads must then encode and decode text, including its own JSON and the raw
// input bytes, and write itself out again identically. Only cajal::Error may escape the parser.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "cajal/core/error.h"
#include "cajal/data/text/tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  std::unique_ptr<cajal::data::text::Tokenizer> tokenizer;
  try {
    tokenizer = cajal::data::text::tokenizer_from_json(bytes);
  } catch (const cajal::Error&) {
    return 0;
  }
  for (std::string_view text : {std::string_view("Hello, wörld! <unk> 123\n"), bytes}) {
    try {
      const std::vector<int64_t> ids = tokenizer->encode(text);
      tokenizer->decode(ids, false);
      tokenizer->decode(ids, true);
    } catch (const cajal::Error&) {
      // Unknown tokens without <unk> and invalid UTF-8 are legitimate errors.
    }
  }
  std::vector<int64_t> all_ids;
  for (int64_t id = 0; id < tokenizer->vocab_size(); ++id) all_ids.push_back(id);
  tokenizer->decode(all_ids, false);
  // A loaded tokenizer writes itself back as it was read.
  const std::string json = tokenizer->to_json();
  if (cajal::data::text::tokenizer_from_json(json)->to_json() != json) std::abort();
  return 0;
}
