#include "cajal/data/text/bpe_tokenizer.h"

#include <algorithm>
#include <array>
#include <queue>
#include <set>
#include <unordered_set>

#include "cajal/core/error.h"
#include "tokenizer_json.h"
#include "utf8.h"

namespace cajal::data::text {
namespace {

constexpr int64_t kByteCount = 256;

// GPT-2's byte spelling: printable bytes stand for themselves, the others take code points from
// U+0100 upwards in byte order.
struct ByteSpelling {
  std::array<char32_t, 256> character{};
  std::array<std::string, 256> text{};
  std::array<int, 0x180> byte_of{};  // code point -> byte, or -1

  ByteSpelling() {
    byte_of.fill(-1);
    int next = 0;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
      character[b] = printable ? static_cast<char32_t>(b) : static_cast<char32_t>(256 + next++);
      detail::append_utf8(text[b], character[b]);
      byte_of[character[b]] = b;
    }
  }
};

const ByteSpelling& spelling() {
  static const ByteSpelling table;
  return table;
}

uint64_t pair_key(int64_t left, int64_t right) {
  return (static_cast<uint64_t>(left) << 32) | static_cast<uint64_t>(right);
}

// GPT-2's pre-split at whitespace: a word is a run of non-whitespace bytes with at most one
// preceding space; whitespace not followed by a word, or all but the last of a run before one,
// forms a word of its own. Calls visit(word) in order; the words concatenate to `text`.
template <typename Visit>
void for_each_word(std::string_view text, Visit visit) {
  const auto space = [&](size_t i) {
    return detail::is_space(static_cast<unsigned char>(text[i]));
  };
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    size_t j = i;
    if (space(i)) {
      while (j < n && space(j)) ++j;
      if (j == n) {
        visit(text.substr(i, n - i));
        return;
      }
      if (j - i > 1 || text[j - 1] != ' ') {
        // The run minus its last character is a word; a last ' ' joins the next word.
        const size_t end = text[j - 1] == ' ' ? j - 1 : j;
        visit(text.substr(i, end - i));
        i = end;
        continue;
      }
    }
    while (j < n && !space(j)) ++j;
    visit(text.substr(i, j - i));
    i = j;
  }
}

struct Candidate {
  int64_t count;
  int64_t left;
  int64_t right;
};

void check_specials(const std::vector<std::string>& specials) {
  std::set<std::string> seen;
  for (const std::string& special : specials) {
    if (special.empty()) throw ValueError("BpeTokenizer: specials contain an empty token");
    if (!seen.insert(special).second) {
      throw ValueError("BpeTokenizer: special token '" + special + "' is listed twice");
    }
    for (const std::string& byte_text : spelling().text) {
      if (special == byte_text) {
        throw ValueError("BpeTokenizer: special token '" + special +
                         "' is spelled like a byte token");
      }
    }
  }
}

VocabularyOptions vocabulary_options(const std::vector<std::string>& specials) {
  VocabularyOptions options;
  options.specials = specials;
  const bool has_unk = std::find(specials.begin(), specials.end(), "<unk>") != specials.end();
  options.unk_token = has_unk ? "<unk>" : "";
  return options;
}

}  // namespace

std::string BpeTokenizer::bytes_to_token(std::string_view bytes) {
  std::string token;
  for (char byte : bytes) token += spelling().text[static_cast<unsigned char>(byte)];
  return token;
}

std::string BpeTokenizer::token_to_bytes(std::string_view token) {
  std::string bytes;
  size_t offset = 0;
  while (offset < token.size()) {
    const char32_t c = detail::next_code_point(token, offset, "BpeTokenizer");
    const int byte = c < spelling().byte_of.size() ? spelling().byte_of[c] : -1;
    if (byte < 0) {
      std::string character;
      detail::append_utf8(character, c);
      throw ValueError("BpeTokenizer: token '" + std::string(token) + "' holds '" + character +
                       "', which is not the spelling of a byte");
    }
    bytes += static_cast<char>(byte);
  }
  return bytes;
}

