#pragma once
// Preprocessing fitted on training data only, the scikit-learn way: fit() learns statistics from
// the training rows, transform() applies them unchanged to any rows (validation, test, new data
// at prediction time). Every fitted state saves to and loads from JSON, so a checkpoint can carry
// the preprocessing its model was trained with.
//
//   data::StandardScaler scaler;
//   Tensor train_x = scaler.fit_transform(train_features);   // [N, F], statistics of train only
//   Tensor test_x = scaler.transform(test_features);         // [M, F], the same statistics
//   nlohmann::json state = scaler.to_json();
//
// TabularPreprocessor combines them for a data::Table read from CSV (see csv.h): imputation of
// missing values, optional scaling of numeric columns, one-hot encoding of categorical columns
// and encoding of the target.
//
// Calling transform before fit is a ValueError; a tensor with the wrong number of features is a
// ShapeError naming both counts.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "cajal/core/tensor.h"
#include "cajal/data/dataset.h"

namespace cajal::data {

// Standardizes each feature to zero mean and unit variance: y = (x - mean) / std, with the
// population standard deviation (ddof = 0, as scikit-learn). A constant feature gets std 1, so it
// maps to 0 instead of dividing by zero. NaNs are ignored by fit and stay NaN in transform.
struct StandardScalerOptions {
  bool with_mean = true;
  bool with_std = true;
};

class StandardScaler {
 public:
  explicit StandardScaler(StandardScalerOptions options = {});

  // x: [N, F] with N >= 1 (any dtype). Learns mean and std per feature.
  StandardScaler& fit(const Tensor& x);
  // x: [M, F] -> [M, F]; float64 stays float64, every other dtype gives float32.
  Tensor transform(const Tensor& x) const;
  Tensor fit_transform(const Tensor& x);
  // y: [M, F] -> [M, F], undoing transform.
  Tensor inverse_transform(const Tensor& y) const;

  bool fitted() const { return fitted_; }
  int64_t num_features() const { return static_cast<int64_t>(mean_.size()); }
  const std::vector<double>& mean() const { return mean_; }    // 0 when !with_mean
  const std::vector<double>& scale() const { return scale_; }  // std (0 -> 1); 1 when !with_std
  const StandardScalerOptions& options() const { return options_; }

  nlohmann::json to_json() const;
  // ValueError when the JSON is not a StandardScaler state.
  static StandardScaler from_json(const nlohmann::json& state);

 private:
  StandardScalerOptions options_;
  bool fitted_ = false;
  std::vector<double> mean_;
  std::vector<double> scale_;
};

// Scales each feature linearly so that the training minimum maps to feature_range.first and the
// training maximum to feature_range.second. A constant feature maps to feature_range.first.
// Values outside the training range map outside feature_range unless clip is set.
struct MinMaxScalerOptions {
  std::pair<double, double> feature_range = {0.0, 1.0};
  bool clip = false;
};

class MinMaxScaler {
 public:
  // ValueError unless feature_range.first < feature_range.second.
  explicit MinMaxScaler(MinMaxScalerOptions options = {});

  // x: [N, F] with N >= 1. NaNs are ignored.
  MinMaxScaler& fit(const Tensor& x);
  // x: [M, F] -> [M, F]; float64 stays float64, every other dtype gives float32.
  Tensor transform(const Tensor& x) const;
  Tensor fit_transform(const Tensor& x);
  Tensor inverse_transform(const Tensor& y) const;

  bool fitted() const { return fitted_; }
  int64_t num_features() const { return static_cast<int64_t>(data_min_.size()); }
  const std::vector<double>& data_min() const { return data_min_; }
  const std::vector<double>& data_max() const { return data_max_; }
  const MinMaxScalerOptions& options() const { return options_; }

  nlohmann::json to_json() const;
  static MinMaxScaler from_json(const nlohmann::json& state);

 private:
  MinMaxScalerOptions options_;
  bool fitted_ = false;
  std::vector<double> data_min_;
  std::vector<double> data_max_;
};

// One-hot encodes integer-valued columns. Each column's categories are the distinct values seen
// by fit, sorted ascending; column j becomes categories(j).size() output columns, laid out in
// column order. A value not seen by fit is an error (handle_unknown = error, scikit-learn's
// default) or encodes as all zeros (handle_unknown = ignore).
enum class HandleUnknown { error, ignore };

struct OneHotEncoderOptions {
  HandleUnknown handle_unknown = HandleUnknown::error;
};

class OneHotEncoder {
 public:
  explicit OneHotEncoder(OneHotEncoderOptions options = {});

