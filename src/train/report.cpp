#include "cajal/train/report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

#include "cajal/core/atomic_file.h"
#include "cajal/core/creation.h"
#include "cajal/core/error.h"
#include "cajal/core/shape.h"
#include "cajal/data/image_folder.h"
#include "cajal/train/plot.h"

namespace cajal::train {
namespace {

namespace fs = std::filesystem;

std::string format_number(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.6g", value);
  return buffer;
}

std::string format_value(const std::string& key, double value) {
  if ((key == "epoch") && std::isfinite(value) && value == std::floor(value)) {
    return std::to_string(int64_t(value));
  }
  if (key == "seconds" && std::isfinite(value)) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.2f", value);
    return buffer;
  }
  return format_number(value);
}

std::string shape_or_undefined(const Tensor& t) {
  return t.defined() ? shape_string(t.shape()) : std::string("undefined");
}

// Every key any epoch logged, in first-seen order.
std::vector<std::string> history_keys(const History& history) {
  std::vector<std::string> keys;
  for (const Logs& logs : history.epochs) {
    for (const auto& item : logs) {
      if (std::find(keys.begin(), keys.end(), item.first) == keys.end()) keys.push_back(item.first);
    }
  }
  return keys;
}

bool has_key(const History& history, const std::string& key) {
  for (const Logs& logs : history.epochs) {
    if (logs.contains(key)) return true;
  }
  return false;
}

std::vector<double> column(const History& history, const std::string& key) {
  std::vector<double> values;
  for (const Logs& logs : history.epochs) {
    const double* value = logs.find(key);
    values.push_back(value ? *value : std::nan(""));
  }
  return values;
}

std::vector<double> epoch_numbers(const History& history) {
  std::vector<double> epochs;
  for (size_t i = 0; i < history.epochs.size(); ++i) {
    const double* value = history.epochs[i].find("epoch");
    epochs.push_back(value ? *value : double(history.initial_epoch + int64_t(i)));
  }
  return epochs;
}

// The metric metrics.png shows: accuracy when logged, else the first train_/val_ value that is not
// the loss; "" when there is none.
std::string chosen_metric(const std::vector<std::string>& keys) {
  std::vector<std::string> metrics;
  for (const std::string& key : keys) {
    std::string name;
    if (key.rfind("train_", 0) == 0)
      name = key.substr(6);
    else if (key.rfind("val_", 0) == 0)
      name = key.substr(4);
    else
      continue;
    if (name == "loss" || name.empty()) continue;
    if (std::find(metrics.begin(), metrics.end(), name) == metrics.end()) metrics.push_back(name);
  }
  if (std::find(metrics.begin(), metrics.end(), "accuracy") != metrics.end()) return "accuracy";
  return metrics.empty() ? "" : metrics.front();
}

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IOError("write_report: cannot read back '" + path.string() + "'");
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

struct Figure {
  std::string file;
  std::string data_uri;
};

Figure save_figure(const fs::path& directory, const std::string& file, const plot::Canvas& canvas) {
  fs::path path = directory / file;
  data::write_png(path.string(), canvas.to_tensor());
  return {file, "data:image/png;base64," + base64_encode(read_bytes(path))};
}

void remove_stale(const fs::path& directory, const std::string& file) {
  std::error_code ignored;
  fs::remove(directory / file, ignored);
}

void check_data(const ReportData& data) {
  if (data.confusion.defined()) {
    const Tensor& c = data.confusion;
    if (c.dim() != 2 || c.size(0) != c.size(1) || c.size(0) == 0) {
      throw ValueError("write_report: confusion must be a square [C, C] matrix, got " +
                       shape_string(c.shape()));
    }
    if (!data.class_names.empty() && int64_t(data.class_names.size()) != c.size(0)) {
      throw ValueError("write_report: class_names has " + std::to_string(data.class_names.size()) +
                       " names for a " + std::to_string(c.size(0)) + "-class confusion matrix");
    }
  }
  if (data.images.defined()) {
    const Tensor& images = data.images;
    if (images.dim() != 4 || !(images.size(1) == 1 || images.size(1) == 3) || images.size(0) == 0) {
      throw ValueError(
          "write_report: images must be [K, C, H, W] with K >= 1 and C = 1 or 3, got " +
          shape_string(images.shape()));
    }
    int64_t count = images.size(0);
    auto check = [count](const Tensor& t, const char* field, bool optional) {
      if (optional && !t.defined()) return;
      if (!t.defined() || t.dim() != 1 || t.size(0) != count) {
        throw ValueError(std::string("write_report: ") + field + " must be [" +
                         std::to_string(count) + "] like images, got " + shape_or_undefined(t));
      }
    };
    check(data.predicted, "predicted", false);
    check(data.truth, "truth", false);
    check(data.probabilities, "probabilities", true);
  }
}

void write_table_of_logs(std::ostringstream& html, const Logs& logs) {
  html << "<table class=\"metrics\"><tbody>\n";
  for (const auto& [key, value] : logs) {
    html << "<tr><th>" << html_escape(key) << "</th><td>" << format_value(key, value)
         << "</td></tr>\n";
  }
  html << "</tbody></table>\n";
}

void write_figure(std::ostringstream& html, const Figure& figure, int number,
                  const std::string& caption) {
  html << "<figure><img src=\"" << figure.data_uri << "\" alt=\"" << html_escape(caption)
       << "\"><figcaption>Figure " << number << ". " << html_escape(caption) << " ("
       << html_escape(figure.file) << ")</figcaption></figure>\n";
}

constexpr const char* kStyle = R"(
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 72em; padding: 0 1em;
       color: #222; }
h1 { margin-bottom: 0.2em; }
section { margin: 2em 0; }
table { border-collapse: collapse; margin: 0.5em 0; }
th, td { border: 1px solid #ccc; padding: 0.2em 0.6em; text-align: right; }
th { background: #f4f4f4; }
table.metrics th { text-align: left; }
td.diagonal { font-weight: bold; background: #e8f0fa; }
figure { margin: 1em 0; }
figure img { max-width: 100%; image-rendering: pixelated; border: 1px solid #ddd; }
figcaption { color: #555; font-size: 0.9em; margin-top: 0.3em; }
pre { background: #f7f7f7; padding: 0.8em; overflow-x: auto; border: 1px solid #ddd; }
.warning { color: #b00; }
)";

}  // namespace

std::string base64_encode(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t group = uint32_t(uint8_t(bytes[i])) << 16 | uint32_t(uint8_t(bytes[i + 1])) << 8 |
                     uint32_t(uint8_t(bytes[i + 2]));
    out += kAlphabet[(group >> 18) & 63];
    out += kAlphabet[(group >> 12) & 63];
    out += kAlphabet[(group >> 6) & 63];
    out += kAlphabet[group & 63];
  }
  size_t rest = bytes.size() - i;
  if (rest > 0) {
    uint32_t group = uint32_t(uint8_t(bytes[i])) << 16;
    if (rest == 2) group |= uint32_t(uint8_t(bytes[i + 1])) << 8;
    out += kAlphabet[(group >> 18) & 63];
    out += kAlphabet[(group >> 12) & 63];
    out += rest == 2 ? kAlphabet[(group >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

void write_report(const std::filesystem::path& directory, const ReportData& data) {
  check_data(data);
  std::error_code error;
  fs::create_directories(directory, error);
  if (error || !fs::is_directory(directory)) {
    throw IOError("write_report: cannot create the directory '" + directory.string() + "'" +
                  (error ? ": " + error.message() : std::string()));
  }

  const History& history = data.history;
  std::vector<std::string> keys = history_keys(history);
  std::vector<double> epochs = epoch_numbers(history);
  int figure_number = 0;
  std::ostringstream html;
  html << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>"
       << html_escape(data.title) << "</title>\n<style>" << kStyle << "</style>\n</head>\n<body>\n";
  html << "<h1>" << html_escape(data.title) << "</h1>\n";

  // Overview.
  html << "<section id=\"overview\">\n";
  if (history.epochs.empty()) {
    html << "<p>No epochs were run, so there are no training curves.</p>\n";
  } else {
    html << "<p>Trained " << history.epochs.size() << " epoch"
         << (history.epochs.size() == 1 ? "" : "s") << " (epochs "
         << format_value("epoch", epochs.front()) << " to " << format_value("epoch", epochs.back())
         << ").";
    if (has_key(history, "val_loss")) {
      std::vector<double> val_loss = column(history, "val_loss");
      size_t best = val_loss.size();
      for (size_t i = 0; i < val_loss.size(); ++i) {
        if (std::isfinite(val_loss[i]) && (best == val_loss.size() || val_loss[i] < val_loss[best]))
          best = i;
      }
      if (best < val_loss.size()) {
        html << " Lowest validation loss " << format_number(val_loss[best]) << " at epoch "
             << format_value("epoch", epochs[best]) << ".";
      }
    }
    html << "</p>\n";
  }
  if (history.diverged) {
    html << "<p class=\"warning\">Training diverged: the loss became NaN or infinite.</p>\n";
  }
  if (history.stopped_early || !history.stop_reason.empty()) {
    html << "<p>Stopped early"
         << (history.stop_reason.empty() ? std::string(".")
                                         : ": " + html_escape(history.stop_reason))
         << "</p>\n";
  }
  html << "</section>\n";

  if (!data.test.empty()) {
    html << "<section id=\"test\">\n<h2>Test metrics</h2>\n";
    write_table_of_logs(html, data.test);
    html << "</section>\n";
  }

  // Curves.
  bool has_loss = has_key(history, "train_loss") || has_key(history, "val_loss");
  if (!history.epochs.empty() && has_loss) {
    std::vector<plot::Series> series;
    if (has_key(history, "train_loss"))
      series.push_back({"train", epochs, column(history, "train_loss"), plot::kBlue});
    if (has_key(history, "val_loss"))
      series.push_back({"validation", epochs, column(history, "val_loss"), plot::kOrange});
    plot::Chart chart = plot::line_chart(series, {.title = "loss", .y_label = "loss"});
    Figure figure = save_figure(directory, "loss.png", chart.canvas);
    html << "<section id=\"loss\">\n<h2>Loss</h2>\n";
    write_figure(html, figure, ++figure_number,
                 "Training and validation loss per epoch. Gaps mark epochs whose loss was not a "
                 "finite number.");
    html << "</section>\n";
  } else {
    remove_stale(directory, "loss.png");
  }

  std::string metric = chosen_metric(keys);
  if (!history.epochs.empty() && !metric.empty()) {
    std::vector<plot::Series> series;
    if (has_key(history, "train_" + metric))
      series.push_back({"train", epochs, column(history, "train_" + metric), plot::kBlue});
    if (has_key(history, "val_" + metric))
      series.push_back({"validation", epochs, column(history, "val_" + metric), plot::kOrange});
    plot::Chart chart = plot::line_chart(series, {.title = metric, .y_label = metric});
    Figure figure = save_figure(directory, "metrics.png", chart.canvas);
    html << "<section id=\"metrics\">\n<h2>" << html_escape(metric) << "</h2>\n";
    write_figure(html, figure, ++figure_number,
                 "Training and validation " + metric + " per epoch.");
    html << "</section>\n";
  } else {
    remove_stale(directory, "metrics.png");
  }

  // Confusion matrix: figure and table.
  if (data.confusion.defined()) {
    int64_t classes = data.confusion.size(0);
    std::vector<int64_t> counts = to_vector<int64_t>(data.confusion);
    auto name = [&](int64_t c) {
      return data.class_names.empty() ? std::to_string(c) : data.class_names[size_t(c)];
    };
    Figure figure = save_figure(directory, "confusion.png",
                                plot::confusion_chart(data.confusion, data.class_names));
    int64_t total = 0, correct = 0;
    for (int64_t i = 0; i < classes; ++i) {
      for (int64_t j = 0; j < classes; ++j) total += counts[size_t(i * classes + j)];
      correct += counts[size_t(i * classes + i)];
    }
    html << "<section id=\"confusion\">\n<h2>Confusion matrix</h2>\n";
    write_figure(html, figure, ++figure_number,
                 "Confusion matrix: rows are true classes, columns predicted classes; shading is "
                 "the fraction of the row, so the diagonal shows each class's recall.");
    html << "<p>" << correct << " of " << total << " examples on the diagonal (accuracy "
         << format_number(total > 0 ? double(correct) / double(total) : std::nan("")) << ").</p>\n";
    html << "<table class=\"confusion\">\n<thead><tr><th>true \\ predicted</th>";
    for (int64_t j = 0; j < classes; ++j) html << "<th>" << html_escape(name(j)) << "</th>";
    html << "<th>total</th><th>recall</th></tr></thead>\n<tbody>\n";
    for (int64_t i = 0; i < classes; ++i) {
      int64_t row_total = 0;
      html << "<tr><th>" << html_escape(name(i)) << "</th>";
      for (int64_t j = 0; j < classes; ++j) {
        int64_t count = counts[size_t(i * classes + j)];
        row_total += count;
        html << (i == j ? "<td class=\"diagonal\">" : "<td>") << count << "</td>";
      }
      double recall = row_total > 0 ? double(counts[size_t(i * classes + i)]) / double(row_total)
                                    : std::nan("");
      html << "<td>" << row_total << "</td><td>" << format_number(recall) << "</td></tr>\n";
    }
    html << "</tbody>\n</table>\n</section>\n";
  } else {
    remove_stale(directory, "confusion.png");
  }

  // Sample predictions.
  if (data.images.defined()) {
    Figure figure = save_figure(directory, "samples.png",
                                plot::sample_grid(data.images, data.predicted, data.truth,
                                                  data.class_names, data.probabilities));
    std::vector<int64_t> predicted = to_vector<int64_t>(data.predicted);
    std::vector<int64_t> truth = to_vector<int64_t>(data.truth);
    int64_t wrong = 0;
    for (size_t k = 0; k < predicted.size(); ++k) wrong += predicted[k] != truth[k];
    html << "<section id=\"samples\">\n<h2>Sample predictions</h2>\n";
    write_figure(html, figure, ++figure_number,
                 "Test images with the predicted (P) and true (T) label under each; "
                 "misclassified images have a red border.");
    html << "<p>" << wrong << " of " << predicted.size() << " samples misclassified.</p>\n";
    html << "</section>\n";
  } else {
    remove_stale(directory, "samples.png");
  }

  // Per-epoch logs.
  html << "<section id=\"epochs\">\n<h2>Epochs</h2>\n";
  if (history.epochs.empty()) {
    html << "<p>No epochs were run.</p>\n";
  } else {
    html << "<table class=\"epochs\">\n<thead><tr>";
    for (const std::string& key : keys) html << "<th>" << html_escape(key) << "</th>";
    html << "</tr></thead>\n<tbody>\n";
    for (const Logs& logs : history.epochs) {
      html << "<tr>";
      for (const std::string& key : keys) {
        const double* value = logs.find(key);
        html << "<td>" << (value ? format_value(key, *value) : std::string()) << "</td>";
      }
      html << "</tr>\n";
    }
    html << "</tbody>\n</table>\n";
  }
  html << "</section>\n";

  if (!data.summary.empty()) {
    html << "<section id=\"model\">\n<h2>Model</h2>\n<pre>" << html_escape(data.summary)
         << "</pre>\n</section>\n";
  }
  if (!data.spec.empty()) {
    html << "<section id=\"spec\">\n<h2>Spec</h2>\n<pre>" << html_escape(data.spec)
         << "</pre>\n</section>\n";
  }
  html << "</body>\n</html>\n";

  try {
    write_file_atomically(directory / "report.html", html.str());
  } catch (const IOError& failure) {
    throw IOError(std::string("write_report: ") + failure.what());
  }
}

}  // namespace cajal::train