BpeTokenizer BpeTokenizer::train(std::string_view corpus, BpeOptions options) {
  check_specials(options.specials);
  const int64_t specials = static_cast<int64_t>(options.specials.size());
  if (options.vocab_size < specials + kByteCount) {
    throw ValueError("BpeTokenizer: vocab_size " + std::to_string(options.vocab_size) +
                     " is smaller than the " + std::to_string(specials) + " specials + 256 bytes");
  }
  if (options.min_frequency < 1) {
    throw ValueError("BpeTokenizer: min_frequency must be >= 1, got " +
                     std::to_string(options.min_frequency));
  }
  if (corpus.empty()) throw ValueError("BpeTokenizer.train: the corpus is empty");

  // Symbols are vocabulary ids: specials, then bytes, then merged tokens.
  std::vector<std::string> text = options.specials;
  std::vector<int64_t> counts(text.size(), 0);
  for (int b = 0; b < kByteCount; ++b) {
    text.push_back(spelling().text[b]);
    counts.push_back(0);
  }
  std::unordered_map<std::string, int64_t> id_of;
  for (size_t i = 0; i < text.size(); ++i) id_of.emplace(text[i], static_cast<int64_t>(i));
  const std::unordered_set<std::string> special_set(options.specials.begin(),
                                                    options.specials.end());

  // Distinct words with their counts.
  std::unordered_map<std::string_view, int64_t> word_counts;
  for_each_word(corpus, [&](std::string_view word) { ++word_counts[word]; });
  std::vector<std::vector<int64_t>> words;
  std::vector<int64_t> frequency;
  words.reserve(word_counts.size());
  for (const auto& [word, count] : word_counts) {
    std::vector<int64_t> symbols;
    for (char byte : word) {
      const int64_t id = specials + static_cast<unsigned char>(byte);
      symbols.push_back(id);
      counts[static_cast<size_t>(id)] += count;
    }
    words.push_back(std::move(symbols));
    frequency.push_back(count);
  }

  std::unordered_map<uint64_t, int64_t> pair_counts;
  std::unordered_map<uint64_t, std::vector<int32_t>> words_with;
  for (size_t w = 0; w < words.size(); ++w) {
    for (size_t i = 0; i + 1 < words[w].size(); ++i) {
      const uint64_t key = pair_key(words[w][i], words[w][i + 1]);
      pair_counts[key] += frequency[w];
      words_with[key].push_back(static_cast<int32_t>(w));
    }
  }
  // Max-heap by count; among equal counts the alphabetically first (left, right) on top.
  auto lower_priority = [&](const Candidate& a, const Candidate& b) {
    if (a.count != b.count) return a.count < b.count;
    const int order = text[a.left].compare(text[b.left]);
    if (order != 0) return order > 0;
    return text[a.right] > text[b.right];
  };
  std::priority_queue<Candidate, std::vector<Candidate>, decltype(lower_priority)> heap(
      lower_priority);
  for (const auto& [key, count] : pair_counts) {
    heap.push({count, static_cast<int64_t>(key >> 32), static_cast<int64_t>(key & 0xFFFFFFFF)});
  }

  std::vector<std::pair<std::string, std::string>> merges;
  std::vector<int64_t> last_visit(words.size(), -1);
  std::unordered_map<uint64_t, int64_t> delta;
  std::vector<int64_t> merged;
  while (static_cast<int64_t>(text.size()) < options.vocab_size && !heap.empty()) {
    const Candidate best = heap.top();
    heap.pop();
    const uint64_t key = pair_key(best.left, best.right);
    auto current = pair_counts.find(key);
    if (current == pair_counts.end() || current->second != best.count) continue;  // stale
    if (best.count < options.min_frequency) break;
    std::string joined = text[best.left] + text[best.right];
    if (special_set.count(joined) > 0) {  // would collide with a special's name: never merge
      pair_counts.erase(current);
      continue;
    }
    int64_t merged_id;
    if (auto existing = id_of.find(joined); existing != id_of.end()) {
      merged_id = existing->second;
    } else {
      merged_id = static_cast<int64_t>(text.size());
      id_of.emplace(joined, merged_id);
      text.push_back(std::move(joined));
      counts.push_back(0);
    }
    counts[static_cast<size_t>(merged_id)] += best.count;
    merges.emplace_back(text[best.left], text[best.right]);
    const int64_t merge_index = static_cast<int64_t>(merges.size()) - 1;

    std::vector<int32_t> affected = std::move(words_with[key]);
    words_with.erase(key);
    pair_counts.erase(key);
    delta.clear();
    for (int32_t w : affected) {
      if (last_visit[w] == merge_index) continue;
      last_visit[w] = merge_index;
      std::vector<int64_t>& symbols = words[w];
      merged.clear();
      for (size_t i = 0; i < symbols.size(); ++i) {
        if (i + 1 < symbols.size() && symbols[i] == best.left && symbols[i + 1] == best.right) {
          merged.push_back(merged_id);
          ++i;
        } else {
          merged.push_back(symbols[i]);
        }
      }
      if (merged.size() == symbols.size()) continue;
      const int64_t f = frequency[w];
      for (size_t i = 0; i + 1 < symbols.size(); ++i) {
        delta[pair_key(symbols[i], symbols[i + 1])] -= f;
      }
      for (size_t i = 0; i + 1 < merged.size(); ++i) {
        const uint64_t new_key = pair_key(merged[i], merged[i + 1]);
        delta[new_key] += f;
        if (merged[i] == merged_id || merged[i + 1] == merged_id) words_with[new_key].push_back(w);
      }
      symbols.swap(merged);
    }
    for (const auto& [changed, amount] : delta) {
      if (amount == 0 || changed == key) continue;
      int64_t& count = pair_counts[changed];
      count += amount;
      if (count <= 0) {
        pair_counts.erase(changed);
      } else {
        heap.push({count, static_cast<int64_t>(changed >> 32),
                   static_cast<int64_t>(changed & 0xFFFFFFFF)});
      }
    }
  }
  Vocabulary vocabulary(std::move(text), std::move(counts), vocabulary_options(options.specials));
  return BpeTokenizer(std::move(vocabulary), std::move(merges), std::move(options));
}

