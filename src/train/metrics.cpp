#include "cajal/train/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <sstream>
#include <string_view>
#include <utility>

#include "cajal/core/creation.h"
#include "cajal/core/error.h"
#include "cajal/core/shape.h"

namespace cajal::train {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string format_number(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

bool is_integer_dtype(Dtype dtype) {
  return dtype == Dtype::int64 || dtype == Dtype::uint8 || dtype == Dtype::bool_;
}

// The order argmax and top-k use: NaN above every number, as torch.argmax treats it.
bool ranks_above(double a, double b) { return a > b || (std::isnan(a) && !std::isnan(b)); }
bool ranks_equal(double a, double b) { return a == b || (std::isnan(a) && std::isnan(b)); }

void check_defined(const std::string& metric, const Tensor& predictions, const Tensor& targets) {
  if (!predictions.defined()) throw ValueError(metric + ": predictions is an undefined tensor");
  if (!targets.defined()) throw ValueError(metric + ": targets is an undefined tensor");
}

[[noreturn]] void throw_sample_mismatch(const std::string& metric, const Tensor& predictions,
                                        const Tensor& targets) {
  throw ShapeError(metric + ": predictions " + shape_string(predictions.shape()) + " and targets " +
                   shape_string(targets.shape()) + " disagree on the number of samples");
}

void check_options(const std::string& metric, const ClassificationOptions& options) {
  if (options.num_classes < 0) {
    throw ValueError(metric + ": num_classes must be >= 0, got " +
                     std::to_string(options.num_classes));
  }
  if (!(options.threshold >= 0.0 && options.threshold <= 1.0)) {
    throw ValueError(metric + ": threshold must be in [0, 1], got " +
                     format_number(options.threshold));
  }
  double z = options.zero_division;
  if (!(z == 0.0 || z == 1.0 || std::isnan(z))) {
    throw ValueError(metric + ": zero_division must be 0, 1 or NaN, got " + format_number(z));
  }
}

void check_class_index(const std::string& metric, const char* what, int64_t index,
                       int64_t num_classes) {
  if (index < 0 || (num_classes > 0 && index >= num_classes)) {
    std::string range = num_classes > 0 ? "[0, " + std::to_string(num_classes) + ")" : ">= 0";
    throw IndexError(metric + ": " + what + " class index " + std::to_string(index) +
                     " is out of range " + range);
  }
}

// One batch turned into predicted and true class indices.
struct BatchLabels {
  std::vector<int64_t> predicted;
  std::vector<int64_t> target;
  // The class count the batch fixes (scores: C, binary: 2), or 0 for predicted labels.
  int64_t fixed_classes = 0;
  int64_t largest_label = -1;
};

std::vector<int64_t> integer_targets(const std::string& metric, const Tensor& targets) {
  if (!is_integer_dtype(targets.dtype())) {
    throw ValueError(metric + ": targets must hold integer class indices (int64), got dtype " +
                     std::string(dtype_name(targets.dtype())));
  }
  return to_vector<int64_t>(targets);
}

BatchLabels classify(const std::string& metric, const Tensor& predictions, const Tensor& targets,
                     const ClassificationOptions& options) {
  check_defined(metric, predictions, targets);
  check_options(metric, options);
  BatchLabels batch;
  const Shape& shape = predictions.shape();
  bool floating = predictions.is_floating_point();
  if (floating && predictions.dim() == 2 && shape[1] >= 2) {
    // Scores [N, C].
    int64_t n = shape[0];
    int64_t classes = shape[1];
    if (targets.dim() != 1 || targets.size(0) != n) {
      throw_sample_mismatch(metric, predictions, targets);
    }
    if (options.num_classes > 0 && options.num_classes != classes) {
      throw ShapeError(metric + ": predictions " + shape_string(shape) + " have " +
                       std::to_string(classes) + " classes but num_classes is " +
                       std::to_string(options.num_classes));
    }
    batch.fixed_classes = classes;
    batch.target = integer_targets(metric, targets);
    std::vector<double> scores = to_vector<double>(predictions);
    batch.predicted.resize(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
      const double* row = scores.data() + i * classes;
      int64_t best = 0;
      for (int64_t j = 1; j < classes; ++j) {
        if (ranks_above(row[j], row[best])) best = j;
      }
      batch.predicted[static_cast<size_t>(i)] = best;
    }
  } else if (floating && (predictions.dim() == 1 || (predictions.dim() == 2 && shape[1] == 1))) {
    // Binary scores [N] or [N, 1].
    int64_t n = shape[0];
    bool target_shape_ok = (targets.dim() == 1 || (targets.dim() == 2 && targets.size(1) == 1)) &&
                           targets.size(0) == n;
    if (!target_shape_ok) throw_sample_mismatch(metric, predictions, targets);
    if (options.num_classes != 0 && options.num_classes != 2) {
      throw ShapeError(metric + ": binary predictions " + shape_string(shape) +
                       " have 2 classes but num_classes is " + std::to_string(options.num_classes));
    }
    batch.fixed_classes = 2;
    if (is_integer_dtype(targets.dtype())) {
      batch.target = to_vector<int64_t>(targets);
    } else {
      // Floating-point targets, as binary_cross_entropy takes them: exactly 0 or 1.
      std::vector<double> values = to_vector<double>(targets);
      batch.target.resize(values.size());
      for (size_t i = 0; i < values.size(); ++i) {
        if (values[i] != 0.0 && values[i] != 1.0) {
          throw ValueError(metric + ": binary targets must be 0 or 1, got " +
                           format_number(values[i]));
        }
        batch.target[i] = values[i] == 1.0 ? 1 : 0;
      }
    }
    std::vector<double> scores = to_vector<double>(predictions);
    batch.predicted.resize(scores.size());
    for (size_t i = 0; i < scores.size(); ++i) {
      double p = options.from_logits ? 1.0 / (1.0 + std::exp(-scores[i])) : scores[i];
      batch.predicted[i] = p > options.threshold ? 1 : 0;
    }
  } else if (!floating && predictions.dim() == 1) {
    // Predicted labels [N].
    if (targets.dim() != 1 || targets.size(0) != shape[0]) {
      throw_sample_mismatch(metric, predictions, targets);
    }
    batch.predicted = to_vector<int64_t>(predictions);
    batch.target = integer_targets(metric, targets);
    for (int64_t p : batch.predicted) {
      check_class_index(metric, "predicted", p, options.num_classes);
      batch.largest_label = std::max(batch.largest_label, p);
    }
  } else {
    throw ShapeError(metric + ": predictions must be scores [N, C], binary scores [N] or [N, 1], " +
                     "or integer labels [N], got " + shape_string(shape) + " " +
                     std::string(dtype_name(predictions.dtype())));
  }
  int64_t classes = batch.fixed_classes > 0 ? batch.fixed_classes : options.num_classes;
  for (int64_t t : batch.target) {
    check_class_index(metric, "target", t, classes);
    batch.largest_label = std::max(batch.largest_label, t);
  }
  return batch;
}

[[noreturn]] void throw_no_samples(const std::string& metric) {
  throw ValueError(metric + ": no samples; call update() with a non-empty batch before compute()");
}

std::string average_name(Average average) {
  switch (average) {
    case Average::binary:
      return "binary";
    case Average::micro:
      return "micro";
    case Average::macro:
      return "macro";
    case Average::weighted:
      return "weighted";
  }
  return "?";
}

std::string kind_name(ClassScore::Kind kind) {
  switch (kind) {
    case ClassScore::Kind::precision:
      return "precision";
    case ClassScore::Kind::recall:
      return "recall";
    case ClassScore::Kind::f1:
      return "f1";
  }
  return "?";
}

double ratio(double numerator, double denominator, double zero_division) {
  return denominator == 0 ? zero_division : numerator / denominator;
}

// The score of one class from its true positives, false positives and false negatives.
double class_score(ClassScore::Kind kind, int64_t tp, int64_t fp, int64_t fn,
                   double zero_division) {
  switch (kind) {
    case ClassScore::Kind::precision:
      return ratio(static_cast<double>(tp), static_cast<double>(tp + fp), zero_division);
    case ClassScore::Kind::recall:
      return ratio(static_cast<double>(tp), static_cast<double>(tp + fn), zero_division);
    case ClassScore::Kind::f1:
      return ratio(2.0 * static_cast<double>(tp), static_cast<double>(2 * tp + fp + fn),
                   zero_division);
  }
  return kNaN;
}

struct ClassCounts {
  std::vector<int64_t> tp, fp, fn, support;
};

ClassCounts class_counts(const ConfusionMatrix& matrix) {
  int64_t c = matrix.num_classes();
  ClassCounts counts{std::vector<int64_t>(c, 0), std::vector<int64_t>(c, 0),
                     std::vector<int64_t>(c, 0), std::vector<int64_t>(c, 0)};
  for (int64_t i = 0; i < c; ++i) {
    for (int64_t j = 0; j < c; ++j) {
      int64_t n = matrix.count(i, j);
      counts.support[i] += n;
      if (i == j) {
        counts.tp[i] += n;
      } else {
        counts.fn[i] += n;
        counts.fp[j] += n;
      }
    }
  }
  return counts;
}

std::vector<double> per_class_scores(ClassScore::Kind kind, const ConfusionMatrix& matrix) {
  ClassCounts counts = class_counts(matrix);
  double zero_division = matrix.options().zero_division;
  std::vector<double> scores(counts.tp.size());
  for (size_t i = 0; i < scores.size(); ++i) {
    scores[i] = class_score(kind, counts.tp[i], counts.fp[i], counts.fn[i], zero_division);
  }
  return scores;
}

double averaged_score(const std::string& metric, ClassScore::Kind kind, Average average,
                      const ConfusionMatrix& matrix) {
  if (matrix.total() == 0) throw_no_samples(metric);
  double zero_division = matrix.options().zero_division;
  ClassCounts counts = class_counts(matrix);
  int64_t classes = matrix.num_classes();
  switch (average) {
    case Average::binary: {
      if (classes > 2) {
        throw ValueError(metric + ": average binary needs 2 classes, got " +
                         std::to_string(classes) + "; use macro, micro or weighted");
      }
      // Labels that never reached 1 leave the positive class empty, not missing.
      if (classes < 2) return class_score(kind, 0, 0, 0, zero_division);
      return class_score(kind, counts.tp[1], counts.fp[1], counts.fn[1], zero_division);
    }
    case Average::micro: {
      int64_t tp = 0, fp = 0, fn = 0;
      for (int64_t i = 0; i < classes; ++i) {
        tp += counts.tp[i];
        fp += counts.fp[i];
        fn += counts.fn[i];
      }
      return class_score(kind, tp, fp, fn, zero_division);
    }
    case Average::macro:
    case Average::weighted: {
      std::vector<double> scores = per_class_scores(kind, matrix);
      double weighted_sum = 0;
      double weight_total = 0;
      for (size_t i = 0; i < scores.size(); ++i) {
        if (std::isnan(scores[i])) continue;  // zero_division = NaN: left out, as sklearn
        double weight = average == Average::macro ? 1.0 : static_cast<double>(counts.support[i]);
        weighted_sum += weight * scores[i];
        weight_total += weight;
      }
      return weight_total == 0 ? kNaN : weighted_sum / weight_total;
    }
  }
  return kNaN;
}

// Regression inputs as (rows, columns) of doubles.
struct RegressionBatch {
  std::vector<double> predictions;
  std::vector<double> targets;
  int64_t rows = 0;
  int64_t columns = 1;
};

RegressionBatch regression_batch(const std::string& metric, const Tensor& predictions,
                                 const Tensor& targets) {
  check_defined(metric, predictions, targets);
  const Shape& p = predictions.shape();
  const Shape& t = targets.shape();
  auto is_column_of = [](const Shape& column, const Shape& vector) {
    return column.size() == 2 && column[1] == 1 && vector.size() == 1 && column[0] == vector[0];
  };
  bool shapes_ok = p.size() >= 1 && (p == t || is_column_of(p, t) || is_column_of(t, p));
  if (!shapes_ok) {
    throw ShapeError(metric + ": predictions " + shape_string(p) + " and targets " +
                     shape_string(t) + " must have the same shape [N] or [N, D]");
  }
  for (const Tensor* tensor : {&predictions, &targets}) {
    if (tensor->dtype() == Dtype::bool_) {
      throw ValueError(metric + ": expected numeric tensors, got dtype bool");
    }
  }
  RegressionBatch batch;
  batch.rows = p[0];
  // Equal shapes [N, D...] hold prod(D...) outputs per sample; [N] and [N, 1] hold one.
  if (p == t) {
    for (size_t d = 1; d < p.size(); ++d) batch.columns *= p[d];
  }
  batch.predictions = to_vector<double>(predictions);
  batch.targets = to_vector<double>(targets);
  return batch;
}

}  // namespace

// ---- ConfusionMatrix ----------------------------------------------------------------------------

ConfusionMatrix::ConfusionMatrix(ClassificationOptions options, std::string metric)
    : options_(options), metric_(std::move(metric)) {
  check_options(metric_, options_);
  reset();
}

void ConfusionMatrix::reset() {
  num_classes_ = 0;
  fixed_ = false;
  total_ = 0;
  counts_.clear();
  if (options_.num_classes > 0) {
    grow(options_.num_classes);
    fixed_ = true;
  }
}

void ConfusionMatrix::grow(int64_t num_classes) {
  if (num_classes <= num_classes_) return;
  std::vector<int64_t> counts(static_cast<size_t>(num_classes * num_classes), 0);
  for (int64_t i = 0; i < num_classes_; ++i) {
    for (int64_t j = 0; j < num_classes_; ++j) {
      counts[static_cast<size_t>(i * num_classes + j)] = count(i, j);
    }
  }
  counts_ = std::move(counts);
  num_classes_ = num_classes;
}

void ConfusionMatrix::update(const Tensor& predictions, const Tensor& targets) {
  BatchLabels batch = classify(metric_, predictions, targets, options_);
  if (batch.fixed_classes > 0) {
    if (fixed_ && batch.fixed_classes != num_classes_) {
      throw ShapeError(metric_ + ": predictions " + shape_string(predictions.shape()) + " have " +
                       std::to_string(batch.fixed_classes) + " classes, earlier batches had " +
                       std::to_string(num_classes_));
    }
    if (batch.fixed_classes < num_classes_) {
      throw IndexError(metric_ + ": earlier batches hold class index " +
                       std::to_string(num_classes_ - 1) + ", out of range for predictions " +
                       shape_string(predictions.shape()));
    }
    grow(batch.fixed_classes);
    fixed_ = true;
  } else if (batch.largest_label >= num_classes_) {
    if (fixed_) check_class_index(metric_, "label", batch.largest_label, num_classes_);
    grow(batch.largest_label + 1);
  }
  for (size_t i = 0; i < batch.target.size(); ++i) {
    ++counts_[static_cast<size_t>(batch.target[i] * num_classes_ + batch.predicted[i])];
  }
  total_ += static_cast<int64_t>(batch.target.size());
}

Tensor ConfusionMatrix::compute() const {
  return from_vector(counts_, Shape{num_classes_, num_classes_});
}

// ---- Accuracy -----------------------------------------------------------------------------------

Accuracy::Accuracy(ClassificationOptions options) : options_(options) {
  check_options("accuracy", options_);
}

void Accuracy::reset() {
  correct_ = 0;
  total_ = 0;
}

void Accuracy::update(const Tensor& predictions, const Tensor& targets) {
  BatchLabels batch = classify("accuracy", predictions, targets, options_);
  for (size_t i = 0; i < batch.target.size(); ++i) {
    if (batch.predicted[i] == batch.target[i]) ++correct_;
  }
  total_ += static_cast<int64_t>(batch.target.size());
}

double Accuracy::compute() const {
  if (total_ == 0) throw_no_samples("accuracy");
  return static_cast<double>(correct_) / static_cast<double>(total_);
}

// ---- TopKAccuracy -------------------------------------------------------------------------------

TopKAccuracy::TopKAccuracy(int64_t k) : k_(k) {
  if (k < 1) throw ValueError("top_k_accuracy: k must be >= 1, got " + std::to_string(k));
}

std::string TopKAccuracy::name() const { return "top" + std::to_string(k_) + "_accuracy"; }

void TopKAccuracy::reset() {
  correct_ = 0;
  total_ = 0;
}

void TopKAccuracy::update(const Tensor& scores, const Tensor& targets) {
  const std::string metric = "top_k_accuracy";
  check_defined(metric, scores, targets);
  if (!scores.is_floating_point() || scores.dim() != 2) {
    throw ShapeError(metric + ": predictions must be floating-point scores [N, C], got " +
                     shape_string(scores.shape()) + " " + std::string(dtype_name(scores.dtype())));
  }
  int64_t n = scores.size(0);
  int64_t classes = scores.size(1);
  if (targets.dim() != 1 || targets.size(0) != n) throw_sample_mismatch(metric, scores, targets);
  if (k_ > classes) {
    throw ValueError(metric + ": k " + std::to_string(k_) + " exceeds the number of classes " +
                     std::to_string(classes) + " in predictions " + shape_string(scores.shape()));
  }
  std::vector<int64_t> labels = integer_targets(metric, targets);
  for (int64_t t : labels) check_class_index(metric, "target", t, classes);
  std::vector<double> values = to_vector<double>(scores);
  for (int64_t i = 0; i < n; ++i) {
    const double* row = values.data() + i * classes;
    int64_t t = labels[static_cast<size_t>(i)];
    // The target's rank when ties put the lower index first (a stable descending sort).
    int64_t rank = 0;
    for (int64_t j = 0; j < classes; ++j) {
      if (ranks_above(row[j], row[t]) || (j < t && ranks_equal(row[j], row[t]))) ++rank;
    }
    if (rank < k_) ++correct_;
  }
  total_ += n;
}

double TopKAccuracy::compute() const {
  if (total_ == 0) throw_no_samples(name());
  return static_cast<double>(correct_) / static_cast<double>(total_);
}

// ---- Precision, recall, F1 ----------------------------------------------------------------------

ClassScore::ClassScore(Kind kind, Average average, ClassificationOptions options)
    : kind_(kind),
      average_(average),
      matrix_(options, kind_name(kind) + "_" + average_name(average)) {
  if (average == Average::binary && options.num_classes != 0 && options.num_classes != 2) {
    throw ValueError(name() + ": average binary needs num_classes 2, got " +
                     std::to_string(options.num_classes));
  }
}

std::string ClassScore::name() const { return kind_name(kind_) + "_" + average_name(average_); }

void ClassScore::update(const Tensor& predictions, const Tensor& targets) {
  matrix_.update(predictions, targets);
}

double ClassScore::compute() const { return averaged_score(name(), kind_, average_, matrix_); }

// ---- Regression ---------------------------------------------------------------------------------

RegressionMetric::RegressionMetric(Kind kind) : kind_(kind) {}

std::string RegressionMetric::name() const {
  switch (kind_) {
    case Kind::mse:
      return "mse";
    case Kind::mae:
      return "mae";
    case Kind::rmse:
      return "rmse";
    case Kind::r2:
      return "r2";
  }
  return "?";
}

void RegressionMetric::reset() {
  elements_ = 0;
  rows_ = 0;
  squared_error_ = 0;
  absolute_error_ = 0;
  column_mean_.clear();
  column_deviations_.clear();
  column_residuals_.clear();
}

void RegressionMetric::update(const Tensor& predictions, const Tensor& targets) {
  RegressionBatch batch = regression_batch(name(), predictions, targets);
  if (batch.rows == 0 || batch.columns == 0) return;
  auto columns = static_cast<size_t>(batch.columns);
  if (column_mean_.empty()) {
    column_mean_.assign(columns, 0.0);
    column_deviations_.assign(columns, 0.0);
    column_residuals_.assign(columns, 0.0);
  } else if (column_mean_.size() != columns) {
    throw ShapeError(name() + ": predictions " + shape_string(predictions.shape()) + " have " +
                     std::to_string(columns) + " outputs per sample, earlier batches had " +
                     std::to_string(column_mean_.size()));
  }
  size_t index = 0;
  for (int64_t row = 0; row < batch.rows; ++row) {
    double count = static_cast<double>(rows_ + 1);
    for (size_t c = 0; c < columns; ++c, ++index) {
      double p = batch.predictions[index];
      double t = batch.targets[index];
      double error = p - t;
      squared_error_ += error * error;
      absolute_error_ += std::abs(error);
      column_residuals_[c] += error * error;
      // Welford's running mean and sum of squared deviations: stable, and exact for constants.
      double delta = t - column_mean_[c];
      column_mean_[c] += delta / count;
      column_deviations_[c] += delta * (t - column_mean_[c]);
    }
    ++rows_;
  }
  elements_ += batch.rows * batch.columns;
}

double RegressionMetric::compute() const {
  if (elements_ == 0) throw_no_samples(name());
  double count = static_cast<double>(elements_);
  switch (kind_) {
    case Kind::mse:
      return squared_error_ / count;
    case Kind::mae:
      return absolute_error_ / count;
    case Kind::rmse:
      return std::sqrt(squared_error_ / count);
    case Kind::r2: {
      if (rows_ < 2) return kNaN;
      double total = 0;
      for (size_t c = 0; c < column_mean_.size(); ++c) {
        double ss_res = column_residuals_[c];
        double ss_tot = column_deviations_[c];
        if (ss_tot == 0) {
          total += ss_res == 0 ? 1.0 : 0.0;
        } else {
          total += 1.0 - ss_res / ss_tot;
        }
      }
      return total / static_cast<double>(column_mean_.size());
    }
  }
  return kNaN;
}

// ---- One-shot functions -------------------------------------------------------------------------

double accuracy(const Tensor& predictions, const Tensor& targets,
                const ClassificationOptions& options) {
  Accuracy metric(options);
  metric.update(predictions, targets);
  return metric.compute();
}

double top_k_accuracy(const Tensor& scores, const Tensor& targets, int64_t k) {
  TopKAccuracy metric(k);
  metric.update(scores, targets);
  return metric.compute();
}

Tensor confusion_matrix(const Tensor& predictions, const Tensor& targets,
                        const ClassificationOptions& options) {
  ConfusionMatrix matrix(options);
  matrix.update(predictions, targets);
  return matrix.compute();
}

Tensor confusion_matrix(const Tensor& predictions, const Tensor& targets, int64_t num_classes) {
  return confusion_matrix(predictions, targets, ClassificationOptions{.num_classes = num_classes});
}

namespace {

Tensor per_class(ClassScore::Kind kind, const Tensor& predictions, const Tensor& targets,
                 const ClassificationOptions& options) {
  ConfusionMatrix matrix(options, kind_name(kind));
  matrix.update(predictions, targets);
  std::vector<double> scores = per_class_scores(kind, matrix);
  return from_vector(scores, Shape{static_cast<int64_t>(scores.size())});
}

double averaged(ClassScore::Kind kind, const Tensor& predictions, const Tensor& targets,
                Average average, const ClassificationOptions& options) {
  ClassScore metric(kind, average, options);
  metric.update(predictions, targets);
  return metric.compute();
}

}  // namespace

Tensor precision_per_class(const Tensor& predictions, const Tensor& targets,
                           const ClassificationOptions& options) {
  return per_class(ClassScore::Kind::precision, predictions, targets, options);
}

Tensor recall_per_class(const Tensor& predictions, const Tensor& targets,
                        const ClassificationOptions& options) {
  return per_class(ClassScore::Kind::recall, predictions, targets, options);
}

Tensor f1_score_per_class(const Tensor& predictions, const Tensor& targets,
                          const ClassificationOptions& options) {
  return per_class(ClassScore::Kind::f1, predictions, targets, options);
}

double precision(const Tensor& predictions, const Tensor& targets, Average average,
                 const ClassificationOptions& options) {
  return averaged(ClassScore::Kind::precision, predictions, targets, average, options);
}

double recall(const Tensor& predictions, const Tensor& targets, Average average,
              const ClassificationOptions& options) {
  return averaged(ClassScore::Kind::recall, predictions, targets, average, options);
}

double f1_score(const Tensor& predictions, const Tensor& targets, Average average,
                const ClassificationOptions& options) {
  return averaged(ClassScore::Kind::f1, predictions, targets, average, options);
}

namespace {

double regression(RegressionMetric::Kind kind, const Tensor& predictions, const Tensor& targets) {
  RegressionMetric metric(kind);
  metric.update(predictions, targets);
  return metric.compute();
}

}  // namespace

double mean_squared_error(const Tensor& predictions, const Tensor& targets) {
  return regression(RegressionMetric::Kind::mse, predictions, targets);
}

double mean_absolute_error(const Tensor& predictions, const Tensor& targets) {
  return regression(RegressionMetric::Kind::mae, predictions, targets);
}

double root_mean_squared_error(const Tensor& predictions, const Tensor& targets) {
  return regression(RegressionMetric::Kind::rmse, predictions, targets);
}

double r2_score(const Tensor& predictions, const Tensor& targets) {
  return regression(RegressionMetric::Kind::r2, predictions, targets);
}

// ---- Registry -----------------------------------------------------------------------------------

namespace {

// Parses a positive decimal integer that fills the whole text.
bool parse_k(std::string_view text, int64_t& k) {
  if (text.empty()) return false;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), k);
  return error == std::errc() && end == text.data() + text.size();
}

}  // namespace

