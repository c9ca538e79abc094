#pragma once
// Internal: reading the JSON forms of vocabularies and tokenizers with errors that point at the
// offending field ("tokenizer_from_json: /vocabulary/tokens/3: expected a string").
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "cajal/data/text/vocabulary.h"

namespace cajal::data::text::detail {

using Json = nlohmann::json;

// Throws SpecError "<where>: <path>: <what>".
[[noreturn]] void fail(const std::string& where, const std::string& path, const std::string& what);
// Parses `text`; SpecError "<where>: invalid JSON: ..." on a syntax error.
Json parse(std::string_view text, const std::string& where);
// `value[key]`; SpecError when `value` is not an object or lacks the key.
const Json& field(const Json& value, const char* key, const std::string& where,
                  const std::string& path);
std::string as_string(const Json& value, const std::string& where, const std::string& path);
int64_t as_integer(const Json& value, const std::string& where, const std::string& path);
bool as_bool(const Json& value, const std::string& where, const std::string& path);
const Json& as_array(const Json& value, const std::string& where, const std::string& path);

Json vocabulary_to_json(const Vocabulary& vocabulary);
Vocabulary vocabulary_from_json(const Json& value, const std::string& where,
                                const std::string& path);

// JSON text of `value`; ValueError when a string in it is not valid UTF-8.
std::string dump(const Json& value);

}  // namespace cajal::data::text::detail