BpeTokenizer::BpeTokenizer(Vocabulary vocabulary,
                           std::vector<std::pair<std::string, std::string>> merges,
                           BpeOptions options)
    : Tokenizer(std::move(vocabulary)), options_(std::move(options)), merges_(std::move(merges)) {
  options_.specials = vocabulary_.options().specials;
  byte_ids_.resize(kByteCount);
  for (int b = 0; b < kByteCount; ++b) {
    const std::optional<int64_t> id = vocabulary_.find(spelling().text[b]);
    if (!id || vocabulary_.is_special(*id)) {
      throw ValueError("BpeTokenizer: the vocabulary lacks the token '" + spelling().text[b] +
                       "' of byte " + std::to_string(b) + " (as a non-special token)");
    }
    byte_ids_[b] = *id;
  }
  token_bytes_.resize(static_cast<size_t>(vocabulary_.size()));
  for (int64_t id = 0; id < vocabulary_.size(); ++id) {
    const std::string& token = vocabulary_.token(id);
    token_bytes_[id] = vocabulary_.is_special(id) ? token : token_to_bytes(token);
  }
  for (size_t rank = 0; rank < merges_.size(); ++rank) {
    const auto& [left, right] = merges_[rank];
    const auto require = [&](const std::string& token) {
      const std::optional<int64_t> id = vocabulary_.find(token);
      if (!id || vocabulary_.is_special(*id)) {
        throw ValueError("BpeTokenizer: merge " + std::to_string(rank) + " ('" + left + "', '" +
                         right + "') needs the token '" + token +
                         "', which is not a non-special vocabulary token");
      }
      return *id;
    };
    const int64_t left_id = require(left);
    const int64_t right_id = require(right);
    const int64_t merged_id = require(left + right);
    // A pair learned twice keeps its first (lowest) rank.
    merge_ranks_.emplace(pair_key(left_id, right_id),
                         std::pair<int64_t, int64_t>{static_cast<int64_t>(rank), merged_id});
  }
}

