// The training report: base64 against RFC 4648's vectors, HTML escaping, the bitmap font, pixel
// positions of the plots, and whole reports (files, PNG sizes, embedded data URIs equal to the PNG
// files, escaped class names, NaN losses, no epochs, bad data).
#include "cajal/train/report.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include "cajal/core/creation.h"
#include "cajal/core/random.h"
#include "cajal/data/image_folder.h"
#include "cajal/train/plot.h"
#include "support/expect_error.h"

namespace cajal {
namespace {

namespace fs = std::filesystem;
using testing::expect_error;
using train::base64_encode;
using train::html_escape;
namespace plot = train::plot;

// An independent decoder, so the encoder is not checked against itself.
std::string base64_decode(const std::string& text) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  int bits = 0;
  uint32_t buffer = 0;
  for (char c : text) {
    if (c == '=') break;
    int v = value(c);
    if (v < 0) ADD_FAILURE() << "not a base64 character: " << int(c);
    buffer = (buffer << 6) | uint32_t(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += char((buffer >> bits) & 0xFF);
    }
  }
  return out;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

int64_t count_of(const std::string& text, const std::string& part) {
  int64_t count = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++count;
  return count;
}

class ReportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    directory_ = fs::temp_directory_path() /
                 ("cajal_report_" + std::to_string(::getpid()) + "_" + info->name());
    fs::remove_all(directory_);
  }
  void TearDown() override { fs::remove_all(directory_); }

  fs::path directory_;
};

train::Logs epoch_logs(double epoch, double train_loss, double val_loss, double train_accuracy,
                       double val_accuracy) {
  train::Logs logs;
  logs.insert("epoch", epoch);
  logs.insert("train_loss", train_loss);
  logs.insert("train_accuracy", train_accuracy);
  logs.insert("val_loss", val_loss);
  logs.insert("val_accuracy", val_accuracy);
  logs.insert("lr", 1e-3);
  logs.insert("seconds", 1.25);
  return logs;
}

train::ReportData full_report() {
  manual_seed(3);
  train::ReportData data;
  data.title = "tiny <cnn>";
  data.history.epochs = {epoch_logs(0, 1.2, 1.0, 0.5, 0.55), epoch_logs(1, 0.8, 0.9, 0.7, 0.65),
                         epoch_logs(2, 0.5, 0.85, 0.8, 0.7)};
  data.test.insert("loss", 0.9);
  data.test.insert("accuracy", 0.675);
  data.confusion = tensor({{5, 1, 0}, {2, 4, 1}, {0, 0, 7}}, {.dtype = int64});
  data.class_names = {"cat", "dog", "<b>&"};
  data.images = rand({6, 1, 8, 8});
  data.predicted = tensor({0, 1, 2, 2, 1, 0}, {.dtype = int64});
  data.truth = tensor({0, 1, 2, 1, 1, 2}, {.dtype = int64});
  data.probabilities = tensor({0.9, 0.8, 0.99, 0.51, 0.7, 0.4});
  data.summary = "Sequential(\n  (0): Linear(in_features=64, out_features=3)\n) <params & more>";
  data.spec = R"({"layers": [{"type": "linear", "out_features": 3}]})";
  return data;
}

TEST(Base64, Rfc4648TestVectors) {
  // RFC 4648, section 10.
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("foob"), "Zm9vYg==");
  EXPECT_EQ(base64_encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
}

TEST(Base64, BinaryBytesRoundTrip) {
  EXPECT_EQ(base64_encode(std::string("\xff\xfe", 2)), "//4=");
  EXPECT_EQ(base64_encode(std::string("\0\0\0", 3)), "AAAA");
  std::string all;
  for (int i = 0; i < 256; ++i) all += char(i);
  for (size_t length = 250; length <= 256; ++length) {
    std::string part = all.substr(0, length);
    std::string encoded = base64_encode(part);
    EXPECT_EQ(encoded.size(), (length + 2) / 3 * 4);
    EXPECT_EQ(base64_decode(encoded), part);
  }
}

TEST(HtmlEscape, EscapesMarkupCharacters) {
  EXPECT_EQ(html_escape("<b>&\"x'"), "&lt;b&gt;&amp;&quot;x&#39;");
  EXPECT_EQ(html_escape("plain text"), "plain text");
  EXPECT_EQ(html_escape("&amp;"), "&amp;amp;");
}