std::vector<std::string> metric_names() {
  std::vector<std::string> names = {"accuracy", "top_k_accuracy:K", "topK_accuracy"};
  for (const char* kind : {"precision", "recall", "f1"}) {
    for (const char* average : {"macro", "micro", "weighted", "binary"}) {
      names.push_back(std::string(kind) + "_" + average);
    }
  }
  for (const char* name : {"mse", "mae", "rmse", "r2"}) names.emplace_back(name);
  return names;
}

std::unique_ptr<Metric> make_metric(const std::string& name) {
  if (name == "accuracy") return std::make_unique<Accuracy>();
  if (name == "mse") return std::make_unique<MeanSquaredError>();
  if (name == "mae") return std::make_unique<MeanAbsoluteError>();
  if (name == "rmse") return std::make_unique<RootMeanSquaredError>();
  if (name == "r2") return std::make_unique<R2Score>();
  std::string_view view = name;
  int64_t k = 0;
  constexpr std::string_view kTopKPrefix = "top_k_accuracy:";
  constexpr std::string_view kTopSuffix = "_accuracy";
  if (view.starts_with(kTopKPrefix)) {
    if (!parse_k(view.substr(kTopKPrefix.size()), k) || k < 1) {
      throw ValueError("make_metric: \"" + name + "\" needs a positive integer k after ':'");
    }
    return std::make_unique<TopKAccuracy>(k);
  }
  if (view.starts_with("top") && view.ends_with(kTopSuffix) &&
      parse_k(view.substr(3, view.size() - 3 - kTopSuffix.size()), k) && k >= 1) {
    return std::make_unique<TopKAccuracy>(k);
  }
  for (auto kind : {ClassScore::Kind::precision, ClassScore::Kind::recall, ClassScore::Kind::f1}) {
    for (auto average : {Average::macro, Average::micro, Average::weighted, Average::binary}) {
      if (name == kind_name(kind) + "_" + average_name(average)) {
        return std::make_unique<ClassScore>(kind, average);
      }
    }
  }
  std::string valid;
  for (const std::string& known : metric_names()) {
    valid += (valid.empty() ? "" : ", ") + known;
  }
  throw ValueError("make_metric: unknown metric \"" + name + "\"; valid names: " + valid);
}

}  // namespace cajal::train
