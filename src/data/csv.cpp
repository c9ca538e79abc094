#include "cajal/data/csv.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "cajal/core/error.h"

namespace cajal::data {

namespace {

std::string_view trim(std::string_view text) {
  size_t begin = 0;
  size_t end = text.size();
  while (begin < end && (text[begin] == ' ' || text[begin] == '\t')) ++begin;
  while (end > begin && (text[end - 1] == ' ' || text[end - 1] == '\t')) --end;
  return text.substr(begin, end - begin);
}

// Shown in messages: quoted, and cut short so one huge cell cannot flood the terminal.
std::string quote(std::string_view text) {
  constexpr size_t kLongest = 40;
  std::string shown(text.substr(0, std::min(text.size(), kLongest)));
  if (text.size() > kLongest) shown += "...";
  return "\"" + shown + "\"";
}

struct Records {
  std::vector<std::vector<std::string>> fields;
  std::vector<int64_t> lines;  // where each record starts
};

// The RFC 4180 state machine. Linear in the input, no recursion: safe on any bytes.
Records split_records(std::string_view text, char delimiter, const std::string& source) {
  Records records;
  size_t i = 0;
  const size_t n = text.size();
  int64_t line = 1;
  if (n >= 3 && text.substr(0, 3) == "\xEF\xBB\xBF") i = 3;
  // At '\r' or '\n': one line end (CRLF counts once).
  auto consume_line_end = [&] {
    if (text[i] == '\r') ++i;
    if (i < n && text[i] == '\n') ++i;
    ++line;
  };
  while (i < n) {
    if (text[i] == '\n' || text[i] == '\r') {  // a blank line
      consume_line_end();
      continue;
    }
    const int64_t record_line = line;
    std::vector<std::string> fields;
    while (true) {
      std::string field;
      const int64_t column = static_cast<int64_t>(fields.size()) + 1;
      if (i < n && text[i] == '"') {
        const int64_t quote_line = line;
        ++i;
        bool closed = false;
        while (i < n) {
          const char c = text[i];
          if (c == '"') {
            if (i + 1 < n && text[i + 1] == '"') {
              field += '"';
              i += 2;
              continue;
            }
            ++i;
            closed = true;
            break;
          }
          if (c == '\n' || (c == '\r' && (i + 1 >= n || text[i + 1] != '\n'))) ++line;
          field += c;
          ++i;
        }
        if (!closed) {
          throw IOError(source + ": line " + std::to_string(quote_line) + ", column " +
                        std::to_string(column) + ": unterminated quoted field");
        }
        if (i < n && text[i] != delimiter && text[i] != '\n' && text[i] != '\r') {
          throw IOError(source + ": line " + std::to_string(line) + ", column " +
                        std::to_string(column) + ": unexpected character '" +
                        std::string(1, text[i]) + "' after a closing quote (expected '" +
                        std::string(1, delimiter) + "' or a line end)");
        }
      } else {
        const size_t start = i;
        while (i < n && text[i] != delimiter && text[i] != '\n' && text[i] != '\r') ++i;
        field.assign(text.substr(start, i - start));
      }
      fields.push_back(std::move(field));
      if (i < n && text[i] == delimiter) {
        ++i;
        continue;  // a delimiter at the end of a line leaves one more, empty, field
      }
      break;  // a line end or the end of the text
    }
    if (i < n) consume_line_end();
    records.fields.push_back(std::move(fields));
    records.lines.push_back(record_line);
  }
  return records;
}

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) out += (i ? ", " : "") + names[i];
  return out;
}

}  // namespace

std::optional<double> parse_number(std::string_view text) {
  text = trim(text);
  if (!text.empty() && text[0] == '+') {
    text.remove_prefix(1);
    if (!text.empty() && (text[0] == '-' || text[0] == '+')) return std::nullopt;
  }
  if (text.empty()) return std::nullopt;
  double value = 0.0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value, std::chars_format::general);
  if (ec != std::errc() || ptr != end || !std::isfinite(value)) return std::nullopt;
  return value;
}

// ---------------------------------------------------------------------------------------------
// Table

int64_t Table::column_index(const std::string& name) const {
  std::optional<int64_t> index = find_column(name);
  if (!index) {
    throw ValueError(source_ + ": no column named " + quote(name) + "; the columns are " +
                     join(names_));
  }
  return *index;
}

std::optional<int64_t> Table::find_column(const std::string& name) const {
  auto it = std::find(names_.begin(), names_.end(), name);
  if (it == names_.end()) return std::nullopt;
  return static_cast<int64_t>(it - names_.begin());
}

ColumnKind Table::kind(int64_t column) const {
  if (column < 0 || column >= num_columns()) {
    throw IndexError("Table: column " + std::to_string(column) + " is out of range for " +
                     std::to_string(num_columns()) + " columns");
  }
  return kinds_[static_cast<size_t>(column)];
}

