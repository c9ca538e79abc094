#pragma once
// The training report written at the end of `cajal train`: a self-contained HTML page and the PNG
// figures it shows, in one directory.
//
//   train::ReportData data{.title = "fashion-mnist cnn", .history = history, .test = test,
//                          .confusion = confusion, .class_names = names, .images = images,
//                          .predicted = predicted, .truth = truth};
//   train::write_report("runs/cnn", data);   // runs/cnn/report.html, loss.png, ...
//
// Files written (see docs/report.md):
//   report.html    the page; every figure embedded as a base64 data: URI, so it works moved alone
//   loss.png       train_loss and val_loss per epoch
//   metrics.png    train/val accuracy (or the first other metric); only when a metric was logged
//   confusion.png  the confusion matrix heat map; only when `confusion` is defined
//   samples.png    the sample images with predicted and true labels; only when `images` is defined
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "cajal/core/tensor.h"
#include "cajal/train/fit.h"

namespace cajal::train {

struct ReportData {
  std::string title = "training report";
  History history{};
  Logs test{};  // test-set metrics ("loss", "accuracy", ...); may be empty
  // int64 [C, C], rows true classes and columns predicted ones (metrics.h's confusion_matrix);
  // undefined for regression or when not computed.
  Tensor confusion{};
  // C names (empty: the class indices are shown).
  std::vector<std::string> class_names{};
  // Sample images [K, C, H, W] (C = 1 or 3, float in [0, 1]) or undefined (tabular data), with
  // their predicted and true classes, int64 [K], and optionally the predicted class's
  // probability, float [K].
  Tensor images{};
  Tensor predicted{};
  Tensor truth{};
  Tensor probabilities{};
  std::string summary{};  // the model's text summary, shown as is
  std::string spec{};     // the model spec (JSON text), shown as is
};

// Writes the report into `directory` (created with its parents when missing), replacing earlier
// files of the same names. ValueError naming the field for inconsistent data (a non-square
// confusion matrix, class_names of another count, images/predicted/truth of different lengths);
// IOError when a file cannot be written.
void write_report(const std::filesystem::path& directory, const ReportData& data);

// RFC 4648 base64 (standard alphabet, '=' padding, no line breaks).
std::string base64_encode(std::string_view bytes);
// Text made safe inside HTML elements and quoted attributes: & < > " ' escaped.
std::string html_escape(std::string_view text);

}  // namespace cajal::train
