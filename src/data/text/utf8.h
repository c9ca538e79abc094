#pragma once
// Internal: UTF-8 decoding with validation, and simple case mapping.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace cajal::data::text::detail {

// Decodes the code point starting at text[offset] and advances `offset` past it. ValueError
// "<where>: invalid UTF-8 at byte offset N" for a malformed, overlong or surrogate sequence.
char32_t next_code_point(std::string_view text, size_t& offset, const char* where);
void append_utf8(std::string& out, char32_t code_point);
// Lower case for ASCII, Latin-1, Greek and Cyrillic capitals; other code points unchanged.
char32_t to_lower(char32_t code_point);
// ASCII whitespace (space, \t, \n, \v, \f, \r).
inline bool is_space(char32_t c) { return c == ' ' || (c >= '\t' && c <= '\r'); }
// ASCII punctuation and symbols (!"#$%&'()*+,-./:;<=>?@[\]^_`{|}~).
inline bool is_punctuation(char32_t c) {
  return (c >= '!' && c <= '/') || (c >= ':' && c <= '@') || (c >= '[' && c <= '`') ||
         (c >= '{' && c <= '~');
}

}  // namespace cajal::data::text::detail