const std::optional<std::string>& Table::cell(int64_t row, int64_t column) const {
  kind(column);  // checks the column index
  check_index("Table", row, num_rows());
  return cells_[static_cast<size_t>(column)][static_cast<size_t>(row)];
}

std::optional<double> Table::number(int64_t row, int64_t column) const {
  const std::optional<std::string>& text = cell(row, column);
  if (!text) return std::nullopt;
  std::optional<double> value = parse_number(*text);
  if (!value) {
    throw ValueError(location(row, column) + ": expected a number, got " + quote(*text));
  }
  return value;
}

int64_t Table::target_column() const {
  if (!target_) throw ValueError(source_ + ": the table has no target column");
  return *target_;
}

std::vector<int64_t> Table::feature_columns() const {
  std::vector<int64_t> columns;
  for (int64_t c = 0; c < num_columns(); ++c) {
    if (!target_ || c != *target_) columns.push_back(c);
  }
  return columns;
}

int64_t Table::line(int64_t row) const {
  check_index("Table", row, num_rows());
  return lines_[static_cast<size_t>(row)];
}

std::string Table::location(int64_t row, int64_t column) const {
  std::string where = source_ + ": line " + std::to_string(line(row));
  if (column >= 0 && column < num_columns()) {
    where += ", column " + std::to_string(column + 1) + " (" +
             quote(names_[static_cast<size_t>(column)]) + ")";
  }
  return where;
}

Table Table::subset(const std::vector<int64_t>& indices) const {
  Table out;
  out.source_ = source_;
  out.names_ = names_;
  out.kinds_ = kinds_;
  out.target_ = target_;
  out.task_ = task_;
  out.tabular_options_ = tabular_options_;
  out.cells_.resize(cells_.size());
  for (auto& column : out.cells_) column.reserve(indices.size());
  out.lines_.reserve(indices.size());
  for (int64_t index : indices) {
    check_index("Table::subset", index, num_rows());
    const size_t r = static_cast<size_t>(index);
    for (size_t c = 0; c < cells_.size(); ++c) out.cells_[c].push_back(cells_[c][r]);
    out.lines_.push_back(lines_[r]);
  }
  return out;
}

std::pair<Table, Table> Table::split(double test_fraction, uint64_t seed) const {
  if (!(test_fraction >= 0.0 && test_fraction <= 1.0)) {
    throw ValueError("Table::split: test_fraction must be in [0, 1], got " +
                     std::to_string(test_fraction));
  }
  const int64_t n = num_rows();
  std::vector<int64_t> order(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) order[static_cast<size_t>(i)] = i;
  std::mt19937_64 generator(seed);
  for (int64_t i = n - 1; i > 0; --i) {
    const int64_t j = static_cast<int64_t>(generator() % static_cast<uint64_t>(i + 1));
    std::swap(order[static_cast<size_t>(i)], order[static_cast<size_t>(j)]);
  }
  const int64_t test_count = std::llround(test_fraction * static_cast<double>(n));
  std::vector<int64_t> test(order.begin(), order.begin() + test_count);
  std::vector<int64_t> train(order.begin() + test_count, order.end());
  // File order within each part keeps the parts easy to read and compare.
  std::sort(train.begin(), train.end());
  std::sort(test.begin(), test.end());
  return {subset(train), subset(test)};
}

TabularPreprocessor Table::preprocessor() const { return TabularPreprocessor(tabular_options_); }

// ---------------------------------------------------------------------------------------------
// Parsing