TEST(Font, EveryGlyphDiffersAndOnlySpaceIsBlank) {
  const std::string& characters = plot::font_characters();
  for (char c : std::string("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ.-:%/()_ ")) {
    EXPECT_NE(characters.find(c), std::string::npos) << "missing glyph '" << c << "'";
  }
  std::set<plot::Glyph> distinct;
  for (char c : characters) {
    const plot::Glyph& rows = plot::glyph(c);
    bool blank = true;
    for (uint8_t row : rows) {
      EXPECT_LT(row, 32) << "glyph '" << c << "' is wider than 5 pixels";
      blank = blank && row == 0;
    }
    EXPECT_EQ(blank, c == ' ') << "glyph '" << c << "'";
    distinct.insert(rows);
  }
  EXPECT_EQ(distinct.size(), characters.size());
  EXPECT_EQ(plot::glyph('a'), plot::glyph('A'));
  EXPECT_EQ(plot::glyph('~'), plot::glyph('?'));
  EXPECT_EQ(plot::text_width(""), 0);
  EXPECT_EQ(plot::text_width("ab"), 11);
  EXPECT_EQ(plot::text_width("ab", 2), 22);
}

TEST(Canvas, TextDrawsTheGlyphBitmap) {
  plot::Canvas canvas(40, 20);
  canvas.draw_text(3, 2, "7", plot::kRed, 2);
  const plot::Glyph& seven = plot::glyph('7');
  for (int64_t row = 0; row < plot::kGlyphHeight; ++row) {
    for (int64_t column = 0; column < plot::kGlyphWidth; ++column) {
      bool on = seven[size_t(row)] & (1u << (4 - column));
      for (int64_t dy = 0; dy < 2; ++dy) {
        for (int64_t dx = 0; dx < 2; ++dx) {
          EXPECT_EQ(canvas.pixel(3 + column * 2 + dx, 2 + row * 2 + dy),
                    on ? plot::kRed : plot::kWhite)
              << "row " << row << " column " << column;
        }
      }
    }
  }
}

TEST(Canvas, LinesClipAndTensorLayout) {
  plot::Canvas canvas(10, 6);
  canvas.draw_line(0, 0, 5, 5, plot::kBlue);
  for (int64_t i = 0; i <= 5; ++i) EXPECT_EQ(canvas.pixel(i, i), plot::kBlue);
  EXPECT_EQ(canvas.pixel(1, 0), plot::kWhite);
  canvas.draw_line(-20, 3, 30, 3, plot::kGreen, 2);  // clipped, no crash
  for (int64_t x = 0; x < 10; ++x) {
    EXPECT_EQ(canvas.pixel(x, 3), plot::kGreen);
    EXPECT_EQ(canvas.pixel(x, 4), plot::kGreen);
    EXPECT_EQ(canvas.pixel(x, 2), x == 2 ? plot::kBlue : plot::kWhite);
  }
  Tensor t = canvas.to_tensor();
  EXPECT_EQ(t.dtype(), Dtype::uint8);
  EXPECT_EQ(t.shape(), (Shape{3, 6, 10}));
  std::vector<int64_t> values = to_vector<int64_t>(t);
  // Channel c of pixel (x=1, y=1) (the blue diagonal) sits at c * 60 + 1 * 10 + 1.
  EXPECT_EQ(values[0 * 60 + 11], 31);
  EXPECT_EQ(values[1 * 60 + 11], 119);
  EXPECT_EQ(values[2 * 60 + 11], 180);
  expect_error<IndexError>([&] { canvas.pixel(10, 0); }, {"Canvas::pixel", "(10, 0)"});
  expect_error<ValueError>([] { plot::Canvas(0, 5); }, {"Canvas", "0 x 5"});
}

TEST(Canvas, ClipRestrictsDrawing) {
  plot::Canvas canvas(10, 10);
  canvas.set_clip(2, 3, 4, 5);  // columns 2..5, rows 3..7
  canvas.fill_rect(0, 0, 10, 10, plot::kBlack);
  for (int64_t y = 0; y < 10; ++y) {
    for (int64_t x = 0; x < 10; ++x) {
      bool inside = x >= 2 && x < 6 && y >= 3 && y < 8;
      EXPECT_EQ(canvas.pixel(x, y), inside ? plot::kBlack : plot::kWhite) << x << ", " << y;
    }
  }
  canvas.reset_clip();
  canvas.set_pixel(0, 0, plot::kRed);
  EXPECT_EQ(canvas.pixel(0, 0), plot::kRed);
}

