#pragma once
// Internal: each kind's reader of its parsed JSON form, used by tokenizer_from_json.
#include <memory>
#include <string>

#include "cajal/data/text/tokenizer.h"
#include "json_util.h"

namespace cajal::data::text::detail {

std::unique_ptr<Tokenizer> char_tokenizer_from_json(const Json& value, const std::string& where);
std::unique_ptr<Tokenizer> word_tokenizer_from_json(const Json& value, const std::string& where);
std::unique_ptr<Tokenizer> bpe_tokenizer_from_json(const Json& value, const std::string& where);

}  // namespace cajal::data::text::detail
