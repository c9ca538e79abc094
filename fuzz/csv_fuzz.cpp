// Fuzz target for the CSV reader and the tabular preprocessing behind it: the bytes are parsed as
// CSV (the first byte picks the options), and a table that parses is fitted and transformed.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>

#include "cajal/core/error.h"
#include "cajal/data/csv.h"
#include "cajal/data/preprocessing.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = data[0];
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  cajal::data::CsvOptions options;
  options.header = (mode & 1) == 0;
  options.delimiter = (mode & 2) ? ';' : ',';
  options.task = (mode & 4) ? cajal::data::Task::regression : cajal::data::Task::classification;
  options.impute = (mode & 8) ? cajal::data::Impute::median : cajal::data::Impute::mean;
  options.scale = (mode & 16) ? cajal::data::Scale::standard : cajal::data::Scale::none;
  if (mode & 32) options.target = int64_t{0};
  try {
    cajal::data::Table table = cajal::data::parse_csv(text, options, "fuzz");
    cajal::data::TabularPreprocessor preprocessor = table.preprocessor();
    preprocessor.fit(table);
    preprocessor.transform(table);
    cajal::data::TabularPreprocessor::from_json(preprocessor.to_json()).transform(table);
  } catch (const cajal::Error&) {
  }
  return 0;
}
