#include "cajal/train/spec_reader.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <utility>

namespace cajal::train {

namespace {

// The pointer as printed in messages: the document root has the empty pointer, shown as "/".
std::string shown(const std::string& pointer) { return pointer.empty() ? "/" : pointer; }

[[noreturn]] void fail_at(const std::string& pointer, const std::string& message) {
  throw SpecError(shown(pointer) + ": " + message);
}

std::string format_number(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

std::string integer_expectation(std::optional<int64_t> min) {
  if (!min) return "an integer";
  if (*min == 1) return "a positive integer";
  if (*min == 0) return "a non-negative integer";
  return "an integer >= " + std::to_string(*min);
}

std::string number_expectation(const NumberRange& range) {
  if (range.min && range.max) {
    return "a number in " + std::string(range.min_exclusive ? "(" : "[") +
           format_number(*range.min) + ", " + format_number(*range.max) +
           (range.max_exclusive ? ")" : "]");
  }
  if (range.min) {
    if (*range.min == 0 && range.min_exclusive) return "a positive number";
    if (*range.min == 0) return "a non-negative number";
    return std::string("a number ") + (range.min_exclusive ? "> " : ">= ") +
           format_number(*range.min);
  }
  if (range.max) {
    return std::string("a number ") + (range.max_exclusive ? "< " : "<= ") +
           format_number(*range.max);
  }
  return "a number";
}

bool in_range(double value, const NumberRange& range) {
  if (range.min && (range.min_exclusive ? value <= *range.min : value < *range.min)) return false;
  if (range.max && (range.max_exclusive ? value >= *range.max : value > *range.max)) return false;
  return true;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) {
    if (!out.empty()) out += ", ";
    out += item;
  }
  return out;
}

// Reads an integer-valued JSON number (3 or 3.0); nullopt when the value is not one.
std::optional<int64_t> as_integer(const Json& value) {
  if (value.is_number_integer() && !value.is_number_unsigned()) return value.get<int64_t>();
  if (value.is_number_unsigned()) {
    uint64_t u = value.get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
    return static_cast<int64_t>(u);
  }
  if (value.is_number_float()) {
    double d = value.get<double>();
    // 2^63 is the first double that does not fit an int64.
    if (std::isfinite(d) && std::floor(d) == d && d >= -9.2233720368547758e18 &&
        d < 9.2233720368547758e18) {
      return static_cast<int64_t>(d);
    }
  }
  return std::nullopt;
}

}  // namespace

std::string describe_json(const Json& value) {
  switch (value.type()) {
    case Json::value_t::null:
      return "null";
    case Json::value_t::object:
      return value.empty() ? "an empty object" : "an object";
    case Json::value_t::array:
      return value.empty() ? "an empty array" : "an array of " + std::to_string(value.size());
    case Json::value_t::string: {
      std::string text = value.dump(-1, ' ', false, Json::error_handler_t::replace);
      if (text.size() > 60) text = text.substr(0, 57) + "...\"";
      return text;
    }
    case Json::value_t::binary:
      return "binary data";
    default:
      return value.dump();
  }
}

std::string pointer_token(const std::string& key) {
  std::string out;
  for (char c : key) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

double json_number(const Json& value, const std::string& pointer, const NumberRange& range) {
  if (!value.is_number()) {
    fail_at(pointer, "expected " + number_expectation(range) + ", got " + describe_json(value));
  }
  double number = value.get<double>();
  if (!std::isfinite(number)) {
    fail_at(pointer, "expected a finite number, got " + describe_json(value));
  }
  if (!in_range(number, range)) {
    fail_at(pointer, "expected " + number_expectation(range) + ", got " + describe_json(value));
  }
  return number;
}

int64_t json_integer(const Json& value, const std::string& pointer, std::optional<int64_t> min) {
  std::optional<int64_t> integer = as_integer(value);
  if (!integer || (min && *integer < *min)) {
    fail_at(pointer, "expected " + integer_expectation(min) + ", got " + describe_json(value));
  }
  return *integer;
}

std::string json_string(const Json& value, const std::string& pointer) {
  if (!value.is_string()) fail_at(pointer, "expected a string, got " + describe_json(value));
  return value.get<std::string>();
}

SpecReader::SpecReader(const Json& value, std::string pointer)
    : value_(&value), pointer_(std::move(pointer)) {
  if (!value.is_object()) fail_at(pointer_, "expected an object, got " + describe_json(value));
}

bool SpecReader::has(const std::string& key) const {
  auto it = value_->find(key);
  return it != value_->end() && !it->is_null();
}

const Json* SpecReader::lookup(const std::string& key) {
  known_.insert(key);
  auto it = value_->find(key);
  if (it == value_->end() || it->is_null()) return nullptr;
  return &*it;
}

void SpecReader::fail(const std::string& key, const std::string& message) const {
  fail_at(key.empty() ? pointer_ : child_pointer(key), message);
}

std::string SpecReader::string(const std::string& key) {
  const Json* found = lookup(key);
  if (!found) fail(key, "missing (expected a string)");
  return json_string(*found, child_pointer(key));
}

int64_t SpecReader::integer(const std::string& key, std::optional<int64_t> min) {
  const Json* found = lookup(key);
  if (!found) fail(key, "missing (expected " + integer_expectation(min) + ")");
  return json_integer(*found, child_pointer(key), min);
}

int64_t SpecReader::integer_checked(const std::string& key, int64_t min, bool required,
                                    int64_t fallback) {
  const Json* found = lookup(key);
  if (!found) {
    if (required) fail(key, "missing (expected " + integer_expectation(min) + ")");
    return fallback;
  }
  return json_integer(*found, child_pointer(key), min);
}

double SpecReader::number(const std::string& key, const NumberRange& range) {
  const Json* found = lookup(key);
  if (!found) fail(key, "missing (expected " + number_expectation(range) + ")");
  return json_number(*found, child_pointer(key), range);
}

bool SpecReader::boolean(const std::string& key) {
  const Json* found = lookup(key);
  if (!found) fail(key, "missing (expected true or false)");
  if (!found->is_boolean()) fail(key, "expected true or false, got " + describe_json(*found));
  return found->get<bool>();
}

const Json& SpecReader::value(const std::string& key) {
  const Json* found = lookup(key);
  if (!found) fail(key, "missing");
  return *found;
}

std::string SpecReader::string(const std::string& key, const std::string& fallback) {
  const Json* found = lookup(key);
  if (!found) return fallback;
  return json_string(*found, child_pointer(key));
}

std::string SpecReader::choice(const std::string& key, const std::vector<std::string>& choices) {
  const Json* found = lookup(key);
  if (!found) fail(key, "missing (expected one of: " + join(choices) + ")");
  if (found->is_string()) {
    const std::string& text = found->get_ref<const std::string&>();
    for (const std::string& option : choices) {
      if (option == text) return text;
    }
  }
  fail(key, "expected one of: " + join(choices) + "; got " + describe_json(*found));
}

std::string SpecReader::choice(const std::string& key, const std::vector<std::string>& choices,
                               const std::string& fallback) {
  if (!has(key)) {
    known_.insert(key);
    return fallback;
  }
  return choice(key, choices);
}

int64_t SpecReader::integer(const std::string& key, int64_t fallback, std::optional<int64_t> min) {
  const Json* found = lookup(key);
  if (!found) return fallback;
  return json_integer(*found, child_pointer(key), min);
}

int64_t SpecReader::positive_integer(const std::string& key, int64_t fallback) {
  return integer_checked(key, 1, false, fallback);
}

double SpecReader::number(const std::string& key, double fallback, const NumberRange& range) {
  const Json* found = lookup(key);
  if (!found) return fallback;
  return json_number(*found, child_pointer(key), range);
}

bool SpecReader::boolean(const std::string& key, bool fallback) {
  const Json* found = lookup(key);
  if (!found) return fallback;
  if (!found->is_boolean()) fail(key, "expected true or false, got " + describe_json(*found));
  return found->get<bool>();
}

std::optional<double> SpecReader::optional_number(const std::string& key,
                                                  const NumberRange& range) {
  const Json* found = lookup(key);
  if (!found) return std::nullopt;
  return json_number(*found, child_pointer(key), range);
}

std::optional<int64_t> SpecReader::optional_integer(const std::string& key,
                                                    std::optional<int64_t> min) {
  const Json* found = lookup(key);
  if (!found) return std::nullopt;
  return json_integer(*found, child_pointer(key), min);
}

const Json* SpecReader::optional_value(const std::string& key) { return lookup(key); }

std::vector<int64_t> SpecReader::sizes(const std::string& key, size_t count,
                                       std::vector<int64_t> fallback, int64_t min) {
  const Json* found = lookup(key);
  if (!found) return fallback;
  const std::string at = child_pointer(key);
  const std::string one = integer_expectation(min);
  if (found->is_array()) {
    if (found->size() != count) {
      fail(key, "expected " + one + " or an array of " + std::to_string(count) + ", got " +
                    describe_json(*found));
    }
    std::vector<int64_t> out;
    for (size_t i = 0; i < count; ++i) {
      out.push_back(json_integer((*found)[i], at + "/" + std::to_string(i), min));
    }
    return out;
  }
  std::optional<int64_t> single = as_integer(*found);
  if (single && *single < min) fail(key, "expected " + one + ", got " + describe_json(*found));
  if (!single) {
    fail(key, "expected " + one + (count > 1 ? " or an array of " + std::to_string(count) : "") +
                  ", got " + describe_json(*found));
  }
  return std::vector<int64_t>(count, *single);
}

std::vector<double> SpecReader::numbers(const std::string& key, std::vector<double> fallback,
                                        const NumberRange& range) {
  const Json* found = lookup(key);
  if (!found) return fallback;
  if (!found->is_array()) {
    fail(key, "expected an array of numbers, got " + describe_json(*found));
  }
  std::vector<double> out;
  const std::string at = child_pointer(key);
  for (size_t i = 0; i < found->size(); ++i) {
    out.push_back(json_number((*found)[i], at + "/" + std::to_string(i), range));
  }
  return out;
}

std::vector<std::string> SpecReader::strings(const std::string& key,
                                             std::vector<std::string> fallback) {
  const Json* found = lookup(key);
  if (!found) return fallback;
  if (found->is_string()) return {found->get<std::string>()};
  if (!found->is_array()) {
    fail(key, "expected an array of strings, got " + describe_json(*found));
  }
  std::vector<std::string> out;
  const std::string at = child_pointer(key);
  for (size_t i = 0; i < found->size(); ++i) {
    out.push_back(json_string((*found)[i], at + "/" + std::to_string(i)));
  }
  return out;
}

void SpecReader::finish() const {
  std::vector<std::string> unknown;
  for (const auto& [key, unused] : value_->items()) {
    if (!known_.count(key)) unknown.push_back(key);
  }
  if (unknown.empty()) return;
  std::sort(unknown.begin(), unknown.end());
  std::string names;
  for (const std::string& key : unknown) {
    if (!names.empty()) names += ", ";
    names += Json(key).dump(-1, ' ', false, Json::error_handler_t::replace);
  }
  std::string accepted =
      known_.empty()
          ? "no keys are accepted here"
          : "expected one of: " + join(std::vector<std::string>(known_.begin(), known_.end()));
  fail_at(pointer_, std::string(unknown.size() == 1 ? "unknown key " : "unknown keys ") + names +
                        " (" + accepted + ")");
}

Json parse_json(const std::string& text, const std::string& origin) {
  Json document;
  try {
    document = Json::parse(text);
  } catch (const Json::parse_error& error) {
    // error.byte is 1-based and points just past the offending character.
    size_t end = std::min<size_t>(error.byte == 0 ? 0 : error.byte - 1, text.size());
    size_t line = 1;
    size_t line_start = 0;
    for (size_t i = 0; i < end; ++i) {
      if (text[i] == '\n') {
        ++line;
        line_start = i + 1;
      }
    }
    size_t column = end - line_start + 1;
    // nlohmann's message: "[json.exception.parse_error.101] parse error at line 1, column 5:
    // syntax error while parsing value - ..."; keep what follows the position.
    std::string why = error.what();
    size_t colon = why.find(": ", why.find("parse error"));
    if (colon != std::string::npos) why = why.substr(colon + 2);
    throw SpecError(origin + ": invalid JSON at line " + std::to_string(line) + ", column " +
                    std::to_string(column) + ": " + why);
  } catch (const Json::exception& error) {
    // A number too large for a double ("1e400") is reported as out_of_range, without position.
    std::string why = error.what();
    size_t bracket = why.find("] ");
    if (bracket != std::string::npos) why = why.substr(bracket + 2);
    throw SpecError(origin + ": invalid JSON: " + why);
  }
  // Copying and printing a JSON value recurse on its depth: refuse pathological nesting here,
  // iteratively, so that no later step can overflow the stack.
  constexpr size_t kMaxDepth = 64;
  std::vector<std::pair<const Json*, size_t>> pending{{&document, 1}};
  while (!pending.empty()) {
    auto [node, depth] = pending.back();
    pending.pop_back();
    if (!node->is_structured()) continue;
    if (depth > kMaxDepth) {
      throw SpecError(origin + ": JSON nested deeper than " + std::to_string(kMaxDepth) +
                      " levels");
    }
    for (const Json& child : *node) pending.emplace_back(&child, depth + 1);
  }
  return document;
}

}  // namespace cajal::train