TEST(LineChart, CurvesStayInsideThePlotArea) {
  // Far-off values never draw over the title, the tick labels or the margins.
  plot::Chart chart =
      plot::line_chart({{"wild", {0, 1, 2}, {-1.7e308, 0, 1.7e308}, plot::kRed}}, {.title = "t"});
  for (int64_t y = 0; y < chart.canvas.height(); ++y) {
    for (int64_t x = 0; x < chart.canvas.width(); ++x) {
      if (chart.canvas.pixel(x, y) != plot::kRed) continue;
      bool in_legend = x > chart.frame.right - 120;  // the legend's sample line
      EXPECT_TRUE(in_legend || (x > chart.frame.left && x <= chart.frame.right + 3 &&
                                y >= chart.frame.top - 3 && y <= chart.frame.bottom))
          << x << ", " << y;
    }
  }
}

TEST(LineChart, HorizontalLineLandsOnItsRow) {
  plot::Chart chart = plot::line_chart({{"flat", {0, 1, 2, 3}, {0.5, 0.5, 0.5, 0.5}, plot::kRed}});
  const plot::ChartFrame& frame = chart.frame;
  EXPECT_LT(frame.y_min, 0.5);
  EXPECT_GT(frame.y_max, 0.5);
  int64_t row = frame.row_of(0.5);
  EXPECT_GT(row, frame.top);
  EXPECT_LT(row, frame.bottom);
  // The midpoint between epochs 1 and 2, away from the point markers (and the legend's corner).
  int64_t column = (frame.column_of(1) + frame.column_of(2)) / 2;
  EXPECT_EQ(chart.canvas.pixel(column, row), plot::kRed);
  EXPECT_EQ(chart.canvas.pixel(column, row + 1), plot::kRed);  // 2 px wide
  EXPECT_NE(chart.canvas.pixel(column, row - 3), plot::kRed);
  EXPECT_NE(chart.canvas.pixel(column, row + 4), plot::kRed);
}

TEST(LineChart, MappingIsLinearAndPadded) {
  plot::Chart chart = plot::line_chart({{"rise", {0, 1, 2}, {0, 1, 2}, plot::kBlue}});
  const plot::ChartFrame& frame = chart.frame;
  EXPECT_NEAR(frame.y_min, -0.1, 1e-12);  // 5% of the range below and above
  EXPECT_NEAR(frame.y_max, 2.1, 1e-12);
  EXPECT_EQ(frame.column_of(frame.x_min), frame.left);
  EXPECT_EQ(frame.column_of(frame.x_max), frame.right);
  EXPECT_EQ(frame.row_of(frame.y_max), frame.top);
  EXPECT_EQ(frame.row_of(frame.y_min), frame.bottom);
  // The diagonal passes through (1, 1).
  int64_t column = frame.column_of(1), row = frame.row_of(1);
  bool found = false;
  for (int64_t dy = -2; dy <= 2; ++dy)
    found = found || chart.canvas.pixel(column, row + dy) == plot::kBlue;
  EXPECT_TRUE(found);
}

TEST(LineChart, NanMakesAGapAndLonePointsAreDots) {
  plot::Chart chart =
      plot::line_chart({{"gappy", {0, 1, 2, 3, 4}, {1, std::nan(""), 1, 1, 1}, plot::kRed}});
  const plot::ChartFrame& frame = chart.frame;
  int64_t row = frame.row_of(1);
  // No segment from epoch 0 to epoch 2 across the NaN...
  int64_t gap = (frame.column_of(0) + frame.column_of(1)) / 2;
  EXPECT_NE(chart.canvas.pixel(gap, row), plot::kRed);
  // ...but epoch 0 is drawn as a dot, and epochs 2..4 as a line.
  EXPECT_EQ(chart.canvas.pixel(frame.column_of(0), row), plot::kRed);
  EXPECT_EQ(chart.canvas.pixel(frame.column_of(0) - 2, row), plot::kRed);
  EXPECT_EQ(chart.canvas.pixel((frame.column_of(2) + frame.column_of(3)) / 2, row), plot::kRed);

  plot::Chart single = plot::line_chart({{"one", {4}, {0.25}, plot::kGreen}});
  EXPECT_EQ(single.canvas.pixel(single.frame.column_of(4), single.frame.row_of(0.25)),
            plot::kGreen);
  plot::Chart nothing =
      plot::line_chart({{"none", {0, 1}, {std::nan(""), INFINITY}, plot::kGreen}});
  EXPECT_EQ(nothing.frame.y_min, 0);
  EXPECT_EQ(nothing.frame.y_max, 1);
  expect_error<ValueError>(
      [] {
        plot::line_chart({{"bad", {0, 1}, {1}, plot::kRed}});
      },
      {"line_chart", "bad", "2 x values", "1 y values"});
}

