#include "cajal/data/text/vocabulary.h"

#include <algorithm>
#include <set>

#include "cajal/core/error.h"
#include "json_util.h"

namespace cajal::data::text {
namespace {

std::string in_quotes(std::string_view token) { return "'" + std::string(token) + "'"; }

// The specials in order, with unk_token appended when missing. ValueError on duplicates/empties.
std::vector<std::string> special_list(const VocabularyOptions& options, const char* where) {
  std::vector<std::string> specials = options.specials;
  if (!options.unk_token.empty() &&
      std::find(specials.begin(), specials.end(), options.unk_token) == specials.end()) {
    specials.push_back(options.unk_token);
  }
  std::set<std::string> seen;
  for (const std::string& special : specials) {
    if (special.empty()) throw ValueError(std::string(where) + ": specials contain an empty token");
    if (!seen.insert(special).second) {
      throw ValueError(std::string(where) + ": special token " + in_quotes(special) +
                       " is listed twice");
    }
  }
  return specials;
}

}  // namespace

Vocabulary::Vocabulary(std::vector<std::string> tokens, std::vector<int64_t> counts,
                       const VocabularyOptions& options)
    : options_(options), tokens_(std::move(tokens)), counts_(std::move(counts)) {
  if (counts_.empty()) counts_.assign(tokens_.size(), 0);
  if (counts_.size() != tokens_.size()) {
    throw ValueError("Vocabulary: " + std::to_string(counts_.size()) + " counts for " +
                     std::to_string(tokens_.size()) + " tokens");
  }
  const std::set<std::string> specials(options.specials.begin(), options.specials.end());
  special_.resize(tokens_.size());
  index_.reserve(tokens_.size());
  for (size_t i = 0; i < tokens_.size(); ++i) {
    const std::string& token = tokens_[i];
    if (token.empty()) throw ValueError("Vocabulary: token " + std::to_string(i) + " is empty");
    if (counts_[i] < 0) {
      throw ValueError("Vocabulary: count of " + in_quotes(token) + " is negative (" +
                       std::to_string(counts_[i]) + ")");
    }
    if (!index_.emplace(token, static_cast<int64_t>(i)).second) {
      throw ValueError("Vocabulary: token " + in_quotes(token) + " appears twice");
    }
    special_[i] = specials.count(token) > 0 || token == options.unk_token;
  }
  pad_id_ = find(options.pad_token);
  bos_id_ = find(options.bos_token);
  eos_id_ = find(options.eos_token);
  if (!options.unk_token.empty()) {
    unk_id_ = find(options.unk_token);
    if (!unk_id_) {
      throw ValueError("Vocabulary: unk_token " + in_quotes(options.unk_token) +
                       " is not among the tokens");
    }
  }
}

Vocabulary Vocabulary::build(const std::map<std::string, int64_t>& counts,
                             const VocabularyOptions& options) {
  if (options.min_freq < 1) {
    throw ValueError("Vocabulary: min_freq must be >= 1, got " + std::to_string(options.min_freq));
  }
  if (options.max_size < 0) {
    throw ValueError("Vocabulary: max_size must be >= 0 (0 = no limit), got " +
                     std::to_string(options.max_size));
  }
  const std::vector<std::string> specials = special_list(options, "Vocabulary");
  if (options.max_size > 0 && options.max_size < static_cast<int64_t>(specials.size())) {
    throw ValueError("Vocabulary: max_size " + std::to_string(options.max_size) +
                     " leaves no room for the " + std::to_string(specials.size()) + " specials");
  }
  std::vector<std::pair<std::string, int64_t>> ranked;
  for (const auto& [token, count] : counts) {
    if (token.empty()) throw ValueError("Vocabulary: the counts contain an empty token");
    if (count < 0) {
      throw ValueError("Vocabulary: count of " + in_quotes(token) + " is negative (" +
                       std::to_string(count) + ")");
    }
    if (count < options.min_freq) continue;
    if (std::find(specials.begin(), specials.end(), token) != specials.end()) continue;
    ranked.emplace_back(token, count);
  }
  // std::map iterates alphabetically, so a stable sort by count keeps ties alphabetical.
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  size_t keep = ranked.size();
  if (options.max_size > 0) {
    keep = std::min(keep, static_cast<size_t>(options.max_size) - specials.size());
  }
  std::vector<std::string> tokens = specials;
  std::vector<int64_t> token_counts;
  for (const std::string& special : specials) {
    auto it = counts.find(special);
    token_counts.push_back(it == counts.end() ? 0 : it->second);
  }
  for (size_t i = 0; i < keep; ++i) {
    tokens.push_back(ranked[i].first);
    token_counts.push_back(ranked[i].second);
  }
  VocabularyOptions stored = options;
  stored.specials = specials;
  return Vocabulary(std::move(tokens), std::move(token_counts), stored);
}

Vocabulary Vocabulary::build(std::span<const std::string> tokens,
                             const VocabularyOptions& options) {
  std::map<std::string, int64_t> counts;
  for (const std::string& token : tokens) ++counts[token];
  return build(counts, options);
}

bool Vocabulary::contains(std::string_view token) const {
  return index_.find(token) != index_.end();
}

std::optional<int64_t> Vocabulary::find(std::string_view token) const {
  auto it = index_.find(token);
  if (it == index_.end()) return std::nullopt;
  return it->second;
}

int64_t Vocabulary::id(std::string_view token) const {
  auto it = index_.find(token);
  if (it != index_.end()) return it->second;
  if (unk_id_) return *unk_id_;
  throw ValueError("Vocabulary: unknown token " + in_quotes(token) +
                   " and the vocabulary has no <unk>");
}

const std::string& Vocabulary::token(int64_t id) const {
  if (id < 0 || id >= size()) {
    throw IndexError("Vocabulary: id " + std::to_string(id) + " is out of range for " +
                     std::to_string(size()) + " tokens");
  }
  return tokens_[static_cast<size_t>(id)];
}

int64_t Vocabulary::count(int64_t id) const {
  token(id);
  return counts_[static_cast<size_t>(id)];
}

bool Vocabulary::is_special(int64_t id) const {
  token(id);
  return special_[static_cast<size_t>(id)];
}

std::string Vocabulary::to_json() const { return detail::dump(detail::vocabulary_to_json(*this)); }

Vocabulary Vocabulary::from_json(std::string_view json) {
  const char* where = "Vocabulary::from_json";
  return detail::vocabulary_from_json(detail::parse(json, where), where, "");
}

namespace detail {

void fail(const std::string& where, const std::string& path, const std::string& what) {
  throw SpecError(where + ": " + (path.empty() ? "/" : path) + ": " + what);
}

Json parse(std::string_view text, const std::string& where) {
  try {
    return Json::parse(text.begin(), text.end());
  } catch (const Json::exception& error) {
    throw SpecError(where + ": invalid JSON: " + error.what());
  }
}

const Json& field(const Json& value, const char* key, const std::string& where,
                  const std::string& path) {
  if (!value.is_object()) fail(where, path, "expected an object");
  auto it = value.find(key);
  if (it == value.end()) fail(where, path, std::string("missing field \"") + key + "\"");
  return *it;
}

std::string as_string(const Json& value, const std::string& where, const std::string& path) {
  if (!value.is_string()) fail(where, path, "expected a string");
  return value.get<std::string>();
}

int64_t as_integer(const Json& value, const std::string& where, const std::string& path) {
  if (!value.is_number_integer()) fail(where, path, "expected an integer");
  if (value.is_number_unsigned() && value.get<uint64_t>() > uint64_t{INT64_MAX}) {
    fail(where, path, "integer out of range");
  }
  return value.get<int64_t>();
}

bool as_bool(const Json& value, const std::string& where, const std::string& path) {
  if (!value.is_boolean()) fail(where, path, "expected true or false");
  return value.get<bool>();
}

const Json& as_array(const Json& value, const std::string& where, const std::string& path) {
  if (!value.is_array()) fail(where, path, "expected an array");
  return value;
}

std::string dump(const Json& value) {
  try {
    return value.dump();
  } catch (const Json::exception&) {
    throw ValueError("text: a token is not valid UTF-8 and cannot be written as JSON");
  }
}

Json vocabulary_to_json(const Vocabulary& vocabulary) {
  const VocabularyOptions& options = vocabulary.options();
  std::vector<int64_t> counts;
  for (int64_t id = 0; id < vocabulary.size(); ++id) counts.push_back(vocabulary.count(id));
  return Json{{"tokens", vocabulary.tokens()},  {"counts", counts},
              {"specials", options.specials},   {"unk_token", options.unk_token},
              {"pad_token", options.pad_token}, {"bos_token", options.bos_token},
              {"eos_token", options.eos_token}, {"min_freq", options.min_freq},
              {"max_size", options.max_size}};
}

Vocabulary vocabulary_from_json(const Json& value, const std::string& where,
                                const std::string& path) {
  auto strings = [&](const char* key) {
    const std::string at = path + "/" + key;
    std::vector<std::string> out;
    const Json& array = as_array(field(value, key, where, path), where, at);
    for (size_t i = 0; i < array.size(); ++i) {
      out.push_back(as_string(array[i], where, at + "/" + std::to_string(i)));
    }
    return out;
  };
  auto string_field = [&](const char* key) {
    return as_string(field(value, key, where, path), where, path + "/" + key);
  };
  VocabularyOptions options;
  options.specials = strings("specials");
  options.unk_token = string_field("unk_token");
  options.pad_token = string_field("pad_token");
  options.bos_token = string_field("bos_token");
  options.eos_token = string_field("eos_token");
  options.min_freq = as_integer(field(value, "min_freq", where, path), where, path + "/min_freq");
  options.max_size = as_integer(field(value, "max_size", where, path), where, path + "/max_size");
  std::vector<std::string> tokens = strings("tokens");
  std::vector<int64_t> counts;
  const std::string counts_path = path + "/counts";
  const Json& count_array = as_array(field(value, "counts", where, path), where, counts_path);
  for (size_t i = 0; i < count_array.size(); ++i) {
    counts.push_back(as_integer(count_array[i], where, counts_path + "/" + std::to_string(i)));
  }
  if (counts.size() != tokens.size()) {
    fail(
        where, counts_path,
        std::to_string(counts.size()) + " counts for " + std::to_string(tokens.size()) + " tokens");
  }
  try {
    return Vocabulary(std::move(tokens), std::move(counts), options);
  } catch (const ValueError& error) {
    throw ValueError(where + ": " + error.what());
  }
}

}  // namespace detail
}  // namespace cajal::data::text
