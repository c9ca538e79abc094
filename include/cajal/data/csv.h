#pragma once
// Reading CSV files (RFC 4180) into a data::Table, the tabular counterpart of a data set before it
// becomes tensors.
//
//   data::Table table = data::read_csv("penguins.csv", {.target = "species",
//                                                      .categorical = {"island"},
//                                                      .impute = data::Impute::median});
//   auto [train_rows, test_rows] = table.split(0.2, /*seed=*/0);
//   data::TabularPreprocessor prep = table.preprocessor();   // impute/scale options of the read
//   data::TensorDataset train = prep.fit_transform(train_rows);  // statistics of train only
//   data::TensorDataset test = prep.transform(test_rows);
//
// Parsing: fields separated by `delimiter`, records by LF or CRLF (a lone CR counts as a line
// end too), the last line end optional. A field in double quotes may hold delimiters, line ends
// and doubled quotes (""). A quote inside an unquoted field is an ordinary character. Blank lines
// are skipped; a UTF-8 byte order mark is ignored. Cells equal (after trimming spaces) to one of
// `na_values` are missing. Malformed input (a row with the wrong number of fields, an unterminated
// quote, text after a closing quote) is an IOError naming the source, the line and the column.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "cajal/data/preprocessing.h"

namespace cajal::data {

// A column chosen by name or by index (negative indices count from the end: -1 is the last).
// std::monostate means none (a table without a target, e.g. rows to predict).
using ColumnRef = std::variant<std::monostate, std::string, int64_t>;
inline constexpr std::monostate no_target{};

struct CsvOptions {
  ColumnRef target = int64_t{-1};  // the last column by default
  Task task = Task::classification;
  // Columns read as categories even when their values are numbers (e.g. a zip code). Any other
  // column with a value that is not a number is categorical too.
  std::vector<std::string> categorical = {};
  // Columns that must be numeric: a value that is not a number is a ValueError with its location.
  std::vector<std::string> numeric = {};
  Impute impute = Impute::mean;  // numeric columns; categorical ones use the most frequent value
  Scale scale = Scale::none;
  bool header = true;  // without one, columns are named "0", "1", ...
  char delimiter = ',';
  std::vector<std::string> na_values = {"", "NA", "N/A", "NaN", "nan", "NULL", "null"};
};

enum class ColumnKind { numeric, categorical };

// Cells as text (missing cells are std::nullopt), with the kind of each column and where each row
// came from, so that later errors can point into the file.
class Table {
 public:
  Table() = default;

  int64_t num_rows() const { return static_cast<int64_t>(lines_.size()); }
  int64_t num_columns() const { return static_cast<int64_t>(names_.size()); }
  const std::vector<std::string>& column_names() const { return names_; }
  // IndexError for a bad index; ValueError naming the column for a bad name.
  int64_t column_index(const std::string& name) const;
  std::optional<int64_t> find_column(const std::string& name) const;
  ColumnKind kind(int64_t column) const;
  // The cell, surrounding spaces trimmed; std::nullopt when missing.
  const std::optional<std::string>& cell(int64_t row, int64_t column) const;
  // The number in a numeric cell (std::nullopt when missing); ValueError with source, line and
  // column when the text is not a finite number.
  std::optional<double> number(int64_t row, int64_t column) const;

  bool has_target() const { return target_.has_value(); }
  int64_t target_column() const;  // ValueError when there is none
  Task task() const { return task_; }
  // The feature columns: every column but the target, in file order.
  std::vector<int64_t> feature_columns() const;

  const std::string& source() const { return source_; }
  int64_t line(int64_t row) const;  // the 1-based line where the row starts
  // "data.csv: line 4, column 2 (\"price\")" for error messages.
  std::string location(int64_t row, int64_t column) const;

  // The rows at `indices`, in that order (repeats allowed). IndexError when out of range.
  Table subset(const std::vector<int64_t>& indices) const;
  // A random split: round(test_fraction * N) rows go to the second table. The permutation depends
  // only on the seed (Fisher-Yates over a std::mt19937_64), so splits are reproducible everywhere.
  std::pair<Table, Table> split(double test_fraction, uint64_t seed) const;

  // A TabularPreprocessor with the impute and scale options the table was read with (unfitted).
  TabularPreprocessor preprocessor() const;
  const TabularOptions& tabular_options() const { return tabular_options_; }

 private:
  friend Table parse_csv(std::string_view, const CsvOptions&, const std::string&);
  std::string source_;
  std::vector<std::string> names_;
  std::vector<ColumnKind> kinds_;
  std::vector<std::vector<std::optional<std::string>>> cells_;  // [column][row]
  std::vector<int64_t> lines_;
  std::optional<int64_t> target_;
  Task task_ = Task::classification;
  TabularOptions tabular_options_;
};

// Parses CSV text; `source` names it in error messages. IOError for malformed CSV, ValueError
// for bad options (unknown column names, a delimiter that is a quote or a line end) and for
// non-numeric values in a `numeric` column or in a regression target.
Table parse_csv(std::string_view text, const CsvOptions& options = {},
                const std::string& source = "<string>");
// Reads and parses a file. IOError naming the path when it cannot be read.
Table read_csv(const std::string& path, const CsvOptions& options = {});

// Parses a number the way CSV cells are read: surrounding spaces allowed, a leading '+' allowed,
// finite values only. std::nullopt when the text is not such a number.
std::optional<double> parse_number(std::string_view text);

}  // namespace cajal::data
