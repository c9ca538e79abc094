// Scalers, the one-hot encoder and the tabular preprocessor: fitted on training data only, with
// their state saved to and loaded from JSON.
//
// Expected values are written out by hand (scikit-learn's definitions: population std, a unit
// range for constant features). Arithmetic is in double, so float64 results are compared with a
// relative tolerance of 1e-12 and float32 results with 1e-6.
#include "cajal/data/preprocessing.h"

#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "cajal/core/creation.h"
#include "cajal/data/csv.h"
#include "cajal/ops/arithmetic.h"
#include "support/expect_error.h"

namespace cajal {
namespace {

using data::Impute;
using data::Scale;
using data::TabularPreprocessor;
using data::Task;
using testing::expect_error;

void expect_values(const Tensor& actual, const std::vector<double>& expected, double tolerance) {
  std::vector<double> values = to_vector<double>(actual);
  ASSERT_EQ(values.size(), expected.size());
  for (size_t i = 0; i < values.size(); ++i) {
    EXPECT_NEAR(values[i], expected[i], tolerance * std::max(1.0, std::abs(expected[i])))
        << "element " << i;
  }
}

Tensor matrix(std::initializer_list<std::initializer_list<double>> rows) {
  return tensor(rows, {.dtype = Dtype::float64});
}

// A single feature: [N] values -> [N, 1] (float32).
Tensor column(std::initializer_list<double> values) {
  return tensor(values).reshape({static_cast<int64_t>(values.size()), 1});
}

// ---------------------------------------------------------------------------------------------
// StandardScaler

TEST(StandardScaler, FitOnTrainTransformsTestWithTrainStatistics) {
  Tensor train = matrix({{1, 10}, {2, 10}, {3, 10}, {6, 10}});
  data::StandardScaler scaler;
  scaler.fit(train);
  // Column 0: mean 3, population variance (4 + 1 + 0 + 9) / 4 = 3.5. Column 1: constant, std -> 1.
  const double std0 = std::sqrt(3.5);
  EXPECT_NEAR(scaler.mean()[0], 3.0, 1e-15);
  EXPECT_NEAR(scaler.scale()[0], std0, 1e-15);
  EXPECT_EQ(scaler.scale()[1], 1.0);
  Tensor test = matrix({{3, 10}, {10, 12}});
  Tensor y = scaler.transform(test);
  EXPECT_EQ(y.dtype(), Dtype::float64);
  expect_values(y, {0.0, 0.0, 7.0 / std0, 2.0}, 1e-12);
  expect_values(scaler.inverse_transform(y), {3, 10, 10, 12}, 1e-12);
  // Test statistics never enter: refitting on the test rows would give different values.
  data::StandardScaler on_test;
  EXPECT_FALSE(to_vector<double>(on_test.fit_transform(test)) == to_vector<double>(y));
}

TEST(StandardScaler, OptionsFloat32AndNaN) {
  Tensor train = tensor({{1, 2}, {3, 6}});  // float32
  data::StandardScaler centred({.with_std = false});
  Tensor y = centred.fit_transform(train);
  EXPECT_EQ(y.dtype(), Dtype::float32);
  expect_values(y, {-1, -2, 1, 2}, 1e-6);
  data::StandardScaler scaled({.with_mean = false});
  expect_values(scaled.fit_transform(train), {1, 1, 3, 3}, 1e-6);
  // NaN is ignored by fit and stays NaN.
  data::StandardScaler with_nan;
  with_nan.fit(matrix({{1}, {NAN}, {3}}));
  EXPECT_EQ(with_nan.mean()[0], 2.0);
  EXPECT_TRUE(std::isnan(to_vector<double>(with_nan.transform(matrix({{NAN}})))[0]));
}

TEST(StandardScaler, Errors) {
  data::StandardScaler scaler;
  expect_error<ValueError>(
      [&] {
        scaler.transform(matrix({{1, 2}}));
      },
      {"StandardScaler.transform", "before fit"});
  scaler.fit(matrix({{1, 2}, {3, 4}}));
  expect_error<ShapeError>(
      [&] {
        scaler.transform(matrix({{1, 2, 3}}));
      },
      {"StandardScaler.transform", "expected 2 features", "got 3"});
  expect_error<ShapeError>([&] { scaler.transform(zeros({3})); }, {"2-D", "[3]"});
  expect_error<ValueError>([&] { scaler.fit(zeros({0, 2})); }, {"at least one row"});
}

TEST(StandardScaler, JsonRoundTripIsExact) {
  data::StandardScaler scaler;
  scaler.fit(matrix({{0.1, -7.3}, {0.7, 1e-3}, {2.9, 5.5}}));
  data::StandardScaler loaded =
      data::StandardScaler::from_json(nlohmann::json::parse(scaler.to_json().dump()));
  Tensor x = matrix({{0.3, 0.3}, {-1, 8}});
  EXPECT_TRUE(equal(scaler.transform(x), loaded.transform(x)));
  expect_error<ValueError>(
      [] {
        data::StandardScaler::from_json(nlohmann::json{{"type", "MinMaxScaler"}});
      },
      {"StandardScaler", "type"});
  expect_error<ValueError>(
      [] {
        data::StandardScaler::from_json(
            nlohmann::json{{"type", "StandardScaler"}, {"with_mean", "yes"}});
      },
      {"StandardScaler::from_json", "malformed"});
}

// ---------------------------------------------------------------------------------------------
// MinMaxScaler

TEST(MinMaxScaler, RangeConstantFeatureClipAndInverse) {
  Tensor train = matrix({{0, 5}, {4, 5}, {2, 5}});
  data::MinMaxScaler scaler({.feature_range = {-1.0, 1.0}});
  scaler.fit(train);
  EXPECT_EQ(scaler.data_min(), (std::vector<double>{0, 5}));
  EXPECT_EQ(scaler.data_max(), (std::vector<double>{4, 5}));
  Tensor test = matrix({{1, 5}, {8, 7}});
  // Column 0: 2x/4 - 1. Column 1 (constant, so a unit range): 2(x - 5) - 1.
  Tensor y = scaler.transform(test);
  expect_values(y, {-0.5, -1.0, 3.0, 3.0}, 1e-12);
  expect_values(scaler.inverse_transform(y), {1, 5, 8, 7}, 1e-12);

  data::MinMaxScaler clipped({.clip = true});
  clipped.fit(train);
  expect_values(clipped.transform(matrix({{-4, 5}, {8, 9}})), {0, 0, 1, 1}, 1e-12);

  data::MinMaxScaler loaded =
      data::MinMaxScaler::from_json(nlohmann::json::parse(scaler.to_json().dump()));
  EXPECT_TRUE(equal(loaded.transform(test), y));
  EXPECT_EQ(loaded.options().feature_range, scaler.options().feature_range);
}

TEST(MinMaxScaler, Errors) {
  expect_error<ValueError>(
      [] {
        data::MinMaxScaler({.feature_range = {1.0, 0.0}});
      },
      {"MinMaxScaler", "feature_range", "(1.0, 0.0)"});
  data::MinMaxScaler scaler;
  expect_error<ValueError>([&] { scaler.inverse_transform(matrix({{1}})); }, {"before fit"});
  scaler.fit(matrix({{1}, {2}}));
  expect_error<ShapeError>(
      [&] {
        scaler.transform(matrix({{1, 2}}));
      },
      {"MinMaxScaler.transform", "expected 1 features", "got 2"});
}

// ---------------------------------------------------------------------------------------------
// OneHotEncoder

TEST(OneHotEncoder, LayoutFollowsColumnsAndSortedCategories) {
  Tensor train = tensor({{3, 0}, {1, 1}, {3, 1}, {7, 0}}, {.dtype = Dtype::int64});
  data::OneHotEncoder encoder;
  encoder.fit(train);
  EXPECT_EQ(encoder.categories(0), (std::vector<int64_t>{1, 3, 7}));
  EXPECT_EQ(encoder.categories(1), (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(encoder.num_outputs(), 5);
  Tensor y = encoder.transform(tensor({{7, 1}, {1, 0}}, {.dtype = Dtype::int64}));
  EXPECT_EQ(y.dtype(), Dtype::float32);
  EXPECT_EQ(y.shape(), (Shape{2, 5}));
  expect_values(y,
                {0, 0, 1, 0, 1,  //
                 1, 0, 0, 1, 0},
                0);
}

TEST(OneHotEncoder, UnknownCategories) {
  Tensor train = column({0, 1});
  data::OneHotEncoder strict;
  strict.fit(train);
  expect_error<ValueError>([&] { strict.transform(column({2})); },
                           {"OneHotEncoder.transform", "category 2", "known: 0, 1"});
  data::OneHotEncoder lenient({.handle_unknown = data::HandleUnknown::ignore});
  lenient.fit(train);
  expect_values(lenient.transform(column({2, 1})), {0, 0, 0, 1}, 0);
  expect_error<ValueError>([&] { lenient.fit(column({0.5})); }, {"0.5", "integer"});
  data::OneHotEncoder unfitted;
  expect_error<ValueError>([&] { unfitted.transform(train); }, {"before fit"});
  expect_error<ShapeError>(
      [&] {
        strict.transform(tensor({{0, 1}}));
      },
      {"expected 1 features", "got 2"});
  data::OneHotEncoder loaded =
      data::OneHotEncoder::from_json(nlohmann::json::parse(lenient.to_json().dump()));
  EXPECT_TRUE(equal(loaded.transform(column({2, 1, 0})), lenient.transform(column({2, 1, 0}))));
}

// ---------------------------------------------------------------------------------------------
// TabularPreprocessor

// Two numeric columns (one with gaps), one categorical, string class labels.
const char* kPenguins =
    "mass,flipper,island,species\n"
    "3000,180,Biscoe,Adelie\n"
    "5000,,Dream,Gentoo\n"
    "4000,200,Biscoe,Chinstrap\n"
    ",210,,Gentoo\n"
    "4000,190,Torgersen,Adelie\n";

TEST(TabularPreprocessor, ImputationOneHotAndStringLabels) {
  data::Table table = data::parse_csv(kPenguins, {.target = "species"}, "penguins.csv");
  TabularPreprocessor prep = table.preprocessor();
  data::TensorDataset dataset = prep.fit_transform(table);
  // Islands sorted: Biscoe, Dream, Torgersen. The missing island takes the most frequent (Biscoe).
  EXPECT_EQ(prep.feature_names(), (std::vector<std::string>{"mass", "flipper", "island=Biscoe",
                                                            "island=Dream", "island=Torgersen"}));
  EXPECT_EQ(prep.class_names(), (std::vector<std::string>{"Adelie", "Chinstrap", "Gentoo"}));
  // Means of the present values: mass (3000 + 5000 + 4000 + 4000) / 4 = 4000,
  // flipper (180 + 200 + 210 + 190) / 4 = 195.
  expect_values(dataset.inputs(), {3000, 180, 1, 0, 0,  //
                                   5000, 195, 0, 1, 0,  //
                                   4000, 200, 1, 0, 0,  //
                                   4000, 210, 1, 0, 0,  //
                                   4000, 190, 0, 0, 1},
                1e-6);
  EXPECT_EQ(dataset.inputs().dtype(), Dtype::float32);
  EXPECT_EQ(dataset.targets().dtype(), Dtype::int64);
  EXPECT_EQ(to_vector<int64_t>(dataset.targets()), (std::vector<int64_t>{0, 2, 1, 2, 0}));
}

TEST(TabularPreprocessor, MedianAndMostFrequent) {
  const char* text = "a,y\n1,u\n2,u\n2,v\n9,v\n,u\n";
  data::Table median = data::parse_csv(text, {.impute = Impute::median});
  // Median of 1, 2, 2, 9 is 2; mean would be 3.5.
  EXPECT_EQ(to_vector<float>(median.preprocessor().fit_transform(median).inputs())[4], 2.0f);
  data::Table frequent =
      data::parse_csv("a,y\n1,u\n5,u\n5,v\n1,v\n7,v\n,u\n", {.impute = Impute::most_frequent});
  // 1 and 5 both appear twice: the smaller wins.
  EXPECT_EQ(to_vector<float>(frequent.preprocessor().fit_transform(frequent).inputs())[5], 1.0f);
  data::Table mean = data::parse_csv(text);
  EXPECT_EQ(to_vector<float>(mean.preprocessor().fit_transform(mean).inputs())[4], 3.5f);
}

TEST(TabularPreprocessor, FittedOnTrainOnly) {
  data::Table train = data::parse_csv("x,color,y\n1,red,a\n3,red,b\n,blue,a\n",
                                      {.scale = Scale::standard}, "train.csv");
  data::Table test =
      data::parse_csv("x,color,y\n100,green,b\n,red,a\n", {.scale = Scale::standard}, "test.csv");
  TabularPreprocessor prep = train.preprocessor();
  prep.fit(train);
  // Training: x = 1, 3 and the imputed mean 2 -> mean 2, population std sqrt(2/3).
  const double std = std::sqrt(2.0 / 3.0);
  data::TensorDataset transformed = prep.transform(test);
  // "green" was never seen in training: all zeros. The missing x takes the training mean (2),
  // which standardizes to 0, and 100 uses the training mean and std, not the test rows'.
  expect_values(transformed.inputs(),
                {(100 - 2) / std, 0, 0,  //
                 0, 0, 1},
                1e-6);
  EXPECT_EQ(to_vector<int64_t>(transformed.targets()), (std::vector<int64_t>{1, 0}));
}

TEST(TabularPreprocessor, RegressionTargetsAndMinMax) {
  data::Table table = data::parse_csv("size,rooms,price\n50,2,100.5\n100,4,210\n75,,150\n",
                                      {.task = Task::regression, .scale = Scale::minmax});
  TabularPreprocessor prep = table.preprocessor();
  data::TensorDataset dataset = prep.fit_transform(table);
  EXPECT_EQ(dataset.targets().dtype(), Dtype::float32);
  EXPECT_EQ(dataset.targets().shape(), (Shape{3, 1}));
  expect_values(dataset.targets(), {100.5, 210, 150}, 1e-6);
  // rooms: 2, 4 and the imputed 3 -> min 2, max 4.
  expect_values(dataset.inputs(), {0, 0, 1, 1, 0.5, 0.5}, 1e-6);
  EXPECT_TRUE(prep.class_names().empty());
}

TEST(TabularPreprocessor, NumericLabelsSortByValue) {
  data::Table table = data::parse_csv("x,y\n1,10\n2,9\n3,2\n4,10\n");
  TabularPreprocessor prep = table.preprocessor();
  data::TensorDataset dataset = prep.fit_transform(table);
  EXPECT_EQ(prep.class_names(), (std::vector<std::string>{"2", "9", "10"}));
  EXPECT_EQ(to_vector<int64_t>(dataset.targets()), (std::vector<int64_t>{2, 1, 0, 2}));
}

TEST(TabularPreprocessor, JsonRoundTripGivesIdenticalTensors) {
  for (Scale scale : {Scale::none, Scale::standard, Scale::minmax}) {
    data::Table table =
        data::parse_csv(kPenguins, {.impute = Impute::median, .scale = scale}, "penguins.csv");
    TabularPreprocessor prep = table.preprocessor();
    prep.fit(table);
    nlohmann::json state = nlohmann::json::parse(prep.to_json().dump());
    TabularPreprocessor loaded = TabularPreprocessor::from_json(state);
    EXPECT_EQ(loaded.feature_names(), prep.feature_names());
    EXPECT_EQ(loaded.class_names(), prep.class_names());
    EXPECT_EQ(loaded.options().scale, scale);
    data::TensorDataset a = prep.transform(table);
    data::TensorDataset b = loaded.transform(table);
    EXPECT_TRUE(equal(a.inputs(), b.inputs())) << data::to_string(scale);
    EXPECT_TRUE(equal(a.targets(), b.targets()));
    EXPECT_EQ(loaded.to_json(), prep.to_json());
  }
  expect_error<ValueError>(
      [] {
        TabularPreprocessor::from_json(
            nlohmann::json{{"type", "TabularPreprocessor"}, {"impute", "mode"}, {"scale", "none"}});
      },
      {"impute", "\"mode\"", "most_frequent"});
}

TEST(TabularPreprocessor, PredictionTablesMatchColumnsByName) {
  data::Table train = data::parse_csv(kPenguins, {.target = "species"});
  TabularPreprocessor prep = train.preprocessor();
  prep.fit(train);
  // Reordered columns and no target column: features only.
  data::Table rows = data::parse_csv("island,flipper,mass\nDream,200,3500\n",
                                     {.target = data::no_target}, "predict.csv");
  data::TensorDataset dataset = prep.transform(rows);
  EXPECT_FALSE(dataset.targets().defined());
  expect_values(dataset.inputs(), {3500, 200, 0, 1, 0}, 1e-6);
  data::Table lacking =
      data::parse_csv("island,mass\nDream,3500\n", {.target = data::no_target}, "predict.csv");
  expect_error<ValueError>([&] { prep.transform(lacking); }, {"predict.csv", "\"flipper\""});
}

TEST(TabularPreprocessor, Errors) {
  TabularPreprocessor unfitted;
  data::Table table = data::parse_csv(kPenguins, {}, "penguins.csv");
  expect_error<ValueError>([&] { unfitted.transform(table); },
                           {"TabularPreprocessor.transform", "before fit"});
  expect_error<ValueError>([&] { unfitted.to_json(); }, {"before fit"});
  TabularPreprocessor prep;
  prep.fit(table);
  // A text value in a column that was numeric in training, with its location.
  data::Table bad =
      data::parse_csv("mass,flipper,island,species\n3000,long,Dream,Adelie\n", {}, "test.csv");
  expect_error<ValueError>([&] { prep.transform(bad); },
                           {"test.csv", "line 2", "column 2", "\"flipper\"", "\"long\""});
  data::Table unseen =
      data::parse_csv("mass,flipper,island,species\n3000,1,Dream,Emperor\n", {}, "test.csv");
  expect_error<ValueError>([&] { prep.transform(unseen); },
                           {"test.csv", "line 2", "\"Emperor\"", "not seen in training"});
  data::Table missing_label = data::parse_csv("x,y\n1,a\n2,\n", {}, "m.csv");
  expect_error<ValueError>([&] { TabularPreprocessor().fit(missing_label); },
                           {"m.csv", "line 3", "target is missing"});
  data::Table empty = data::parse_csv("x,y\n", {}, "e.csv");
  expect_error<ValueError>([&] { TabularPreprocessor().fit(empty); }, {"e.csv", "no rows"});
  data::Table unlabelled = data::parse_csv("x,y\n1,2\n", {.target = data::no_target}, "u.csv");
  expect_error<ValueError>([&] { TabularPreprocessor().fit(unlabelled); }, {"u.csv", "no target"});
}

}  // namespace
}  // namespace cajal
