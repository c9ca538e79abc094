#include "cajal/data/text/tokenizer.h"

#include <fstream>
#include <sstream>

#include "cajal/core/atomic_file.h"
#include "cajal/core/error.h"
#include "tokenizer_json.h"

namespace cajal::data::text {

Tokenizer::~Tokenizer() = default;

std::vector<int64_t> Tokenizer::encode(std::string_view text, const EncodeOptions& options) const {
  std::vector<int64_t> ids;
  for (const std::string& piece : tokenize(text)) ids.push_back(vocabulary_.id(piece));
  add_markers(ids, options, "encode");
  return ids;
}

void Tokenizer::add_markers(std::vector<int64_t>& ids, const EncodeOptions& options,
                            const char* where) const {
  if (options.add_bos) {
    if (!vocabulary_.bos_id()) {
      throw ValueError(std::string(where) + ": add_bos is set but the vocabulary has no '" +
                       vocabulary_.options().bos_token + "'");
    }
    ids.insert(ids.begin(), *vocabulary_.bos_id());
  }
  if (options.add_eos) {
    if (!vocabulary_.eos_id()) {
      throw ValueError(std::string(where) + ": add_eos is set but the vocabulary has no '" +
                       vocabulary_.options().eos_token + "'");
    }
    ids.push_back(*vocabulary_.eos_id());
  }
}

void Tokenizer::save(const std::filesystem::path& path) const {
  write_file_atomically(path, to_json());
}

std::unique_ptr<Tokenizer> tokenizer_from_json(std::string_view json) {
  const std::string where = "tokenizer_from_json";
  const detail::Json value = detail::parse(json, where);
  const std::string kind =
      detail::as_string(detail::field(value, "kind", where, ""), where, "/kind");
  if (kind == "char") return detail::char_tokenizer_from_json(value, where);
  if (kind == "word") return detail::word_tokenizer_from_json(value, where);
  if (kind == "bpe") return detail::bpe_tokenizer_from_json(value, where);
  detail::fail(where, "/kind",
               "unknown tokenizer kind '" + kind + "' (expected char, word or bpe)");
}

std::unique_ptr<Tokenizer> load_tokenizer(const std::filesystem::path& path) {
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) {
    throw IOError("load_tokenizer: '" + path.string() + "' is a directory, not a tokenizer file");
  }
  std::ifstream file(path, std::ios::binary);
  if (!file) throw IOError("load_tokenizer: cannot open '" + path.string() + "'");
  std::ostringstream contents;
  contents << file.rdbuf();
  if (file.bad()) throw IOError("load_tokenizer: cannot read '" + path.string() + "'");
  const std::string prefix = "load_tokenizer: '" + path.string() + "': ";
  try {
    return tokenizer_from_json(contents.str());
  } catch (const SpecError& error) {
    throw SpecError(prefix + error.what());
  } catch (const ValueError& error) {
    throw ValueError(prefix + error.what());
  }
}

}  // namespace cajal::data::text
