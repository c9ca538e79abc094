// CSV parsing into data::Table: RFC 4180 quoting, line ends, missing cells, column kinds, targets
// and the errors that point into the file.
#include "cajal/data/csv.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "support/expect_error.h"

namespace cajal {
namespace {

using data::ColumnKind;
using data::parse_csv;
using data::Table;
using testing::expect_error;

std::string cell(const Table& table, int64_t row, int64_t column) {
  const auto& value = table.cell(row, column);
  return value ? *value : "<missing>";
}

TEST(Csv, HeaderAndPlainFields) {
  Table table = parse_csv("a,b,c\n1,2,x\n3,4,y\n");
  EXPECT_EQ(table.column_names(), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(table.num_rows(), 2);
  EXPECT_EQ(cell(table, 1, 0), "3");
  EXPECT_EQ(cell(table, 1, 2), "y");
  EXPECT_EQ(table.line(0), 2);
  EXPECT_EQ(table.line(1), 3);
  // The default target is the last column.
  EXPECT_EQ(table.target_column(), 2);
  EXPECT_EQ(table.feature_columns(), (std::vector<int64_t>{0, 1}));
}

TEST(Csv, QuotedFieldsHoldDelimitersQuotesAndLineEnds) {
  Table table = parse_csv(
      "name,note,y\n"
      "\"Smith, J\",\"said \"\"hi\"\"\",1\n"
      "\"two\nlines\",\"\",2\n"
      "plain,\"a\r\nb\",3\n");
  ASSERT_EQ(table.num_rows(), 3);
  EXPECT_EQ(cell(table, 0, 0), "Smith, J");
  EXPECT_EQ(cell(table, 0, 1), "said \"hi\"");
  EXPECT_EQ(cell(table, 1, 0), "two\nlines");
  EXPECT_EQ(cell(table, 1, 1), "<missing>");  // "" is an empty cell: missing
  EXPECT_EQ(cell(table, 2, 1), "a\r\nb");
  // Line numbers count the line ends inside quotes.
  EXPECT_EQ(table.line(0), 2);
  EXPECT_EQ(table.line(1), 3);
  EXPECT_EQ(table.line(2), 5);
}

TEST(Csv, LineEndsAndTrailingNewlineOptional) {
  for (const char* text :
       {"a,b\r\n1,2\r\n3,4\r\n", "a,b\r\n1,2\r\n3,4", "a,b\n1,2\n3,4", "a,b\r1,2\r3,4\r",
        "\xEF\xBB\xBF"
        "a,b\n1,2\n\n3,4\n\n"}) {
    Table table = parse_csv(text);
    EXPECT_EQ(table.column_names(), (std::vector<std::string>{"a", "b"})) << text;
    ASSERT_EQ(table.num_rows(), 2) << text;
    EXPECT_EQ(cell(table, 0, 0), "1");
    EXPECT_EQ(cell(table, 1, 1), "4") << text;
  }
  // A blank line is skipped but still counted.
  Table table = parse_csv("a,b\n1,2\n\n3,4\n");
  EXPECT_EQ(table.line(1), 4);
}

TEST(Csv, EmptyCellsAndNaValuesAreMissing) {
  Table table = parse_csv("a,b,c\n1,,x\n NA ,2,\nnan,null,N/A\n");
  EXPECT_EQ(cell(table, 0, 1), "<missing>");
  EXPECT_EQ(cell(table, 1, 0), "<missing>");
  EXPECT_EQ(cell(table, 1, 2), "<missing>");
  EXPECT_EQ(cell(table, 2, 0), "<missing>");
  EXPECT_EQ(cell(table, 2, 1), "<missing>");
  // A trailing delimiter is one more, empty, field.
  Table trailing = parse_csv("a,b\n1,\n", {.target = data::no_target});
  EXPECT_EQ(cell(trailing, 0, 1), "<missing>");
  // Custom na_values.
  Table custom = parse_csv("a,b\n?,1\n", {.na_values = {"?"}});
  EXPECT_EQ(cell(custom, 0, 0), "<missing>");
}

TEST(Csv, NoHeaderAndOtherDelimiter) {
  Table table = parse_csv("1;2;a\n3;4;b\n", {.header = false, .delimiter = ';'});
  EXPECT_EQ(table.column_names(), (std::vector<std::string>{"0", "1", "2"}));
  EXPECT_EQ(table.num_rows(), 2);
  EXPECT_EQ(cell(table, 1, 2), "b");
  EXPECT_EQ(table.line(0), 1);
  Table tabs = parse_csv("x\ty\n1,5\t2\n", {.delimiter = '\t'});
  EXPECT_EQ(cell(tabs, 0, 0), "1,5");
}

TEST(Csv, ColumnKindsAreDetected) {
  Table table = parse_csv("n,c,zip,y\n1.5,red,10115,a\n-2e3,blue,,b\n+3,7,20095,a\n",
                          {.categorical = {"zip"}});
  EXPECT_EQ(table.kind(0), ColumnKind::numeric);
  EXPECT_EQ(table.kind(1), ColumnKind::categorical);  // one value is not a number
  EXPECT_EQ(table.kind(2), ColumnKind::categorical);  // asked for
  EXPECT_EQ(table.kind(3), ColumnKind::categorical);  // a classification target
  EXPECT_DOUBLE_EQ(*table.number(1, 0), -2000.0);
  EXPECT_DOUBLE_EQ(*table.number(2, 0), 3.0);
  EXPECT_FALSE(table.number(1, 2).has_value());
}

TEST(Csv, TargetByNameIndexOrNone) {
  const char* text = "a,label,b\n1,x,2\n";
  EXPECT_EQ(parse_csv(text, {.target = "label"}).target_column(), 1);
  EXPECT_EQ(parse_csv(text, {.target = int64_t{0}}).target_column(), 0);
  EXPECT_EQ(parse_csv(text, {.target = int64_t{-2}}).target_column(), 1);
  Table unlabelled = parse_csv(text, {.target = data::no_target});
  EXPECT_FALSE(unlabelled.has_target());
  EXPECT_EQ(unlabelled.feature_columns().size(), 3u);
}

TEST(Csv, RaggedRowsNameLineAndColumn) {
  expect_error<IOError>([] { parse_csv("a,b,c\n1,2,3\n4,5\n", {}, "data.csv"); },
                        {"data.csv", "line 3", "column 3", "expected 3 fields", "got 2"});
  expect_error<IOError>([] { parse_csv("a,b\n1,2\n\"x\ny\",2,3\n", {}, "data.csv"); },
                        {"data.csv", "line 3", "expected 2 fields", "got 3"});
}

TEST(Csv, UnterminatedQuoteNamesWhereItStarted) {
  expect_error<IOError>([] { parse_csv("a,b\n1,2\n3,\"open\n4,5\n", {}, "data.csv"); },
                        {"data.csv", "line 3", "column 2", "unterminated quoted field"});
}

TEST(Csv, TextAfterClosingQuote) {
  expect_error<IOError>([] { parse_csv("a,b\n\"x\"y,2\n", {}, "f.csv"); },
                        {"f.csv", "line 2", "column 1", "'y'", "after a closing quote"});
}

TEST(Csv, NonNumericValueInNumericColumn) {
  expect_error<ValueError>(
      [] { parse_csv("a,price,y\n1,2.5,u\n2,abc,v\n", {.numeric = {"price"}}, "shop.csv"); },
      {"shop.csv", "line 3", "column 2", "\"price\"", "expected a number", "\"abc\""});
  // A regression target must be numeric.
  expect_error<ValueError>(
      [] { parse_csv("a,y\n1,2\n2,3\n3,high\n", {.task = data::Task::regression}, "r.csv"); },
      {"r.csv", "line 4", "column 2", "\"y\"", "\"high\""});
}

TEST(Csv, OptionErrors) {
  expect_error<ValueError>([] { parse_csv("a,b\n1,2\n", {.target = "c"}); },
                           {"target column", "\"c\"", "a, b"});
  expect_error<ValueError>([] { parse_csv("a,b\n1,2\n", {.target = int64_t{5}}); },
                           {"target index 5", "2 columns"});
  expect_error<ValueError>([] { parse_csv("a,b\n1,2\n", {.categorical = {"z"}}); },
                           {"categorical column", "\"z\""});
  expect_error<ValueError>(
      [] { parse_csv("a,b\n1,2\n", {.categorical = {"a"}, .numeric = {"a"}}); },
      {"\"a\"", "both categorical and numeric"});
  expect_error<ValueError>([] { parse_csv("a,b\n", {.delimiter = '"'}); }, {"delimiter"});
  expect_error<IOError>([] { parse_csv("", {}, "empty.csv"); }, {"empty.csv", "no data"});
  expect_error<IOError>([] { parse_csv("a,a\n1,2\n", {}, "dup.csv"); },
                        {"dup.csv", "duplicate column name", "\"a\""});
}

TEST(Csv, ReadFileAndFileErrors) {
  const std::filesystem::path path =
      std::filesystem::temp_directory_path() / "cajal_csv_test_read.csv";
  {
    std::ofstream file(path, std::ios::binary);
    file << "x,y\r\n1,a\r\n2,b\r\n";
  }
  Table table = data::read_csv(path.string());
  EXPECT_EQ(table.num_rows(), 2);
  EXPECT_EQ(table.source(), path.string());
  std::filesystem::remove(path);
  expect_error<IOError>([] { data::read_csv("/nonexistent/cajal.csv"); },
                        {"read_csv", "/nonexistent/cajal.csv", "cannot open"});
  expect_error<IOError>([] { data::read_csv("/tmp"); }, {"read_csv", "is a directory"});
}

TEST(Csv, SubsetAndSplitAreDeterministic) {
  std::string text = "x,y\n";
  for (int i = 0; i < 20; ++i) text += std::to_string(i) + "," + (i % 2 ? "a" : "b") + "\n";
  Table table = parse_csv(text);
  Table picked = table.subset({3, 0, 3});
  EXPECT_EQ(cell(picked, 0, 0), "3");
  EXPECT_EQ(cell(picked, 2, 0), "3");
  EXPECT_EQ(picked.line(1), 2);
  expect_error<IndexError>([&] { table.subset({20}); }, {"index 20", "20 examples"});

  auto [train, test] = table.split(0.25, 7);
  EXPECT_EQ(train.num_rows(), 15);
  EXPECT_EQ(test.num_rows(), 5);
  auto [train2, test2] = table.split(0.25, 7);
  std::vector<std::string> rows_test;
  for (int64_t r = 0; r < test.num_rows(); ++r) {
    EXPECT_EQ(cell(test, r, 0), cell(test2, r, 0));
    rows_test.push_back(cell(test, r, 0));
  }
  // Every row lands in exactly one part.
  for (int64_t r = 0; r < train.num_rows(); ++r) {
    EXPECT_EQ(std::count(rows_test.begin(), rows_test.end(), cell(train, r, 0)), 0);
  }
  expect_error<ValueError>([&] { table.split(1.5, 0); }, {"test_fraction", "1.5"});
}

TEST(Csv, ParseNumber) {
  EXPECT_EQ(data::parse_number(" 2.5 "), 2.5);
  EXPECT_EQ(data::parse_number("+1e3"), 1000.0);
  EXPECT_EQ(data::parse_number("-0.5"), -0.5);
  EXPECT_FALSE(data::parse_number("inf"));
  EXPECT_FALSE(data::parse_number("nan"));
  EXPECT_FALSE(data::parse_number("1.2.3"));
  EXPECT_FALSE(data::parse_number("+-1"));
  EXPECT_FALSE(data::parse_number("0x10"));
  EXPECT_FALSE(data::parse_number(""));
}

}  // namespace
}  // namespace cajal
