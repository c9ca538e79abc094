#pragma once
// SpecReader: reads one JSON object of a model spec and validates every field on the way, so that
// each error names the JSON pointer of the offending value and what was expected:
//   /model/3/kernel: expected a positive integer, got -1
//   /optimizer: unknown key "betas1" (expected one of: type, lr, betas, eps, weight_decay)
//
//   SpecReader layer(json, "/model/3");
//   int64_t kernel = layer.positive_integer("kernel");
//   double p = layer.number("p", 0.5, {.min = 0, .max = 1});
//   layer.finish();   // SpecError for every key that was never read
//
// Every getter records the key as known; finish() rejects the others, so a misspelt option is an
// error instead of being silently ignored.
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cajal/core/error.h"

namespace cajal::train {

using Json = nlohmann::json;

// Describes a JSON value for messages: `-1`, `"relu"`, `an object`, `an array of 3`...
std::string describe_json(const Json& value);
// Escapes a key for a JSON pointer ("~" -> "~0", "/" -> "~1").
std::string pointer_token(const std::string& key);

struct NumberRange {
  std::optional<double> min{};  // inclusive unless min_exclusive
  std::optional<double> max{};  // inclusive unless max_exclusive
  bool min_exclusive = false;
  bool max_exclusive = false;
};

class SpecReader {
 public:
  // `value` must be an object (SpecError "<pointer>: expected an object, got ..." otherwise).
  // `pointer` is its JSON pointer ("" for the document root).
  SpecReader(const Json& value, std::string pointer);

  const std::string& pointer() const { return pointer_; }
  const Json& json() const { return *value_; }
  std::string child_pointer(const std::string& key) const {
    return pointer_ + "/" + pointer_token(key);
  }
  bool has(const std::string& key) const;

  // Required values: SpecError "<pointer>/<key>: missing (expected ...)" when absent.
  std::string string(const std::string& key);
  int64_t integer(const std::string& key, std::optional<int64_t> min = std::nullopt);
  int64_t positive_integer(const std::string& key) { return integer_checked(key, 1, true); }
  double number(const std::string& key, const NumberRange& range = {});
  bool boolean(const std::string& key);
  // The raw value (for nested objects and arrays); recorded as read.
  const Json& value(const std::string& key);

  // Optional values: `fallback` when absent (explicit null counts as absent).
  std::string string(const std::string& key, const std::string& fallback);
  // One of `choices`, else SpecError listing them.
  std::string choice(const std::string& key, const std::vector<std::string>& choices);
  std::string choice(const std::string& key, const std::vector<std::string>& choices,
                     const std::string& fallback);
  int64_t integer(const std::string& key, int64_t fallback, std::optional<int64_t> min);
  int64_t positive_integer(const std::string& key, int64_t fallback);
  double number(const std::string& key, double fallback, const NumberRange& range = {});
  bool boolean(const std::string& key, bool fallback);
  std::optional<double> optional_number(const std::string& key, const NumberRange& range = {});
  std::optional<int64_t> optional_integer(const std::string& key,
                                          std::optional<int64_t> min = std::nullopt);
  const Json* optional_value(const std::string& key);  // nullptr when absent or null

  // A positive integer or an array of `count` positive integers (kernel sizes: 3 or [3, 5]).
  std::vector<int64_t> sizes(const std::string& key, size_t count, std::vector<int64_t> fallback,
                             int64_t min = 1);
  std::vector<double> numbers(const std::string& key, std::vector<double> fallback,
                              const NumberRange& range = {});
  std::vector<std::string> strings(const std::string& key, std::vector<std::string> fallback);

  // Marks keys as known without reading them (read elsewhere).
  void allow(const std::string& key) { known_.insert(key); }
  // SpecError naming every unknown key (sorted) and the keys this object accepts.
  void finish() const;

  // Throws SpecError "<pointer>: <message>".
  [[noreturn]] void fail(const std::string& key, const std::string& message) const;

 private:
  int64_t integer_checked(const std::string& key, int64_t min, bool required, int64_t fallback = 0);
  const Json* lookup(const std::string& key);  // records the key; nullptr when absent or null

  const Json* value_;
  std::string pointer_;
  std::set<std::string> known_;
};

// Reads a JSON value as a number/integer/string at `pointer`, with the same messages.
double json_number(const Json& value, const std::string& pointer, const NumberRange& range = {});
int64_t json_integer(const Json& value, const std::string& pointer,
                     std::optional<int64_t> min = std::nullopt);
std::string json_string(const Json& value, const std::string& pointer);

// Parses JSON text; SpecError "<origin>: invalid JSON at line L, column C: ..." on a syntax error.
Json parse_json(const std::string& text, const std::string& origin);

}  // namespace cajal::train