  // x: [N, F], integer values (int64, or floating with integral values; NaN is an error).
  OneHotEncoder& fit(const Tensor& x);
  // x: [M, F] -> [M, sum of category counts], float32 zeros and ones.
  Tensor transform(const Tensor& x) const;
  Tensor fit_transform(const Tensor& x);

  bool fitted() const { return fitted_; }
  int64_t num_features() const { return static_cast<int64_t>(categories_.size()); }
  int64_t num_outputs() const;
  const std::vector<int64_t>& categories(int64_t feature) const;
  const OneHotEncoderOptions& options() const { return options_; }

  nlohmann::json to_json() const;
  static OneHotEncoder from_json(const nlohmann::json& state);

 private:
  OneHotEncoderOptions options_;
  bool fitted_ = false;
  std::vector<std::vector<int64_t>> categories_;
};

// ---------------------------------------------------------------------------------------------
// Tabular data (a data::Table from read_csv) to tensors.

enum class Task { classification, regression };
// How a missing numeric value is filled: the training column's mean, median, or most frequent
// value (ties: the smallest). Missing categorical values always take the most frequent training
// category (ties: the first in sorted order).
enum class Impute { mean, median, most_frequent };
// Scaling of the numeric columns after imputation (one-hot columns are never scaled).
enum class Scale { none, standard, minmax };

std::string to_string(Task task);
std::string to_string(Impute impute);
std::string to_string(Scale scale);

struct TabularOptions {
  Impute impute = Impute::mean;
  Scale scale = Scale::none;
};

class Table;

// Learns, from the training table only: the fill value of every column, the categories of every
// categorical column (sorted), the numeric scaling, and for classification the class names. The
// features of a row are laid out in the table's column order (target excluded): a numeric column
// gives one feature, a categorical column one feature per training category ("color=red").
// A category not seen in training encodes as all zeros (an unseen value carries no information
// the network was trained on, and a prediction should still be possible).
//
// Columns are matched by name, so a table for prediction may order its columns differently or
// lack the target column; a missing feature column is a ValueError.
class TabularPreprocessor {
 public:
  explicit TabularPreprocessor(TabularOptions options = {});

  // ValueError when the table has no rows or no target column.
  TabularPreprocessor& fit(const Table& train);
  // table -> [N, num_features()] float32. ValueError (source, line, column) for a non-numeric
  // value in a numeric column.
  Tensor transform_features(const Table& table) const;
  // Classification: [N] int64 class indices into class_names(); a label not seen in training is a
  // ValueError. Regression: [N, 1] float32. A missing target is a ValueError.
  Tensor transform_targets(const Table& table) const;
  // Features and targets (undefined targets when the table has no target column).
  TensorDataset transform(const Table& table) const;
  TensorDataset fit_transform(const Table& train);

  bool fitted() const { return fitted_; }
  const TabularOptions& options() const { return options_; }
  Task task() const { return task_; }
  const std::string& target_name() const { return target_name_; }
  int64_t num_features() const { return static_cast<int64_t>(feature_names_.size()); }
  // Output feature names: the column name for numeric columns, "column=category" for one-hot.
  const std::vector<std::string>& feature_names() const { return feature_names_; }
  // Classification only: the class names, index i = class i. Numeric labels sort by value,
  // other labels as strings.
  const std::vector<std::string>& class_names() const { return class_names_; }
  int64_t num_classes() const { return static_cast<int64_t>(class_names_.size()); }

  nlohmann::json to_json() const;
  static TabularPreprocessor from_json(const nlohmann::json& state);

 private:
  struct Column {
    std::string name;
    bool categorical = false;
    double fill_number = 0.0;             // numeric: the imputed value
    std::string fill_category;            // categorical: the imputed category ("" if none)
    std::vector<std::string> categories;  // categorical: sorted
  };
  void check_fitted(const char* what) const;
  std::vector<double> numeric_matrix(const Table& table, std::vector<int64_t>* table_columns) const;

  TabularOptions options_;
  bool fitted_ = false;
  Task task_ = Task::classification;
  std::string target_name_;
  std::vector<Column> columns_;
  std::vector<std::string> feature_names_;
  std::vector<std::string> class_names_;
  StandardScaler standard_;
  MinMaxScaler minmax_;
};

}  // namespace cajal::data