void BpeTokenizer::encode_word(std::string_view word, std::vector<int64_t>& out) const {
  // A doubly linked list of symbols and a min-heap of mergeable neighbours by (rank, position):
  // applying the lowest-ranked merge first, leftmost first, in O(n log n).
  const size_t n = word.size();
  std::vector<int64_t> id(n);
  std::vector<int64_t> previous(n), next(n);
  for (size_t i = 0; i < n; ++i) {
    id[i] = byte_ids_[static_cast<unsigned char>(word[i])];
    previous[i] = static_cast<int64_t>(i) - 1;
    next[i] = i + 1 < n ? static_cast<int64_t>(i) + 1 : -1;
  }
  struct Entry {
    int64_t rank, position, left, right;
    bool operator>(const Entry& other) const {
      return rank != other.rank ? rank > other.rank : position > other.position;
    }
  };
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> heap;
  const auto consider = [&](int64_t position) {
    if (position < 0 || next[position] < 0) return;
    auto it = merge_ranks_.find(pair_key(id[position], id[next[position]]));
    if (it != merge_ranks_.end()) {
      heap.push({it->second.first, position, id[position], id[next[position]]});
    }
  };
  for (size_t i = 0; i + 1 < n; ++i) consider(static_cast<int64_t>(i));
  std::vector<bool> alive(n, true);
  while (!heap.empty()) {
    const Entry entry = heap.top();
    heap.pop();
    const int64_t p = entry.position;
    if (!alive[p] || next[p] < 0 || id[p] != entry.left || id[next[p]] != entry.right) continue;
    const int64_t q = next[p];
    id[p] = merge_ranks_.at(pair_key(entry.left, entry.right)).second;
    alive[q] = false;
    next[p] = next[q];
    if (next[q] >= 0) previous[next[q]] = p;
    consider(previous[p]);
    consider(p);
  }
  for (int64_t p = n > 0 ? 0 : -1; p >= 0; p = next[p]) out.push_back(id[p]);
}

std::vector<int64_t> BpeTokenizer::encode(std::string_view text,
                                          const EncodeOptions& options) const {
  std::vector<int64_t> ids;
  ids.reserve(text.size() / 3 + 2);
  for_each_word(text, [&](std::string_view word) { encode_word(word, ids); });
  add_markers(ids, options, "BpeTokenizer.encode");
  return ids;
}

std::vector<std::string> BpeTokenizer::tokenize(std::string_view text) const {
  std::vector<std::string> pieces;
  for (int64_t id : encode(text)) pieces.push_back(vocabulary_.token(id));
  return pieces;
}

std::string BpeTokenizer::decode(const std::vector<int64_t>& ids, bool skip_special) const {
  std::string bytes;
  for (int64_t id : ids) {
    vocabulary_.token(id);  // IndexError when out of range
    if (skip_special && vocabulary_.is_special(id)) continue;
    bytes += token_bytes_[static_cast<size_t>(id)];
  }
  return bytes;
}

std::string BpeTokenizer::to_json() const {
  detail::Json merges = detail::Json::array();
  for (const auto& [left, right] : merges_) merges.push_back({left, right});
  detail::Json value{
      {"kind", "bpe"},
      {"options", {{"vocab_size", options_.vocab_size}, {"min_frequency", options_.min_frequency}}},
      {"vocabulary", detail::vocabulary_to_json(vocabulary_)},
      {"merges", std::move(merges)}};
  return detail::dump(value);
}

namespace detail {

std::unique_ptr<Tokenizer> bpe_tokenizer_from_json(const Json& value, const std::string& where) {
  BpeOptions options;
  const Json& json_options = field(value, "options", where, "");
  options.vocab_size = as_integer(field(json_options, "vocab_size", where, "/options"), where,
                                  "/options/vocab_size");
  options.min_frequency = as_integer(field(json_options, "min_frequency", where, "/options"), where,
                                     "/options/min_frequency");
  Vocabulary vocabulary =
      vocabulary_from_json(field(value, "vocabulary", where, ""), where, "/vocabulary");
  std::vector<std::pair<std::string, std::string>> merges;
  const Json& array = as_array(field(value, "merges", where, ""), where, "/merges");
  for (size_t i = 0; i < array.size(); ++i) {
    const std::string at = "/merges/" + std::to_string(i);
    if (!array[i].is_array() || array[i].size() != 2) fail(where, at, "expected two strings");
    merges.emplace_back(as_string(array[i][0], where, at + "/0"),
                        as_string(array[i][1], where, at + "/1"));
  }
  try {
    return std::make_unique<BpeTokenizer>(std::move(vocabulary), std::move(merges),
                                          std::move(options));
  } catch (const ValueError& error) {
    throw ValueError(where + ": " + error.what());
  }
}

}  // namespace detail
}  // namespace cajal::data::text