TEST(ConfusionChart, ShadesByRowAndChecksShape) {
  Tensor confusion = tensor({{10, 0}, {0, 0}}, {.dtype = int64});
  plot::Canvas canvas = plot::confusion_chart(confusion, {"a", "b"});
  // The darkest shade appears (a full row on the diagonal); white text is written on it.
  bool dark = false;
  for (int64_t y = 0; y < canvas.height(); ++y)
    for (int64_t x = 0; x < canvas.width(); ++x)
      dark = dark || canvas.pixel(x, y) == plot::Color{8, 48, 107};
  EXPECT_TRUE(dark);
  expect_error<ValueError>(
      [] {
        plot::confusion_chart(zeros({2, 3}, {.dtype = int64}), {});
      },
      {"confusion_chart", "[2, 3]"});
  expect_error<ValueError>([&] { plot::confusion_chart(confusion, {"a"}); },
                           {"confusion_chart", "1 class names", "2-class"});
}

TEST(SampleGrid, RedBorderOnlyForMisclassified) {
  Tensor images = full({3, 3, 5, 5}, 0.5);
  Tensor labels = tensor({0, 1, 2}, {.dtype = int64});
  auto has_red = [](const plot::Canvas& canvas) {
    for (int64_t y = 0; y < canvas.height(); ++y)
      for (int64_t x = 0; x < canvas.width(); ++x)
        if (canvas.pixel(x, y) == plot::kRed) return true;
    return false;
  };
  EXPECT_FALSE(has_red(plot::sample_grid(images, labels, labels, {"a", "b", "c"})));
  plot::Canvas wrong =
      plot::sample_grid(images, tensor({0, 2, 2}, {.dtype = int64}), labels, {"a", "b", "c"});
  EXPECT_TRUE(has_red(wrong));
  // 5x5 images are enlarged 12 times (64 / 5) into 84-pixel-wide cells, 3 in a row.
  EXPECT_EQ(wrong.width(), 3 * 84 + 8);
  expect_error<ValueError>(
      [&] {
        plot::sample_grid(images, tensor({0, 1}, {.dtype = int64}), labels, {});
      },
      {"sample_grid", "predicted", "[3]", "[2]"});
}

TEST_F(ReportTest, WritesFilesAndEmbedsTheSamePngs) {
  train::ReportData data = full_report();
  train::write_report(directory_, data);
  for (const char* file :
       {"report.html", "loss.png", "metrics.png", "confusion.png", "samples.png"})
    EXPECT_TRUE(fs::exists(directory_ / file)) << file;

  Tensor loss = data::read_image((directory_ / "loss.png").string());
  EXPECT_EQ(loss.shape(), (Shape{3, 400, 640}));
  Tensor metrics = data::read_image((directory_ / "metrics.png").string());
  EXPECT_EQ(metrics.shape(), (Shape{3, 400, 640}));
  Tensor confusion = data::read_image((directory_ / "confusion.png").string());
  EXPECT_EQ(confusion.size(0), 3);
  EXPECT_GE(confusion.size(1), 3 * 48);
  EXPECT_GE(confusion.size(2), 3 * 48);
  // 8x8 images enlarged 8 times, 6 cells of 84 x 102 in one row, 4 pixels of margin around.
  Tensor samples = data::read_image((directory_ / "samples.png").string());
  EXPECT_EQ(samples.shape(), (Shape{3, 102 + 8, 6 * 84 + 8}));

  std::string html = read_file(directory_ / "report.html");
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.find("<title>tiny &lt;cnn&gt;</title>"), std::string::npos);
  EXPECT_NE(html.find("<th>&lt;b&gt;&amp;</th>"), std::string::npos);
  EXPECT_EQ(html.find("<b>&"), std::string::npos);
  EXPECT_NE(html.find("&lt;params &amp; more&gt;"), std::string::npos);
  EXPECT_NE(html.find("&quot;linear&quot;"), std::string::npos);
  EXPECT_NE(html.find("2 of 6 samples misclassified"), std::string::npos);
  EXPECT_NE(html.find("16 of 20 examples on the diagonal"), std::string::npos);
  EXPECT_NE(html.find("<th>accuracy</th><td>0.675</td>"), std::string::npos);
  EXPECT_NE(html.find("Lowest validation loss 0.85 at epoch 2"), std::string::npos);
  EXPECT_EQ(count_of(html, "<figcaption>"), 4);
  // Every epoch has a row in the log table (plus the header row).
  EXPECT_EQ(count_of(html, "<td>1.25</td>"), 3);
  EXPECT_EQ(html.find("http"), std::string::npos);  // nothing fetched from elsewhere

  const std::string prefix = "src=\"data:image/png;base64,";
  std::vector<std::string> embedded;
  for (size_t at = html.find(prefix); at != std::string::npos; at = html.find(prefix, at + 1)) {
    size_t start = at + prefix.size();
    embedded.push_back(html.substr(start, html.find('"', start) - start));
  }
  ASSERT_EQ(embedded.size(), 4u);
  const char* files[] = {"loss.png", "metrics.png", "confusion.png", "samples.png"};
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(base64_decode(embedded[i]), read_file(directory_ / files[i])) << files[i];
  }
}

