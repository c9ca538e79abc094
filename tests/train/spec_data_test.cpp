// The "data" section of model specs: every source kind, preprocessing fitted on the training part
// only, augmentation for training only, the preprocessing state's round trip through
// prepare_inputs, and every error path.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "cajal/cajal.h"
#include "cajal/train/spec_data.h"
#include "support/expect_error.h"

namespace cajal::train {
namespace {

using testing::expect_error;
namespace fs = std::filesystem;

const std::string kFashion = "/usr/share/datasets/fashion-mnist";
const fs::path kFixtures = fs::path(__FILE__).parent_path() / "fixtures";

Spec make_spec(Json data, fs::path base_dir = kFixtures, std::optional<uint64_t> seed = 7) {
  Spec spec;
  spec.document = Json{{"data", std::move(data)}};
  spec.base_dir = std::move(base_dir);
  spec.seed = seed;
  return spec;
}

double max_difference(const Tensor& a, const Tensor& b) {
  EXPECT_EQ(a.shape(), b.shape());
  std::vector<double> x = to_vector<double>(a.to(Dtype::float64));
  std::vector<double> y = to_vector<double>(b.to(Dtype::float64));
  double worst = 0;
  for (size_t i = 0; i < x.size() && i < y.size(); ++i)
    worst = std::max(worst, std::abs(x[i] - y[i]));
  return worst;
}

Tensor inputs_of(const data::Dataset& dataset) {
  std::vector<Tensor> inputs;
  for (int64_t i = 0; i < dataset.size(); ++i) inputs.push_back(dataset.get(i).input);
  return stack(inputs, 0);
}

// A fresh temporary directory, removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    path_ =
        fs::temp_directory_path() /
        ("cajal_spec_data_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
         "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

// root/cat/{0,1,2}.png (dark) and root/dog/{0,1,2}.png (bright), 6x5 RGB.
void write_image_folder(const fs::path& root, uint64_t seed) {
  manual_seed(seed);
  for (const std::string& name : {std::string("cat"), std::string("dog")}) {
    fs::create_directories(root / name);
    for (int i = 0; i < 3; ++i) {
      Tensor image = rand({3, 6, 5}) * 0.5 + (name == "dog" ? 0.5 : 0.0);
      data::write_png((root / name / (std::to_string(i) + ".png")).string(), image);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Sources.

TEST(SpecData, FashionMnistWithLimit) {
  PreparedData prepared = prepare_data(make_spec({{"dataset", "fashion_mnist"}}), {.limit = 40});
  EXPECT_EQ(prepared.train->size(), 40);
  ASSERT_TRUE(prepared.test);
  EXPECT_EQ(prepared.test->size(), 40);
  EXPECT_EQ(prepared.validation, nullptr);
  EXPECT_EQ(prepared.input_shape, (Shape{1, 28, 28}));
  EXPECT_EQ(prepared.kind, "image");
  EXPECT_TRUE(prepared.classification);
  EXPECT_EQ(prepared.num_outputs, 10);
  ASSERT_EQ(prepared.class_names.size(), 10u);
  EXPECT_EQ(prepared.class_names[9], "Ankle boot");
  EXPECT_FALSE(prepared.augmentation);
  Tensor x = inputs_of(*prepared.train);
  EXPECT_GE(x.min().item<double>(), 0.0);
  EXPECT_LE(x.max().item<double>(), 1.0);
  EXPECT_EQ(class_names_of(prepared.preprocessing), prepared.class_names);
  // The "limit" key does the same as PrepareOptions::limit.
  PreparedData keyed = prepare_data(make_spec({{"dataset", "fashion_mnist"}, {"limit", 40}}));
  EXPECT_TRUE(equal(inputs_of(*keyed.train), x));
}

TEST(SpecData, IdxMatchesFashionMnist) {
  // Fashion-MNIST's (smaller) test files as the training part keep the test fast.
  Json idx{{"train_images", kFashion + "/t10k-images-idx3-ubyte.gz"},
           {"train_labels", kFashion + "/t10k-labels-idx1-ubyte.gz"}};
  PreparedData prepared = prepare_data(make_spec({{"idx", idx}}), {.limit = 20});
  data::MnistData reference = data::fashion_mnist(kFashion, {.train_limit = 1, .test_limit = 20});
  EXPECT_TRUE(equal(inputs_of(*prepared.train), reference.test.inputs()));
  EXPECT_TRUE(equal(prepared.train->targets(), reference.test.targets()));
  EXPECT_EQ(prepared.test, nullptr);
  EXPECT_EQ(prepared.input_shape, (Shape{1, 28, 28}));
  EXPECT_EQ(prepared.kind, "image");
  // Labels 0..9 seen -> classes "0".."9" unless named.
  EXPECT_EQ(prepared.class_names.front(), "0");
  EXPECT_EQ(prepared.num_outputs, 10);
}

TEST(SpecData, NormalizeFittedOnTrainOnly) {
  Spec raw_spec = make_spec({{"dataset", "fashion_mnist"}});
  Spec spec = make_spec({{"dataset", "fashion_mnist"}, {"normalize", true}});
  PreparedData raw = prepare_data(raw_spec, {.limit = 100});
  PreparedData prepared = prepare_data(spec, {.limit = 100});
  Tensor raw_train = inputs_of(*raw.train).to(Dtype::float64);
  const double mean = raw_train.mean().item<double>();
  const double deviation = cajal::std(raw_train, Dims{0, 1, 2, 3}, 0).item<double>();
  Json state = Json::parse(prepared.preprocessing);
  EXPECT_NEAR(state["image"]["normalize"]["mean"][0].get<double>(), mean, 1e-9);
  EXPECT_NEAR(state["image"]["normalize"]["std"][0].get<double>(), deviation, 1e-9);
  Tensor train = inputs_of(*prepared.train).to(Dtype::float64);
  EXPECT_NEAR(train.mean().item<double>(), 0.0, 1e-5);
  EXPECT_NEAR(cajal::std(train, Dims{0, 1, 2, 3}, 0).item<double>(), 1.0, 1e-5);
  // The test part uses the training statistics, not its own.
  Tensor expected_test = (inputs_of(*raw.test).to(Dtype::float64) - mean) / deviation;
  EXPECT_LT(max_difference(inputs_of(*prepared.test), expected_test), 1e-5);
  EXPECT_GT(std::abs(inputs_of(*prepared.test).to(Dtype::float64).mean().item<double>()), 1e-4);

  // Explicit statistics.
  PreparedData fixed = prepare_data(
      make_spec({{"dataset", "fashion_mnist"}, {"normalize", {{"mean", {0.5}}, {"std", {0.25}}}}}),
      {.limit = 10});
  Tensor expected = (inputs_of(*raw.train).narrow(0, 0, 10) - 0.5) / 0.25;
  EXPECT_LT(max_difference(inputs_of(*fixed.train), expected), 1e-6);
}

TEST(SpecData, Validation) {
  PreparedData fraction = prepare_data(
      make_spec({{"dataset", "fashion_mnist"}, {"validation_fraction", 0.2}}), {.limit = 10});
  EXPECT_DOUBLE_EQ(fraction.validation_fraction, 0.2);
  EXPECT_EQ(fraction.validation, nullptr);
  PreparedData test = prepare_data(
      make_spec({{"dataset", "fashion_mnist"}, {"validation", "test"}}), {.limit = 10});
  EXPECT_EQ(test.validation, test.test);
  EXPECT_DOUBLE_EQ(test.validation_fraction, 0);
}

TEST(SpecData, CsvClassificationAndRoundTrip) {
  Json data{{"csv", "penguins_train.csv"}, {"test_csv", "penguins_test.csv"},
            {"target", "species"},         {"task", "classification"},
            {"impute", "median"},          {"scale", "standard"}};
  PreparedData prepared = prepare_data(make_spec(data));
  EXPECT_EQ(prepared.kind, "tabular");
  EXPECT_TRUE(prepared.classification);
  EXPECT_EQ(prepared.class_names, (std::vector<std::string>{"Adelie", "Chinstrap", "Gentoo"}));
  EXPECT_EQ(prepared.num_outputs, 3);
  // bill_length, bill_depth, island=Biscoe, island=Dream, island=Torgersen.
  EXPECT_EQ(prepared.input_shape, (Shape{5}));
  EXPECT_EQ(prepared.train->size(), 16);
  EXPECT_EQ(prepared.test->size(), 4);
  // Standard scaling fitted on the training rows: their numeric columns have mean 0.
  Tensor train = inputs_of(*prepared.train).to(Dtype::float64);
  std::vector<double> column_means = to_vector<double>(mean(train, Dims{0}));
  EXPECT_NEAR(column_means[0], 0.0, 1e-6);
  EXPECT_NEAR(column_means[1], 0.0, 1e-6);

  // The checkpoint's state prepares the test file exactly as training did (target ignored).
  std::vector<std::string> names;
  Tensor inputs =
      prepare_inputs(prepared.preprocessing, {(kFixtures / "penguins_test.csv").string()}, &names);
  EXPECT_TRUE(equal(inputs, inputs_of(*prepared.test)));
  ASSERT_EQ(names.size(), 4u);
  EXPECT_NE(names[0].find("penguins_test.csv:2"), std::string::npos);
  EXPECT_EQ(class_names_of(prepared.preprocessing), prepared.class_names);

  // Without the target column.
  TempDir dir;
  {
    std::ofstream file(dir / "rows.csv");
    file << "island,bill_depth,bill_length\nDream,18.2,49.2\n";
  }
  Tensor row = prepare_inputs(prepared.preprocessing, {dir / "rows.csv"});
  EXPECT_TRUE(equal(row, inputs_of(*prepared.test).narrow(0, 1, 1)));
}

TEST(SpecData, CsvTestFractionIsStratifiedAndSeeded) {
  Json data{{"csv", "penguins_train.csv"},
            {"target", "species"},
            {"task", "classification"},
            {"test_fraction", 0.25}};
  PreparedData prepared = prepare_data(make_spec(data));
  EXPECT_EQ(prepared.train->size(), 12);
  ASSERT_TRUE(prepared.test);
  EXPECT_EQ(prepared.test->size(), 4);
  std::map<int64_t, int> counts;
  for (int64_t label : to_vector<int64_t>(prepared.test->targets())) ++counts[label];
  EXPECT_EQ(counts.size(), 3u);  // 5, 5 and 6 rows: every class gets one or two test rows
  for (auto [label, count] : counts) EXPECT_LE(count, 2) << label;
  PreparedData again = prepare_data(make_spec(data));
  EXPECT_TRUE(equal(inputs_of(*again.test), inputs_of(*prepared.test)));
  PreparedData other = prepare_data(make_spec(data, kFixtures, 8));
  EXPECT_FALSE(equal(inputs_of(*other.test), inputs_of(*prepared.test)));
}

TEST(SpecData, CsvRegression) {
  Json data{{"csv", "houses.csv"},        {"target", "price"},    {"task", "regression"},
            {"scale", "minmax"},          {"test_fraction", 0.2}, {"categorical", {"rooms"}},
            {"validation_fraction", 0.25}};
  PreparedData prepared = prepare_data(make_spec(data));
  EXPECT_FALSE(prepared.classification);
  EXPECT_TRUE(prepared.class_names.empty());
  EXPECT_EQ(prepared.num_outputs, 1);
  EXPECT_EQ(prepared.train->size(), 8);
  EXPECT_EQ(prepared.test->size(), 2);
  EXPECT_EQ(prepared.train->targets().shape(), (Shape{8, 1}));
  EXPECT_DOUBLE_EQ(prepared.validation_fraction, 0.25);
  // area is min-max scaled on the training rows: within [0, 1], both ends reached.
  Tensor area = inputs_of(*prepared.train).narrow(1, 0, 1);
  EXPECT_NEAR(area.min().item<double>(), 0.0, 1e-6);
  EXPECT_NEAR(area.max().item<double>(), 1.0, 1e-6);
  EXPECT_TRUE(class_names_of(prepared.preprocessing).empty());
}

TEST(SpecData, TaskDefaultsToTheLoss) {
  Spec spec = make_spec({{"csv", "houses.csv"}, {"target", "price"}});
  spec.document["loss"] = "mse";
  EXPECT_FALSE(prepare_data(spec).classification);
  spec = make_spec({{"csv", "penguins_train.csv"}, {"target", "species"}});
  spec.document["loss"] = "cross_entropy";
  EXPECT_TRUE(prepare_data(spec).classification);
}

TEST(SpecData, ImageFolderAndRoundTrip) {
  TempDir dir;
  write_image_folder(dir.path() / "train", 1);
  write_image_folder(dir.path() / "test", 2);
  Json data{{"image_folder", "train"},
            {"test_image_folder", "test"},
            {"size", {4, 4}},
            {"grayscale", true},
            {"normalize", true}};
  PreparedData prepared = prepare_data(make_spec(data, dir.path()));
  EXPECT_EQ(prepared.input_shape, (Shape{1, 4, 4}));
  EXPECT_EQ(prepared.class_names, (std::vector<std::string>{"cat", "dog"}));
  EXPECT_EQ(prepared.train->size(), 6);
  EXPECT_EQ(prepared.test->size(), 6);
  EXPECT_EQ(prepared.kind, "image");
  EXPECT_NEAR(inputs_of(*prepared.train).mean().item<double>(), 0.0, 1e-5);

  // A training image predicted from its file gets exactly its training input.
  std::vector<std::string> names;
  Tensor inputs = prepare_inputs(prepared.preprocessing,
                                 {dir / "train/cat/0.png", dir / "train/dog/2.png"}, &names);
  EXPECT_EQ(inputs.shape(), (Shape{2, 1, 4, 4}));
  EXPECT_TRUE(equal(inputs.narrow(0, 0, 1), prepared.train->get(0).input.unsqueeze(0)));
  EXPECT_TRUE(equal(inputs.narrow(0, 1, 1), prepared.train->get(5).input.unsqueeze(0)));
  EXPECT_EQ(names, (std::vector<std::string>{dir / "train/cat/0.png", dir / "train/dog/2.png"}));

  // test_fraction instead of a test folder; limit.
  PreparedData split =
      prepare_data(make_spec({{"image_folder", "train"}, {"test_fraction", 0.5}}, dir.path()));
  EXPECT_EQ(split.train->size(), 3);
  EXPECT_EQ(split.test->size(), 3);
  EXPECT_EQ(split.input_shape, (Shape{3, 6, 5}));
  PreparedData limited =
      prepare_data(make_spec({{"image_folder", "train"}}, dir.path()), {.limit = 2});
  EXPECT_EQ(limited.train->size(), 2);
}

TEST(SpecData, FashionMnistRoundTripThroughPng) {
  PreparedData raw = prepare_data(make_spec({{"dataset", "fashion_mnist"}}), {.limit = 3});
  PreparedData prepared =
      prepare_data(make_spec({{"dataset", "fashion_mnist"}, {"normalize", true}}), {.limit = 3});
  TempDir dir;
  data::write_png(dir / "shoe.png", raw.train->get(0).input);
  Tensor input = prepare_inputs(prepared.preprocessing, {dir / "shoe.png"});
  EXPECT_TRUE(equal(input, prepared.train->get(0).input.unsqueeze(0)));
}

TEST(SpecData, Npy) {
  TempDir dir;
  manual_seed(3);
  Tensor x = randn({10, 3});
  Tensor labels = tensor({0, 1, 2, 0, 1, 2, 0, 1, 2, 2}, {.dtype = Dtype::int64});
  data::write_npy(dir / "x.npy", x);
  data::write_npy(dir / "y.npy", labels);
  data::write_npy(dir / "values.npy", randn({10}));
  Json files{{"train_inputs", "x.npy"}, {"train_targets", "y.npy"}};
  PreparedData prepared = prepare_data(make_spec(
      {{"npy", files}, {"task", "classification"}, {"class_names", {"a", "b", "c"}}}, dir.path()));
  EXPECT_EQ(prepared.kind, "tabular");
  EXPECT_EQ(prepared.input_shape, (Shape{3}));
  EXPECT_EQ(prepared.class_names, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(prepared.test, nullptr);
  EXPECT_TRUE(equal(inputs_of(*prepared.train), x));
  EXPECT_TRUE(equal(prepared.train->targets(), labels));

  // Already-prepared inputs pass through: [N, 3] and a single [3] example.
  data::write_npy(dir / "one.npy", x.select(0, 4));
  std::vector<std::string> names;
  Tensor inputs = prepare_inputs(prepared.preprocessing, {dir / "x.npy", dir / "one.npy"}, &names);
  EXPECT_EQ(inputs.shape(), (Shape{11, 3}));
  EXPECT_TRUE(equal(inputs.narrow(0, 10, 1), x.narrow(0, 4, 1)));
  EXPECT_EQ(names.size(), 11u);
  EXPECT_EQ(names[10], dir / "one.npy");

  // Regression targets [N] become [N, 1].
  PreparedData regression =
      prepare_data(make_spec({{"npy", {{"train_inputs", "x.npy"}, {"train_targets", "values.npy"}}},
                              {"task", "regression"},
                              {"test_fraction", 0.3}},
                             dir.path()));
  EXPECT_FALSE(regression.classification);
  EXPECT_EQ(regression.train->size(), 7);
  EXPECT_EQ(regression.test->size(), 3);
  EXPECT_EQ(regression.num_outputs, 1);
  EXPECT_EQ(regression.train->get(0).target.shape(), (Shape{1}));

  // 4-D inputs are images: augmentation allowed.
  data::write_npy(dir / "images.npy", rand({4, 1, 8, 8}));
  data::write_npy(dir / "y4.npy", labels.narrow(0, 0, 4));
  PreparedData images = prepare_data(
      make_spec({{"npy", {{"train_inputs", "images.npy"}, {"train_targets", "y4.npy"}}},
                 {"task", "classification"},
                 {"augmentation", {{{"type", "random_horizontal_flip"}}}}},
                dir.path()));
  EXPECT_EQ(images.kind, "image");
  EXPECT_EQ(images.input_shape, (Shape{1, 8, 8}));
  EXPECT_TRUE(images.augmentation);
}

TEST(SpecData, AugmentationOnlyForTraining) {
  Json augmentation =
      Json::array({{{"type", "random_crop"}, {"padding", 2}, {"padding_mode", "reflect"}},
                   {{"type", "random_horizontal_flip"}, {"p", 0.5}},
                   {{"type", "random_translation"}, {"height_factor", 0.1}, {"width_factor", 0.1}},
                   {{"type", "random_rotation"}, {"degrees", 10}},
                   {{"type", "random_erasing"}, {"p", 1}, {"value", 0.5}, {"scale", {0.1, 0.2}}}});
  PreparedData raw = prepare_data(make_spec({{"dataset", "fashion_mnist"}}), {.limit = 5});
  PreparedData prepared = prepare_data(
      make_spec({{"dataset", "fashion_mnist"}, {"augmentation", augmentation}}), {.limit = 5});
  ASSERT_TRUE(prepared.augmentation);
  // The datasets themselves are not augmented (fit applies the transform to training batches).
  EXPECT_TRUE(equal(inputs_of(*prepared.train), inputs_of(*raw.train)));
  EXPECT_TRUE(equal(inputs_of(*prepared.test), inputs_of(*raw.test)));
  Generator generator(11);
  data::ScopedGenerator scope(generator);
  data::Example example = prepared.train->get(0);
  data::Example augmented = prepared.augmentation(example);
  EXPECT_EQ(augmented.input.shape(), (Shape{1, 28, 28}));
  EXPECT_FALSE(equal(augmented.input, example.input));  // erasing with p = 1 always changes it
  EXPECT_TRUE(equal(augmented.target, example.target));
}

// ---------------------------------------------------------------------------------------------
// Errors.

void expect_spec_error(const Json& data, const std::vector<std::string>& parts,
                       fs::path base = kFixtures) {
  SCOPED_TRACE(data.dump());
  expect_error<SpecError>([&] { prepare_data(make_spec(data, base), {.limit = 5}); }, parts);
}

TEST(SpecData, SpecErrors) {
  const Json fashion = "fashion_mnist";
  expect_spec_error(Json::object(),
                    {"/data: expected exactly one of dataset, idx, csv, image_folder, npy"});
  expect_spec_error({{"dataset", fashion}, {"csv", "x.csv"}}, {"/data: expected exactly one of"});
  expect_spec_error({{"dataset", fashion}, {"validation_fraction", 2}},
                    {"/data/validation_fraction", "2"});
  expect_spec_error({{"dataset", fashion}, {"validation_fraction", 0}},
                    {"/data/validation_fraction"});
  expect_spec_error({{"dataset", fashion}, {"validaton_fraction", 0.1}},
                    {"/data", "validaton_fraction"});
  expect_spec_error({{"dataset", "cifar"}}, {"/data/dataset", "cifar"});
  expect_spec_error({{"dataset", "mnist"}}, {"/data/path", "missing"});
  expect_spec_error({{"idx", {{"train_images", "a"}}}}, {"/data/idx/train_labels", "missing"});
  expect_spec_error({{"idx", {{"train_images", "a"}, {"train_labels", "b"}, {"test_images", "c"}}}},
                    {"/data/idx", "test_images and test_labels"});
  expect_spec_error({{"idx", {{"train_images", "a"}, {"train_labels", "b"}, {"extra", 1}}}},
                    {"/data/idx", "extra"});
  expect_spec_error({{"csv", "houses.csv"}, {"task", "clustering"}}, {"/data/task", "clustering"});
  expect_spec_error({{"csv", "houses.csv"}, {"scale", "log"}}, {"/data/scale", "log"});
  expect_spec_error({{"csv", "houses.csv"}, {"impute", 3}}, {"/data/impute"});
  expect_spec_error({{"csv", "houses.csv"}, {"delimiter", ";;"}}, {"/data/delimiter", ";;"});
  expect_spec_error({{"csv", "houses.csv"}, {"test_csv", "houses.csv"}, {"test_fraction", 0.2}},
                    {"/data/test_fraction"});
  expect_spec_error({{"csv", "houses.csv"}, {"augmentation", Json::array()}},
                    {"/data/augmentation", "only for image data"});
  expect_spec_error({{"csv", "houses.csv"}, {"normalize", true}},
                    {"/data/normalize", "only for image data"});
  expect_spec_error({{"csv", "houses.csv"}, {"validation", "test"}, {"task", "regression"}},
                    {"/data/validation", "test part"});
  expect_spec_error({{"dataset", fashion}, {"validation", "train"}}, {"/data/validation", "train"});
  expect_spec_error({{"dataset", fashion}, {"validation", "test"}, {"validation_fraction", 0.1}},
                    {"/data/validation"});
  expect_spec_error({{"dataset", fashion}, {"limit", -1}}, {"/data/limit", "-1"});
  expect_spec_error({{"dataset", fashion}, {"normalize", "yes"}}, {"/data/normalize"});
  expect_spec_error({{"dataset", fashion}, {"normalize", {{"mean", {0.5}}}}},
                    {"/data/normalize/std", "missing"});
  expect_spec_error({{"dataset", fashion}, {"normalize", {{"mean", {0.5}}, {"std", {0}}}}},
                    {"/data/normalize/std"});

  expect_spec_error({{"dataset", fashion}, {"augmentation", {{"type", "flip"}}}},
                    {"/data/augmentation"});
  expect_spec_error({{"dataset", fashion}, {"augmentation", {{{"type", "mixup"}}}}},
                    {"/data/augmentation/0/type", "mixup"});
  expect_spec_error(
      {{"dataset", fashion}, {"augmentation", {{{"type", "random_erasing"}, {"p", 2}}}}},
      {"/data/augmentation/0/p", "2"});
  expect_spec_error(
      {{"dataset", fashion}, {"augmentation", {{{"type", "random_crop"}, {"padding", {1, 2, 3}}}}}},
      {"/data/augmentation/0/padding"});
  expect_spec_error({{"dataset", fashion},
                     {"augmentation", {{{"type", "random_rotation"}, {"degrees", {10, -10}}}}}},
                    {"/data/augmentation/0/degrees"});
  expect_spec_error({{"dataset", fashion}, {"augmentation", {{{"type", "random_rotation"}}}}},
                    {"/data/augmentation/0/degrees", "missing"});
  expect_spec_error(
      {{"dataset", fashion}, {"augmentation", {{{"type", "random_erasing"}, {"value", "noise"}}}}},
      {"/data/augmentation/0/value", "random"});
  expect_spec_error(
      {{"dataset", fashion}, {"augmentation", {{{"type", "random_horizontal_flip"}, {"q", 1}}}}},
      {"/data/augmentation/0", "q"});
  expect_spec_error({{"dataset", fashion}, {"class_names", {"a", "b"}}},
                    {"/data/class_names", "expected 10 names, got 2"});

  // Augmentation and normalization on non-image NPY inputs.
  TempDir dir;
  data::write_npy(dir / "x.npy", zeros({4, 3}));
  data::write_npy(dir / "y.npy", tensor({0, 1, 0, 1}, {.dtype = Dtype::int64}));
  Json npy{{"train_inputs", "x.npy"}, {"train_targets", "y.npy"}};
  expect_spec_error({{"npy", npy},
                     {"task", "classification"},
                     {"augmentation", {{{"type", "random_horizontal_flip"}}}}},
                    {"/data/augmentation", "only for image data", "[3]"}, dir.path());
  expect_spec_error({{"npy", npy}, {"task", "classification"}, {"class_names", {"a"}}},
                    {"/data/class_names", "1 names"}, dir.path());
  // Checks that need the input shape, on small NPY images [1, 8, 8].
  data::write_npy(dir / "images.npy", zeros({4, 1, 8, 8}));
  Json images{{"npy", {{"train_inputs", "images.npy"}, {"train_targets", "y.npy"}}},
              {"task", "classification"}};
  Json with_normalize = images;
  with_normalize["normalize"] = {{"mean", {0.5, 0.5}}, {"std", {1, 1}}};
  expect_spec_error(with_normalize, {"/data/normalize/mean", "expected 1 or 1 values", "got 2"},
                    dir.path());
  Json with_crop = images;
  with_crop["augmentation"] = {{{"type", "random_crop"}, {"size", 6}}};
  expect_spec_error(with_crop, {"/data/augmentation/0/size", "[8, 8]", "[6, 6]"}, dir.path());

  // No data section at all.
  Spec empty;
  empty.document = Json::object();
  expect_error<SpecError>([&] { prepare_data(empty); }, {"/data", "missing"});
}

TEST(SpecData, FileErrors) {
  TempDir dir;
  expect_error<IOError>(
      [&] {
        prepare_data(make_spec({{"csv", "missing.csv"}, {"task", "regression"}}, dir.path()));
      },
      {"missing.csv"});
  expect_error<IOError>(
      [&] {
        prepare_data(make_spec({{"dataset", "mnist"}, {"path", "nowhere"}}, dir.path()));
      },
      {"nowhere"});
  {
    std::ofstream file(dir / "bad.npy");
    file << "not an npy file";
  }
  data::write_npy(dir / "y.npy", tensor({0, 1}, {.dtype = Dtype::int64}));
  expect_error<IOError>(
      [&] {
        prepare_data(make_spec({{"npy", {{"train_inputs", "bad.npy"}, {"train_targets", "y.npy"}}},
                                {"task", "classification"}},
                               dir.path()));
      },
      {"bad.npy"});
  data::write_npy(dir / "x.npy", zeros({3, 2}));
  expect_error<ValueError>(
      [&] {
        prepare_data(make_spec({{"npy", {{"train_inputs", "x.npy"}, {"train_targets", "y.npy"}}},
                                {"task", "classification"}},
                               dir.path()));
      },
      {"y.npy", "[2]", "3"});
  data::write_npy(dir / "fractional.npy", tensor({0.5, 1.0, 2.0}));
  expect_error<ValueError>(
      [&] {
        prepare_data(
            make_spec({{"npy", {{"train_inputs", "x.npy"}, {"train_targets", "fractional.npy"}}},
                       {"task", "classification"}},
                      dir.path()));
      },
      {"fractional.npy", "not a class index"});
  expect_error<IOError>(
      [&] {
        prepare_data(make_spec({{"idx", {{"train_images", "bad.npy"}, {"train_labels", "y.npy"}}}},
                               dir.path()));
      },
      {"bad.npy"});
  expect_error<IOError>(
      [&] {
        prepare_data(make_spec({{"image_folder", "photos"}}, dir.path()));
      },
      {"photos"});
  write_image_folder(dir.path() / "train", 1);
  fs::create_directories(dir.path() / "test/bird");
  data::write_png(dir / "test/bird/0.png", zeros({3, 6, 5}));
  expect_error<ValueError>(
      [&] {
        prepare_data(
            make_spec({{"image_folder", "train"}, {"test_image_folder", "test"}}, dir.path()));
      },
      {"test", "class folders differ"});
}

TEST(SpecData, PrepareInputsErrors) {
  TempDir dir;
  PreparedData images = prepare_data(make_spec({{"dataset", "fashion_mnist"}}), {.limit = 2});
  PreparedData rows =
      prepare_data(make_spec({{"csv", "houses.csv"}, {"target", "price"}, {"task", "regression"}}));
  data::write_png(dir / "a.png", zeros({1, 28, 28}));
  data::write_npy(dir / "wrong.npy", zeros({2, 27, 28}));
  {
    std::ofstream file(dir / "rows.csv");
    file << "area,city\n50,north\n";
  }
  expect_error<ValueError>([&] { prepare_inputs(images.preprocessing, {dir / "a.txt"}); },
                           {"a.txt", "unsupported file type"});
  expect_error<ValueError>([&] { prepare_inputs(images.preprocessing, {}); }, {"no input files"});
  expect_error<ValueError>([&] { prepare_inputs(rows.preprocessing, {dir / "a.png"}); },
                           {"a.png", "tabular"});
  expect_error<ValueError>([&] { prepare_inputs(images.preprocessing, {dir / "rows.csv"}); },
                           {"rows.csv", "not trained on CSV"});
  expect_error<ValueError>([&] { prepare_inputs(rows.preprocessing, {dir / "rows.csv"}); },
                           {"rooms"});  // a training feature column is missing
  expect_error<ValueError>([&] { prepare_inputs(images.preprocessing, {dir / "wrong.npy"}); },
                           {"wrong.npy", "[1, 28, 28]", "[2, 27, 28]"});
  expect_error<IOError>([&] { prepare_inputs(images.preprocessing, {dir / "none.png"}); },
                        {"none.png"});
  expect_error<ValueError>([&] { prepare_inputs("{oops", {dir / "a.png"}); }, {"preprocessing"});
  expect_error<ValueError>([&] { class_names_of("[]"); }, {"preprocessing"});
  EXPECT_EQ(prepare_inputs(images.preprocessing, {dir / "a.png"}).shape(), (Shape{1, 1, 28, 28}));
}

}  // namespace
}  // namespace cajal::train