Table parse_csv(std::string_view text, const CsvOptions& options, const std::string& source) {
  const char delimiter = options.delimiter;
  if (delimiter == '"' || delimiter == '\n' || delimiter == '\r' || delimiter == '\0') {
    std::string shown = delimiter == '"'    ? "'\"'"
                        : delimiter == '\n' ? "'\\n'"
                        : delimiter == '\r' ? "'\\r'"
                                            : "'\\0'";
    throw ValueError("read_csv: delimiter must not be a quote, a line end or NUL, got " + shown);
  }
  Records records = split_records(text, delimiter, source);
  if (records.fields.empty()) {
    throw IOError(source + ": no data (the file is empty" +
                  std::string(options.header ? ", expected a header row)" : ")"));
  }

  Table table;
  table.source_ = source;
  table.task_ = options.task;
  table.tabular_options_ = {.impute = options.impute, .scale = options.scale};
  const size_t width = records.fields.front().size();
  size_t first_row = 0;
  if (options.header) {
    first_row = 1;
    for (size_t c = 0; c < width; ++c) {
      std::string name(trim(records.fields.front()[c]));
      if (name.empty()) name = "column_" + std::to_string(c);
      if (std::find(table.names_.begin(), table.names_.end(), name) != table.names_.end()) {
        throw IOError(source + ": line " + std::to_string(records.lines.front()) + ", column " +
                      std::to_string(c + 1) + ": duplicate column name " + quote(name));
      }
      table.names_.push_back(std::move(name));
    }
  } else {
    for (size_t c = 0; c < width; ++c) table.names_.push_back(std::to_string(c));
  }

  table.cells_.assign(width, {});
  for (size_t r = first_row; r < records.fields.size(); ++r) {
    std::vector<std::string>& fields = records.fields[r];
    if (fields.size() != width) {
      const size_t column = std::min(fields.size(), width) + 1;
      throw IOError(source + ": line " + std::to_string(records.lines[r]) + ", column " +
                    std::to_string(column) + ": expected " + std::to_string(width) + " fields" +
                    (options.header ? " (as in the header)" : " (as in line 1)") + ", got " +
                    std::to_string(fields.size()));
    }
    for (size_t c = 0; c < width; ++c) {
      std::string_view value = trim(fields[c]);
      const bool missing = std::find(options.na_values.begin(), options.na_values.end(), value) !=
                           options.na_values.end();
      if (missing) {
        table.cells_[c].emplace_back(std::nullopt);
      } else {
        table.cells_[c].emplace_back(std::string(value));
      }
    }
    table.lines_.push_back(records.lines[r]);
  }

  // The target column.
  const int64_t columns = table.num_columns();
  if (const auto* name = std::get_if<std::string>(&options.target)) {
    std::optional<int64_t> index = table.find_column(*name);
    if (!index) {
      throw ValueError("read_csv: target column " + quote(*name) + " not found in " + source +
                       "; the columns are " + join(table.names_));
    }
    table.target_ = index;
  } else if (const auto* index = std::get_if<int64_t>(&options.target)) {
    const int64_t resolved = *index < 0 ? *index + columns : *index;
    if (resolved < 0 || resolved >= columns) {
      throw ValueError("read_csv: target index " + std::to_string(*index) +
                       " is out of range for " + std::to_string(columns) + " columns in " + source);
    }
    table.target_ = resolved;
  }

  // Column kinds.
  auto lookup = [&](const std::string& name, const char* option) {
    std::optional<int64_t> index = table.find_column(name);
    if (!index) {
      throw ValueError(std::string("read_csv: ") + option + " column " + quote(name) +
                       " not found in " + source + "; the columns are " + join(table.names_));
    }
    return *index;
  };
  std::vector<int> forced(static_cast<size_t>(columns), 0);  // 1 categorical, 2 numeric
  for (const std::string& name : options.categorical) {
    forced[static_cast<size_t>(lookup(name, "categorical"))] = 1;
  }
  for (const std::string& name : options.numeric) {
    int& kind = forced[static_cast<size_t>(lookup(name, "numeric"))];
    if (kind == 1) {
      throw ValueError("read_csv: column " + quote(name) +
                       " is listed as both categorical and numeric");
    }
    kind = 2;
  }
  if (table.target_ && options.task == Task::regression) {
    if (forced[static_cast<size_t>(*table.target_)] == 1) {
      throw ValueError("read_csv: the regression target " +
                       quote(table.names_[static_cast<size_t>(*table.target_)]) +
                       " cannot be categorical");
    }
    forced[static_cast<size_t>(*table.target_)] = 2;
  }
  table.kinds_.assign(static_cast<size_t>(columns), ColumnKind::numeric);
  for (int64_t c = 0; c < columns; ++c) {
    const size_t column = static_cast<size_t>(c);
    if (table.target_ && c == *table.target_ && options.task == Task::classification) {
      table.kinds_[column] = ColumnKind::categorical;  // labels are names, even "0", "1"
      continue;
    }
    if (forced[column] == 1) {
      table.kinds_[column] = ColumnKind::categorical;
      continue;
    }
    for (int64_t r = 0; r < table.num_rows(); ++r) {
      const std::optional<std::string>& value = table.cells_[column][static_cast<size_t>(r)];
      if (!value || parse_number(*value)) continue;
      if (forced[column] == 2) table.number(r, c);  // throws with the location
      table.kinds_[column] = ColumnKind::categorical;
      break;
    }
  }
  return table;
}

Table read_csv(const std::string& path, const CsvOptions& options) {
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) {
    throw IOError("read_csv: '" + path + "' is a directory, expected a CSV file");
  }
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    throw IOError("read_csv: cannot open '" + path + "': " + std::strerror(errno));
  }
  std::ostringstream contents;
  contents << file.rdbuf();
  if (file.bad()) throw IOError("read_csv: error while reading '" + path + "'");
  return parse_csv(contents.str(), options, path);
}

}  // namespace cajal::data