TEST_F(ReportTest, NanLossesDoNotBreakTheReport) {
  train::ReportData data;
  data.history.epochs = {epoch_logs(0, 1.0, std::nan(""), 0.5, std::nan("")),
                         epoch_logs(1, std::nan(""), std::nan(""), 0.6, std::nan("")),
                         epoch_logs(2, INFINITY, std::nan(""), 0.6, std::nan(""))};
  data.history.diverged = true;
  train::write_report(directory_, data);
  EXPECT_EQ(data::read_image((directory_ / "loss.png").string()).shape(), (Shape{3, 400, 640}));
  std::string html = read_file(directory_ / "report.html");
  EXPECT_NE(html.find("Training diverged"), std::string::npos);
  EXPECT_NE(html.find("<td>nan</td>"), std::string::npos);
  EXPECT_NE(html.find("<td>inf</td>"), std::string::npos);
  EXPECT_EQ(html.find("Lowest validation loss"), std::string::npos);
}

TEST_F(ReportTest, NoEpochsSaysSo) {
  train::write_report(directory_ / "nested" / "run", train::ReportData{});
  fs::path run = directory_ / "nested" / "run";
  std::string html = read_file(run / "report.html");
  EXPECT_NE(html.find("No epochs were run"), std::string::npos);
  EXPECT_FALSE(fs::exists(run / "loss.png"));
  EXPECT_FALSE(fs::exists(run / "metrics.png"));
  EXPECT_EQ(html.find("<figure>"), std::string::npos);
}

TEST_F(ReportTest, TabularRunWithAnotherMetricRemovesStaleFigures) {
  train::write_report(directory_, full_report());
  train::ReportData data;
  for (int epoch = 0; epoch < 4; ++epoch) {
    train::Logs logs;
    logs.insert("epoch", epoch);
    logs.insert("train_loss", 1.0 / (epoch + 1));
    logs.insert("train_rmse", 2.0 / (epoch + 1));
    data.history.epochs.push_back(logs);
  }
  data.history.stopped_early = true;
  data.history.stop_reason = "EarlyStopping: train_loss <did not improve>";
  train::write_report(directory_, data);
  EXPECT_TRUE(fs::exists(directory_ / "loss.png"));
  EXPECT_TRUE(fs::exists(directory_ / "metrics.png"));
  EXPECT_FALSE(fs::exists(directory_ / "confusion.png"));
  EXPECT_FALSE(fs::exists(directory_ / "samples.png"));
  std::string html = read_file(directory_ / "report.html");
  EXPECT_NE(html.find("<h2>rmse</h2>"), std::string::npos);
  EXPECT_NE(html.find("train_loss &lt;did not improve&gt;"), std::string::npos);
  EXPECT_EQ(count_of(html, "<figcaption>"), 2);
}

TEST_F(ReportTest, RejectsInconsistentData) {
  train::ReportData data = full_report();
  data.confusion = zeros({3, 2}, {.dtype = int64});
  expect_error<ValueError>([&] { train::write_report(directory_, data); },
                           {"write_report", "confusion", "[3, 2]"});
  data = full_report();
  data.class_names = {"a", "b"};
  expect_error<ValueError>([&] { train::write_report(directory_, data); },
                           {"write_report", "class_names", "2 names", "3-class"});
  data = full_report();
  data.truth = tensor({0, 1}, {.dtype = int64});
  expect_error<ValueError>([&] { train::write_report(directory_, data); },
                           {"write_report", "truth", "[6]", "[2]"});
  data = full_report();
  data.images = rand({6, 2, 8, 8});
  expect_error<ValueError>([&] { train::write_report(directory_, data); },
                           {"write_report", "images", "[6, 2, 8, 8]"});
}

}  // namespace
}  // namespace cajal
