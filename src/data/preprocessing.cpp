#include "cajal/data/preprocessing.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>

#include "cajal/core/creation.h"
#include "cajal/core/error.h"
#include "cajal/data/csv.h"

namespace cajal::data {

namespace {

using nlohmann::json;

// A 2-D tensor's values as doubles, row-major.
struct Matrix {
  int64_t rows = 0;
  int64_t cols = 0;
  std::vector<double> values;
  double at(int64_t r, int64_t c) const { return values[static_cast<size_t>(r * cols + c)]; }
};

// expected_cols < 0: any number of features.
Matrix to_matrix(const Tensor& x, const std::string& what, int64_t expected_cols) {
  if (!x.defined()) throw ValueError(what + ": the input tensor is undefined");
  if (x.dim() != 2) {
    throw ShapeError(what + ": expected a 2-D input [N, features], got shape " +
                     shape_string(x.shape()));
  }
  if (expected_cols >= 0 && x.size(1) != expected_cols) {
    throw ShapeError(what + ": expected " + std::to_string(expected_cols) +
                     " features (as in fit), got " + std::to_string(x.size(1)) + " (shape " +
                     shape_string(x.shape()) + ")");
  }
  return {x.size(0), x.size(1), to_vector<double>(x)};
}

// float64 stays float64; everything else becomes float32, the dtype networks train in.
Tensor from_matrix(std::vector<double> values, int64_t rows, int64_t cols, Dtype like) {
  if (like == Dtype::float64) return from_vector(values, Shape{rows, cols});
  std::vector<float> narrowed(values.begin(), values.end());
  return from_vector(narrowed, Shape{rows, cols});
}

void check_fitted(bool fitted, const std::string& what) {
  if (!fitted) throw ValueError(what + ": called before fit");
}

void check_type(const json& state, const char* type) {
  if (!state.is_object() || !state.contains("type") || state["type"] != type) {
    throw ValueError(std::string(type) + "::from_json: expected an object with \"type\": \"" +
                     type + "\"");
  }
}

// Runs `body`, turning nlohmann's type errors into a ValueError naming the class.
template <typename F>
auto guarded(const char* type, F&& body) {
  try {
    return body();
  } catch (const json::exception& e) {
    throw ValueError(std::string(type) + "::from_json: malformed state: " + e.what());
  }
}

std::string format_number(double value) {
  json number = value;
  return number.dump();
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// StandardScaler

StandardScaler::StandardScaler(StandardScalerOptions options) : options_(options) {}

StandardScaler& StandardScaler::fit(const Tensor& x) {
  Matrix m = to_matrix(x, "StandardScaler.fit", -1);
  if (m.rows == 0) throw ValueError("StandardScaler.fit: needs at least one row, got 0");
  mean_.assign(static_cast<size_t>(m.cols), 0.0);
  scale_.assign(static_cast<size_t>(m.cols), 1.0);
  for (int64_t c = 0; c < m.cols; ++c) {
    // Two passes: the centred sum of squares keeps its precision for large means.
    double sum = 0.0;
    int64_t count = 0;
    for (int64_t r = 0; r < m.rows; ++r) {
      if (std::isnan(m.at(r, c))) continue;
      sum += m.at(r, c);
      ++count;
    }
    const double mean = count > 0 ? sum / static_cast<double>(count) : 0.0;
    double squares = 0.0;
    for (int64_t r = 0; r < m.rows; ++r) {
      if (std::isnan(m.at(r, c))) continue;
      squares += (m.at(r, c) - mean) * (m.at(r, c) - mean);
    }
    const double std = count > 0 ? std::sqrt(squares / static_cast<double>(count)) : 0.0;
    if (options_.with_mean) mean_[static_cast<size_t>(c)] = mean;
    if (options_.with_std && std > 0.0) scale_[static_cast<size_t>(c)] = std;
  }
  fitted_ = true;
  return *this;
}

Tensor StandardScaler::transform(const Tensor& x) const {
  check_fitted(fitted_, "StandardScaler.transform");
  Matrix m = to_matrix(x, "StandardScaler.transform", num_features());
  for (int64_t r = 0; r < m.rows; ++r) {
    for (int64_t c = 0; c < m.cols; ++c) {
      double& v = m.values[static_cast<size_t>(r * m.cols + c)];
      v = (v - mean_[static_cast<size_t>(c)]) / scale_[static_cast<size_t>(c)];
    }
  }
  return from_matrix(std::move(m.values), m.rows, m.cols, x.dtype());
}

Tensor StandardScaler::fit_transform(const Tensor& x) { return fit(x).transform(x); }

Tensor StandardScaler::inverse_transform(const Tensor& y) const {
  check_fitted(fitted_, "StandardScaler.inverse_transform");
  Matrix m = to_matrix(y, "StandardScaler.inverse_transform", num_features());
  for (int64_t r = 0; r < m.rows; ++r) {
    for (int64_t c = 0; c < m.cols; ++c) {
      double& v = m.values[static_cast<size_t>(r * m.cols + c)];
      v = v * scale_[static_cast<size_t>(c)] + mean_[static_cast<size_t>(c)];
    }
  }
  return from_matrix(std::move(m.values), m.rows, m.cols, y.dtype());
}

nlohmann::json StandardScaler::to_json() const {
  check_fitted(fitted_, "StandardScaler.to_json");
  return json{{"type", "StandardScaler"},
              {"with_mean", options_.with_mean},
              {"with_std", options_.with_std},
              {"mean", mean_},
              {"scale", scale_}};
}

StandardScaler StandardScaler::from_json(const nlohmann::json& state) {
  check_type(state, "StandardScaler");
  return guarded("StandardScaler", [&] {
    StandardScaler scaler({.with_mean = state.at("with_mean").get<bool>(),
                           .with_std = state.at("with_std").get<bool>()});
    scaler.mean_ = state.at("mean").get<std::vector<double>>();
    scaler.scale_ = state.at("scale").get<std::vector<double>>();
    if (scaler.mean_.size() != scaler.scale_.size()) {
      throw ValueError("StandardScaler::from_json: mean has " +
                       std::to_string(scaler.mean_.size()) + " entries but scale has " +
                       std::to_string(scaler.scale_.size()));
    }
    for (double s : scaler.scale_) {
      if (!(s > 0.0) || !std::isfinite(s)) {
        throw ValueError("StandardScaler::from_json: scale must be positive, got " +
                         format_number(s));
      }
    }
    scaler.fitted_ = true;
    return scaler;
  });
}

// ---------------------------------------------------------------------------------------------
// MinMaxScaler

MinMaxScaler::MinMaxScaler(MinMaxScalerOptions options) : options_(options) {
  const auto [low, high] = options_.feature_range;
  if (!(low < high) || !std::isfinite(low) || !std::isfinite(high)) {
    throw ValueError("MinMaxScaler: feature_range must satisfy min < max, got (" +
                     format_number(low) + ", " + format_number(high) + ")");
  }
}

MinMaxScaler& MinMaxScaler::fit(const Tensor& x) {
  Matrix m = to_matrix(x, "MinMaxScaler.fit", -1);
  if (m.rows == 0) throw ValueError("MinMaxScaler.fit: needs at least one row, got 0");
  data_min_.assign(static_cast<size_t>(m.cols), 0.0);
  data_max_.assign(static_cast<size_t>(m.cols), 0.0);
  for (int64_t c = 0; c < m.cols; ++c) {
    double low = INFINITY;
    double high = -INFINITY;
    for (int64_t r = 0; r < m.rows; ++r) {
      if (std::isnan(m.at(r, c))) continue;
      low = std::min(low, m.at(r, c));
      high = std::max(high, m.at(r, c));
    }
    if (low <= high) {  // else: every value NaN; keep 0 and 0
      data_min_[static_cast<size_t>(c)] = low;
      data_max_[static_cast<size_t>(c)] = high;
    }
  }
  fitted_ = true;
  return *this;
}

Tensor MinMaxScaler::transform(const Tensor& x) const {
  check_fitted(fitted_, "MinMaxScaler.transform");
  Matrix m = to_matrix(x, "MinMaxScaler.transform", num_features());
  const auto [low, high] = options_.feature_range;
  for (int64_t c = 0; c < m.cols; ++c) {
    const double range = data_max_[static_cast<size_t>(c)] - data_min_[static_cast<size_t>(c)];
    // A constant feature: scikit-learn's convention of a unit range maps it to `low`.
    const double scale = (high - low) / (range > 0.0 ? range : 1.0);
    const double offset = low - data_min_[static_cast<size_t>(c)] * scale;
    for (int64_t r = 0; r < m.rows; ++r) {
      double& v = m.values[static_cast<size_t>(r * m.cols + c)];
      v = v * scale + offset;
      if (options_.clip && !std::isnan(v)) v = std::clamp(v, low, high);
    }
  }
  return from_matrix(std::move(m.values), m.rows, m.cols, x.dtype());
}

Tensor MinMaxScaler::fit_transform(const Tensor& x) { return fit(x).transform(x); }

Tensor MinMaxScaler::inverse_transform(const Tensor& y) const {
  check_fitted(fitted_, "MinMaxScaler.inverse_transform");
  Matrix m = to_matrix(y, "MinMaxScaler.inverse_transform", num_features());
  const auto [low, high] = options_.feature_range;
  for (int64_t c = 0; c < m.cols; ++c) {
    const double range = data_max_[static_cast<size_t>(c)] - data_min_[static_cast<size_t>(c)];
    const double scale = (high - low) / (range > 0.0 ? range : 1.0);
    const double offset = low - data_min_[static_cast<size_t>(c)] * scale;
    for (int64_t r = 0; r < m.rows; ++r) {
      double& v = m.values[static_cast<size_t>(r * m.cols + c)];
      v = (v - offset) / scale;
    }
  }
  return from_matrix(std::move(m.values), m.rows, m.cols, y.dtype());
}

nlohmann::json MinMaxScaler::to_json() const {
  check_fitted(fitted_, "MinMaxScaler.to_json");
  return json{{"type", "MinMaxScaler"},
              {"feature_range", {options_.feature_range.first, options_.feature_range.second}},
              {"clip", options_.clip},
              {"data_min", data_min_},
              {"data_max", data_max_}};
}

MinMaxScaler MinMaxScaler::from_json(const nlohmann::json& state) {
  check_type(state, "MinMaxScaler");
  return guarded("MinMaxScaler", [&] {
    auto range = state.at("feature_range").get<std::vector<double>>();
    if (range.size() != 2) {
      throw ValueError("MinMaxScaler::from_json: feature_range must have 2 entries, got " +
                       std::to_string(range.size()));
    }
    MinMaxScaler scaler(
        {.feature_range = {range[0], range[1]}, .clip = state.at("clip").get<bool>()});
    scaler.data_min_ = state.at("data_min").get<std::vector<double>>();
    scaler.data_max_ = state.at("data_max").get<std::vector<double>>();
    if (scaler.data_min_.size() != scaler.data_max_.size()) {
      throw ValueError("MinMaxScaler::from_json: data_min has " +
                       std::to_string(scaler.data_min_.size()) + " entries but data_max has " +
                       std::to_string(scaler.data_max_.size()));
    }
    scaler.fitted_ = true;
    return scaler;
  });
}

// ---------------------------------------------------------------------------------------------
// OneHotEncoder

namespace {

int64_t category_value(double value, int64_t row, int64_t column) {
  // 2^63: the first double past int64's range.
  if (!std::isfinite(value) || value != std::floor(value) ||
      std::abs(value) >= 9.2233720368547758e18) {
    throw ValueError("OneHotEncoder: row " + std::to_string(row) + ", column " +
                     std::to_string(column) + " has value " + format_number(value) +
                     ", expected an integer category");
  }
  return static_cast<int64_t>(value);
}

}  // namespace

OneHotEncoder::OneHotEncoder(OneHotEncoderOptions options) : options_(options) {}

OneHotEncoder& OneHotEncoder::fit(const Tensor& x) {
  Matrix m = to_matrix(x, "OneHotEncoder.fit", -1);
  if (m.rows == 0) throw ValueError("OneHotEncoder.fit: needs at least one row, got 0");
  categories_.assign(static_cast<size_t>(m.cols), {});
  for (int64_t c = 0; c < m.cols; ++c) {
    std::vector<int64_t>& categories = categories_[static_cast<size_t>(c)];
    for (int64_t r = 0; r < m.rows; ++r) categories.push_back(category_value(m.at(r, c), r, c));
    std::sort(categories.begin(), categories.end());
    categories.erase(std::unique(categories.begin(), categories.end()), categories.end());
  }
  fitted_ = true;
  return *this;
}

int64_t OneHotEncoder::num_outputs() const {
  int64_t total = 0;
  for (const auto& categories : categories_) total += static_cast<int64_t>(categories.size());
  return total;
}

const std::vector<int64_t>& OneHotEncoder::categories(int64_t feature) const {
  check_fitted(fitted_, "OneHotEncoder.categories");
  if (feature < 0 || feature >= num_features()) {
    throw IndexError("OneHotEncoder.categories: feature " + std::to_string(feature) +
                     " is out of range for " + std::to_string(num_features()) + " features");
  }
  return categories_[static_cast<size_t>(feature)];
}

Tensor OneHotEncoder::transform(const Tensor& x) const {
  check_fitted(fitted_, "OneHotEncoder.transform");
  Matrix m = to_matrix(x, "OneHotEncoder.transform", num_features());
  const int64_t width = num_outputs();
  std::vector<float> out(static_cast<size_t>(m.rows * width), 0.0f);
  for (int64_t r = 0; r < m.rows; ++r) {
    int64_t offset = 0;
    for (int64_t c = 0; c < m.cols; ++c) {
      const std::vector<int64_t>& categories = categories_[static_cast<size_t>(c)];
      const int64_t value = category_value(m.at(r, c), r, c);
      auto it = std::lower_bound(categories.begin(), categories.end(), value);
      if (it != categories.end() && *it == value) {
        out[static_cast<size_t>(r * width + offset + (it - categories.begin()))] = 1.0f;
      } else if (options_.handle_unknown == HandleUnknown::error) {
        std::string known;
        for (size_t k = 0; k < categories.size() && k < 20; ++k) {
          known += (k ? ", " : "") + std::to_string(categories[k]);
        }
        if (categories.size() > 20) known += ", ...";
        throw ValueError("OneHotEncoder.transform: row " + std::to_string(r) + ", column " +
                         std::to_string(c) + " has category " + std::to_string(value) +
                         " not seen in fit (known: " + known + ")");
      }
      offset += static_cast<int64_t>(categories.size());
    }
  }
  return from_vector(out, Shape{m.rows, width});
}

Tensor OneHotEncoder::fit_transform(const Tensor& x) { return fit(x).transform(x); }

nlohmann::json OneHotEncoder::to_json() const {
  check_fitted(fitted_, "OneHotEncoder.to_json");
  return json{
      {"type", "OneHotEncoder"},
      {"handle_unknown", options_.handle_unknown == HandleUnknown::error ? "error" : "ignore"},
      {"categories", categories_}};
}

OneHotEncoder OneHotEncoder::from_json(const nlohmann::json& state) {
  check_type(state, "OneHotEncoder");
  return guarded("OneHotEncoder", [&] {
    const std::string handle = state.at("handle_unknown").get<std::string>();
    if (handle != "error" && handle != "ignore") {
      throw ValueError(
          "OneHotEncoder::from_json: handle_unknown must be \"error\" or \"ignore\", "
          "got \"" +
          handle + "\"");
    }
    OneHotEncoder encoder(
        {.handle_unknown = handle == "error" ? HandleUnknown::error : HandleUnknown::ignore});
    encoder.categories_ = state.at("categories").get<std::vector<std::vector<int64_t>>>();
    for (auto& categories : encoder.categories_) {
      if (!std::is_sorted(categories.begin(), categories.end()) ||
          std::adjacent_find(categories.begin(), categories.end()) != categories.end()) {
        throw ValueError("OneHotEncoder::from_json: categories must be sorted and distinct");
      }
    }
    encoder.fitted_ = true;
    return encoder;
  });
}

// ---------------------------------------------------------------------------------------------
// Enum names

std::string to_string(Task task) {
  return task == Task::classification ? "classification" : "regression";
}

std::string to_string(Impute impute) {
  switch (impute) {
    case Impute::mean:
      return "mean";
    case Impute::median:
      return "median";
    case Impute::most_frequent:
      return "most_frequent";
  }
  return "mean";
}

std::string to_string(Scale scale) {
  switch (scale) {
    case Scale::none:
      return "none";
    case Scale::standard:
      return "standard";
    case Scale::minmax:
      return "minmax";
  }
  return "none";
}

namespace {

template <typename E>
E parse_enum(const std::string& text, std::initializer_list<E> values, const char* what) {
  std::string names;
  for (E value : values) {
    if (to_string(value) == text) return value;
    names += (names.empty() ? "" : ", ") + to_string(value);
  }
  throw ValueError(std::string("TabularPreprocessor::from_json: ") + what + " must be one of " +
                   names + ", got \"" + text + "\"");
}

// Numeric labels sort by value ("2" before "10"), others as strings.
void sort_labels(std::vector<std::string>& labels) {
  bool numeric = true;
  for (const std::string& label : labels) numeric = numeric && parse_number(label).has_value();
  if (numeric) {
    std::stable_sort(labels.begin(), labels.end(), [](const std::string& a, const std::string& b) {
      return *parse_number(a) < *parse_number(b);
    });
  } else {
    std::sort(labels.begin(), labels.end());
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// TabularPreprocessor

TabularPreprocessor::TabularPreprocessor(TabularOptions options) : options_(options) {}

void TabularPreprocessor::check_fitted(const char* what) const {
  if (!fitted_)
    throw ValueError(std::string("TabularPreprocessor.") + what + ": called before fit");
}

TabularPreprocessor& TabularPreprocessor::fit(const Table& train) {
  if (train.num_rows() == 0) {
    throw ValueError("TabularPreprocessor.fit: " + train.source() + " has no rows to fit on");
  }
  if (!train.has_target()) {
    throw ValueError("TabularPreprocessor.fit: " + train.source() + " has no target column");
  }
  const int64_t target = train.target_column();
  task_ = train.task();
  target_name_ = train.column_names()[static_cast<size_t>(target)];
  columns_.clear();
  feature_names_.clear();
  class_names_.clear();

  for (int64_t c : train.feature_columns()) {
    Column column;
    column.name = train.column_names()[static_cast<size_t>(c)];
    column.categorical = train.kind(c) == ColumnKind::categorical;
    if (column.categorical) {
      std::map<std::string, int64_t> counts;  // sorted: ties go to the first category
      for (int64_t r = 0; r < train.num_rows(); ++r) {
        if (const auto& value = train.cell(r, c)) ++counts[*value];
      }
      int64_t best = 0;
      for (const auto& [category, count] : counts) {
        column.categories.push_back(category);
        if (count > best) {
          best = count;
          column.fill_category = category;
        }
      }
      for (const std::string& category : column.categories) {
        feature_names_.push_back(column.name + "=" + category);
      }
    } else {
      std::vector<double> values;
      for (int64_t r = 0; r < train.num_rows(); ++r) {
        if (std::optional<double> value = train.number(r, c)) values.push_back(*value);
      }
      if (!values.empty()) {  // an all-missing column fills with 0
        std::sort(values.begin(), values.end());
        const size_t n = values.size();
        switch (options_.impute) {
          case Impute::mean: {
            double sum = 0.0;
            for (double v : values) sum += v;
            column.fill_number = sum / static_cast<double>(n);
            break;
          }
          case Impute::median:
            column.fill_number =
                n % 2 == 1 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
            break;
          case Impute::most_frequent: {
            size_t best = 0;
            for (size_t i = 0; i < n;) {  // runs of equal values; the first longest wins
              size_t j = i;
              while (j < n && values[j] == values[i]) ++j;
              if (j - i > best) {
                best = j - i;
                column.fill_number = values[i];
              }
              i = j;
            }
            break;
          }
        }
      }
      feature_names_.push_back(column.name);
    }
    columns_.push_back(std::move(column));
  }

  if (task_ == Task::classification) {
    for (int64_t r = 0; r < train.num_rows(); ++r) {
      const auto& label = train.cell(r, target);
      if (!label) {
        throw ValueError("TabularPreprocessor.fit: " + train.location(r, target) +
                         ": the target is missing");
      }
      if (std::find(class_names_.begin(), class_names_.end(), *label) == class_names_.end()) {
        class_names_.push_back(*label);
      }
    }
    sort_labels(class_names_);
  }

  fitted_ = true;  // the scaler's input is the imputed numeric matrix, computed as in transform
  if (options_.scale != Scale::none) {
    std::vector<int64_t> table_columns;
    std::vector<double> numeric = numeric_matrix(train, &table_columns);
    const int64_t count = static_cast<int64_t>(table_columns.size());
    Tensor matrix = from_vector(numeric, Shape{train.num_rows(), count});
    if (options_.scale == Scale::standard) {
      standard_ = StandardScaler();
      standard_.fit(matrix);
    } else {
      minmax_ = MinMaxScaler();
      minmax_.fit(matrix);
    }
  }
  return *this;
}

// The imputed numeric columns of `table`, [N, numeric columns] row-major, and where each lives in
// the table.
std::vector<double> TabularPreprocessor::numeric_matrix(const Table& table,
                                                        std::vector<int64_t>* table_columns) const {
  table_columns->clear();
  std::vector<const Column*> numeric;
  for (const Column& column : columns_) {
    if (column.categorical) continue;
    std::optional<int64_t> index = table.find_column(column.name);
    if (!index) {
      throw ValueError("TabularPreprocessor.transform: " + table.source() + " has no column \"" +
                       column.name + "\" (a feature in training)");
    }
    table_columns->push_back(*index);
    numeric.push_back(&column);
  }
  const size_t width = numeric.size();
  std::vector<double> values(static_cast<size_t>(table.num_rows()) * width);
  for (int64_t r = 0; r < table.num_rows(); ++r) {
    for (size_t k = 0; k < width; ++k) {
      std::optional<double> value = table.number(r, (*table_columns)[k]);
      values[static_cast<size_t>(r) * width + k] = value ? *value : numeric[k]->fill_number;
    }
  }
  return values;
}

Tensor TabularPreprocessor::transform_features(const Table& table) const {
  check_fitted("transform");
  const int64_t n = table.num_rows();
  std::vector<int64_t> numeric_columns;
  std::vector<double> numeric = numeric_matrix(table, &numeric_columns);
  const int64_t numeric_count = static_cast<int64_t>(numeric_columns.size());
  if (options_.scale != Scale::none && numeric_count > 0 && n > 0) {
    Tensor matrix = from_vector(numeric, Shape{n, numeric_count});
    Tensor scaled =
        options_.scale == Scale::standard ? standard_.transform(matrix) : minmax_.transform(matrix);
    numeric = to_vector<double>(scaled);
  }

  const int64_t width = num_features();
  std::vector<float> out(static_cast<size_t>(n * width), 0.0f);
  int64_t offset = 0;
  int64_t numeric_index = 0;
  for (const Column& column : columns_) {
    if (!column.categorical) {
      for (int64_t r = 0; r < n; ++r) {
        out[static_cast<size_t>(r * width + offset)] =
            static_cast<float>(numeric[static_cast<size_t>(r * numeric_count + numeric_index)]);
      }
      ++numeric_index;
      ++offset;
      continue;
    }
    std::optional<int64_t> index = table.find_column(column.name);
    if (!index) {
      throw ValueError("TabularPreprocessor.transform: " + table.source() + " has no column \"" +
                       column.name + "\" (a feature in training)");
    }
    for (int64_t r = 0; r < n; ++r) {
      const auto& cell = table.cell(r, *index);
      const std::string& value = cell ? *cell : column.fill_category;
      auto it = std::lower_bound(column.categories.begin(), column.categories.end(), value);
      if (it != column.categories.end() && *it == value) {
        out[static_cast<size_t>(r * width + offset + (it - column.categories.begin()))] = 1.0f;
      }  // else unseen in training: all zeros
    }
    offset += static_cast<int64_t>(column.categories.size());
  }
  return from_vector(out, Shape{n, width});
}

Tensor TabularPreprocessor::transform_targets(const Table& table) const {
  check_fitted("transform_targets");
  std::optional<int64_t> index = table.find_column(target_name_);
  if (!index) {
    throw ValueError("TabularPreprocessor.transform_targets: " + table.source() +
                     " has no target column \"" + target_name_ + "\"");
  }
  const int64_t n = table.num_rows();
  if (task_ == Task::regression) {
    std::vector<float> values(static_cast<size_t>(n));
    for (int64_t r = 0; r < n; ++r) {
      std::optional<double> value = table.number(r, *index);
      if (!value) {
        throw ValueError("TabularPreprocessor: " + table.location(r, *index) +
                         ": the target is missing");
      }
      values[static_cast<size_t>(r)] = static_cast<float>(*value);
    }
    return from_vector(values, Shape{n, 1});
  }
  std::vector<int64_t> classes(static_cast<size_t>(n));
  for (int64_t r = 0; r < n; ++r) {
    const auto& label = table.cell(r, *index);
    if (!label) {
      throw ValueError("TabularPreprocessor: " + table.location(r, *index) +
                       ": the target is missing");
    }
    auto it = std::find(class_names_.begin(), class_names_.end(), *label);
    if (it == class_names_.end()) {
      throw ValueError("TabularPreprocessor: " + table.location(r, *index) + ": class \"" + *label +
                       "\" was not seen in training");
    }
    classes[static_cast<size_t>(r)] = it - class_names_.begin();
  }
  return from_vector(classes, Shape{n});
}

TensorDataset TabularPreprocessor::transform(const Table& table) const {
  Tensor features = transform_features(table);
  const bool labelled =
      table.has_target() &&
      table.column_names()[static_cast<size_t>(table.target_column())] == target_name_;
  return TensorDataset(features, labelled ? transform_targets(table) : Tensor());
}

TensorDataset TabularPreprocessor::fit_transform(const Table& train) {
  return fit(train).transform(train);
}

nlohmann::json TabularPreprocessor::to_json() const {
  check_fitted("to_json");
  json columns = json::array();
  for (const Column& column : columns_) {
    if (column.categorical) {
      columns.push_back({{"name", column.name},
                         {"kind", "categorical"},
                         {"fill", column.fill_category},
                         {"categories", column.categories}});
    } else {
      columns.push_back({{"name", column.name}, {"kind", "numeric"}, {"fill", column.fill_number}});
    }
  }
  json state{{"type", "TabularPreprocessor"},
             {"impute", to_string(options_.impute)},
             {"scale", to_string(options_.scale)},
             {"task", to_string(task_)},
             {"target", target_name_},
             {"columns", columns},
             {"classes", class_names_}};
  if (options_.scale == Scale::standard) state["scaler"] = standard_.to_json();
  if (options_.scale == Scale::minmax) state["scaler"] = minmax_.to_json();
  return state;
}

TabularPreprocessor TabularPreprocessor::from_json(const nlohmann::json& state) {
  check_type(state, "TabularPreprocessor");
  return guarded("TabularPreprocessor", [&] {
    TabularOptions options;
    options.impute = parse_enum(state.at("impute").get<std::string>(),
                                {Impute::mean, Impute::median, Impute::most_frequent}, "impute");
    options.scale = parse_enum(state.at("scale").get<std::string>(),
                               {Scale::none, Scale::standard, Scale::minmax}, "scale");
    TabularPreprocessor prep(options);
    prep.task_ = parse_enum(state.at("task").get<std::string>(),
                            {Task::classification, Task::regression}, "task");
    prep.target_name_ = state.at("target").get<std::string>();
    int64_t numeric_count = 0;
    for (const json& entry : state.at("columns")) {
      Column column;
      column.name = entry.at("name").get<std::string>();
      const std::string kind = entry.at("kind").get<std::string>();
      if (kind == "categorical") {
        column.categorical = true;
        column.fill_category = entry.at("fill").get<std::string>();
        column.categories = entry.at("categories").get<std::vector<std::string>>();
        if (!std::is_sorted(column.categories.begin(), column.categories.end())) {
          throw ValueError("TabularPreprocessor::from_json: the categories of \"" + column.name +
                           "\" must be sorted");
        }
        for (const std::string& category : column.categories) {
          prep.feature_names_.push_back(column.name + "=" + category);
        }
      } else if (kind == "numeric") {
        column.fill_number = entry.at("fill").get<double>();
        prep.feature_names_.push_back(column.name);
        ++numeric_count;
      } else {
        throw ValueError(
            "TabularPreprocessor::from_json: column kind must be \"numeric\" or "
            "\"categorical\", got \"" +
            kind + "\"");
      }
      prep.columns_.push_back(std::move(column));
    }
    prep.class_names_ = state.at("classes").get<std::vector<std::string>>();
    if (options.scale != Scale::none) {
      int64_t scaled = 0;
      if (options.scale == Scale::standard) {
        prep.standard_ = StandardScaler::from_json(state.at("scaler"));
        scaled = prep.standard_.num_features();
      } else {
        prep.minmax_ = MinMaxScaler::from_json(state.at("scaler"));
        scaled = prep.minmax_.num_features();
      }
      if (scaled != numeric_count) {
        throw ValueError("TabularPreprocessor::from_json: the scaler has " +
                         std::to_string(scaled) + " features but there are " +
                         std::to_string(numeric_count) + " numeric columns");
      }
    }
    prep.fitted_ = true;
    return prep;
  });
}

}  // namespace cajal::data
