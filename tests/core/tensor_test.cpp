#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <thread>
#include <vector>

#include "cajal/cajal.h"
#include "support/golden.h"

namespace cajal {
namespace {

TEST(Tensor, DefaultIsUndefinedAndSaysSo) {
  Tensor t;
  EXPECT_FALSE(t.defined());
  try {
    (void)t.shape();
    FAIL() << "expected an error";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("undefined"), std::string::npos);
  }
}

TEST(Tensor, StorageIs64ByteAligned) {
  for (int64_t n : {1, 3, 17, 1000}) {
    Tensor t = empty({n}, Dtype::uint8);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(t.raw_data()) % 64, 0u) << n;
  }
}

// Small storages are recycled per thread (src/core/storage.cpp). Reuse must keep the accounting
// of live bytes exact, hand out aligned blocks of the right size, and survive blocks that are
// allocated on one thread and freed on another.
TEST(Tensor, RecycledSmallStoragesKeepTheAccountsAndAlignment) {
  const int64_t before = Storage::live_bytes();
  for (int round = 0; round < 3; ++round) {
    std::vector<Tensor> held;
    for (int64_t n : {1, 15, 16, 17, 100, 1000, 1024, 5000}) {
      held.push_back(full({n}, static_cast<double>(n)));
      EXPECT_EQ(reinterpret_cast<uintptr_t>(held.back().raw_data()) % 64, 0u) << n;
    }
    EXPECT_EQ(Storage::live_bytes() - before, 4 * (1 + 15 + 16 + 17 + 100 + 1000 + 1024 + 5000));
    // Every block, recycled or not, holds what was written into it.
    for (const Tensor& t : held) {
      for (float v : to_vector<float>(t)) ASSERT_EQ(v, static_cast<float>(t.numel()));
    }
  }
  EXPECT_EQ(Storage::live_bytes(), before);

  std::vector<Tensor> made_elsewhere;
  std::thread worker([&] {
    for (int i = 0; i < 200; ++i) made_elsewhere.push_back(ones({i % 50 + 1}));
  });
  worker.join();
  EXPECT_EQ(sum(made_elsewhere[199]).item<double>(), 50.0);
  made_elsewhere.clear();  // freed on this thread: the blocks join this thread's cache
  EXPECT_EQ(Storage::live_bytes(), before);
}

TEST(Tensor, MetadataOfAFreshTensor) {
  Tensor t = zeros({2, 3, 4});
  EXPECT_EQ(t.dtype(), Dtype::float32);
  EXPECT_EQ(t.dim(), 3);
  EXPECT_EQ(t.numel(), 24);
  EXPECT_EQ(t.shape(), (Shape{2, 3, 4}));
  EXPECT_EQ(t.strides(), (Shape{12, 4, 1}));
  EXPECT_EQ(t.size(-1), 4);
  EXPECT_TRUE(t.is_contiguous());
  EXPECT_THROW(t.size(3), IndexError);
}

TEST(Tensor, ItemAndElementAccess) {
  Tensor t = tensor({{1, 2, 3}, {4, 5, 6}});
  EXPECT_EQ(t.at<float>({1, 2}), 6.0f);
  EXPECT_EQ(t.at<float>({-1, 0}), 4.0f);
  t.at<float>({0, 0}) = 10;
  EXPECT_EQ(t.select(0, 0).select(0, 0).item<float>(), 10.0f);
  EXPECT_THROW(t.at<float>({2, 0}), IndexError);
  EXPECT_THROW(t.at<float>({0}), IndexError);
  EXPECT_THROW(t.at<double>({0, 0}), ValueError);  // wrong element type
  EXPECT_THROW(t.item(), ValueError);              // more than one element
}

TEST(Tensor, DtypeConversion) {
  Tensor f = tensor({1.5, -2.5, 0});
  Tensor i = f.to(Dtype::int64);
  EXPECT_EQ(i.dtype(), Dtype::int64);
  EXPECT_EQ(to_vector<int64_t>(i), (std::vector<int64_t>{1, -2, 0}));
  Tensor b = f.to(Dtype::bool_);
  EXPECT_EQ(to_vector<int64_t>(b), (std::vector<int64_t>{1, 1, 0}));
  Tensor u = tensor({255, 0, 7}, {.dtype = Dtype::uint8});
  EXPECT_EQ(to_vector<double>(u.to(Dtype::float64)), (std::vector<double>{255, 0, 7}));
}

TEST(Tensor, ViewsShareStorage) {
  Tensor t = arange(12, {.dtype = Dtype::float32}).reshape({3, 4});
  Tensor v = t.transpose(0, 1);
  EXPECT_EQ(v.shape(), (Shape{4, 3}));
  EXPECT_FALSE(v.is_contiguous());
  EXPECT_EQ(v.storage().get(), t.storage().get());
  v.at<float>({3, 2}) = -1;
  EXPECT_EQ(t.at<float>({2, 3}), -1.0f);
  Tensor s = t.slice(1, 1, 4, 2);  // columns 1 and 3
  EXPECT_EQ(s.shape(), (Shape{3, 2}));
  EXPECT_EQ(to_vector<float>(s), (std::vector<float>{1, 3, 5, 7, 9, -1}));
  Tensor e = tensor({1, 2}).reshape({2, 1}).expand({2, 3});
  EXPECT_EQ(e.strides(), (Shape{1, 0}));
  EXPECT_EQ(to_vector<float>(e), (std::vector<float>{1, 1, 1, 2, 2, 2}));
  Tensor c = v.contiguous();
  EXPECT_TRUE(c.is_contiguous());
  EXPECT_NE(c.storage().get(), t.storage().get());
  Tensor cl = t.clone();
  cl.at<float>({0, 0}) = 100;
  EXPECT_EQ(t.at<float>({0, 0}), 0.0f);
}

TEST(Tensor, ViewOfNonContiguousNeedsReshape) {
  Tensor t = zeros({3, 4}).transpose(0, 1);
  try {
    t.view({12});
    FAIL() << "expected ShapeError";
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("reshape"), std::string::npos) << e.what();
  }
  EXPECT_EQ(t.reshape({12}).shape(), (Shape{12}));
  EXPECT_EQ(t.reshape({-1, 2}).shape(), (Shape{6, 2}));
  EXPECT_THROW(t.reshape({5, -1}), ShapeError);
  EXPECT_THROW(t.reshape({-1, -1}), ShapeError);
}

TEST(Tensor, SqueezeUnsqueezeFlatten) {
  Tensor t = zeros({2, 1, 3, 1});
  EXPECT_EQ(t.squeeze().shape(), (Shape{2, 3}));
  EXPECT_EQ(t.squeeze(1).shape(), (Shape{2, 3, 1}));
  EXPECT_EQ(t.squeeze(0).shape(), (Shape{2, 1, 3, 1}));
  EXPECT_EQ(t.unsqueeze(-1).shape(), (Shape{2, 1, 3, 1, 1}));
  EXPECT_EQ(t.flatten().shape(), (Shape{6}));
  EXPECT_EQ(t.flatten(1).shape(), (Shape{2, 3}));
  EXPECT_EQ(t.flatten(0, 2).shape(), (Shape{6, 1}));
  EXPECT_EQ(zeros({2, 12}).unflatten(1, {3, -1}).shape(), (Shape{2, 3, 4}));
  EXPECT_THROW(zeros({2, 12}).unflatten(1, {5, 2}), ShapeError);
  EXPECT_THROW(t.unsqueeze(6), IndexError);
}

TEST(Tensor, PermuteAndErrors) {
  Tensor t = zeros({2, 3, 4});
  EXPECT_EQ(t.permute({2, 0, 1}).shape(), (Shape{4, 2, 3}));
  EXPECT_THROW(t.permute({0, 1}), ShapeError);
  EXPECT_THROW(t.permute({0, 0, 1}), ValueError);
  EXPECT_THROW(t.transpose(0, 3), IndexError);
  EXPECT_THROW(t.select(1, 3), IndexError);
  EXPECT_THROW(t.narrow(2, 2, 3), IndexError);
  EXPECT_THROW(t.expand({2, 5, 4}), ShapeError);
}

TEST(Tensor, InPlaceRefusedOnTensorsThatRequireGrad) {
  Tensor w = ones({3}, {.requires_grad = true});
  EXPECT_THROW(w.add_(ones({3})), ValueError);
  {
    no_grad guard;
    w.add_(ones({3}), 2);
  }
  EXPECT_EQ(to_vector<float>(w), (std::vector<float>{3, 3, 3}));
}

TEST(Tensor, InPlaceRefusesResultsThatDoNotFitTheTarget) {
  Tensor i = tensor({7, 9}, {.dtype = Dtype::int64});
  EXPECT_THROW(i.mul_(0.5), ValueError);
  EXPECT_THROW(i.add_(tensor({0.6, 0.6})), ValueError);
  EXPECT_THROW(i.div_(2), ValueError);  // true division gives floats
  EXPECT_THROW(i.div_(tensor({0, 1}, {.dtype = Dtype::int64})), ValueError);
  EXPECT_THROW(i.add_(i, 0.5), ValueError);
  i.mul_(2);
  EXPECT_EQ(to_vector<int64_t>(i), (std::vector<int64_t>{14, 18}));
  Tensor f = zeros({2});
  f.copy_(tensor({3, 4}, {.dtype = Dtype::int64}));  // copy_ converts, as in PyTorch
  EXPECT_EQ(to_vector<float>(f), (std::vector<float>{3, 4}));
}

TEST(Tensor, InPlaceIntoAnExpandedViewIsRefused) {
  Tensor e = zeros({1}).expand({4});
  try {
    e.add_(tensor({1, 2, 3, 4}));
    FAIL() << "expected ValueError";
  } catch (const ValueError& err) {
    EXPECT_NE(std::string(err.what()).find("expanded"), std::string::npos) << err.what();
  }
}

TEST(Tensor, InPlaceFromAnOverlappingViewReadsTheOldValues) {
  Tensor t = tensor({1, 2, 3, 4});
  t.slice(0, 1, std::nullopt).copy_(t.slice(0, 0, -1));
  EXPECT_EQ(to_vector<float>(t), (std::vector<float>{1, 1, 2, 3}));
  Tensor u = tensor({1, 2, 3, 4});
  u.slice(0, 1, std::nullopt).add_(u.slice(0, 0, -1));
  EXPECT_EQ(to_vector<float>(u), (std::vector<float>{1, 3, 5, 7}));
}

TEST(Tensor, ModifyingASavedTensorInPlaceMakesBackwardRefuse) {
  Tensor w = full({}, 1.0, {.requires_grad = true});
  Tensor x = full({}, 3.0);
  Tensor y = w * x;  // saves x for dy/dw
  x.add_(full({}, 100.0));
  try {
    y.backward();
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("modified in place"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("mul"), std::string::npos) << e.what();
  }
  // Modifying after backward is fine, and so is a clone.
  Tensor x2 = full({}, 3.0);
  Tensor y2 = w * x2;
  x2.clone().add_(full({}, 100.0));
  y2.backward();
  EXPECT_FLOAT_EQ(w.grad().item<float>(), 3.0f);
  // An op that saved its output (exp) notices when that output changes.
  Tensor z = exp(w);
  {
    no_grad guard;
    z.detach().mul_(2);
  }
  EXPECT_THROW(z.backward(), Error);
}

TEST(Tensor, RequiresGradOnlyForFloatingPoint) {
  Tensor i = zeros({2}, {.dtype = Dtype::int64});
  EXPECT_THROW(i.requires_grad_(), ValueError);
}

TEST(Printing, SmallFloatTensorLooksLikePyTorch) {
  EXPECT_EQ(to_string(tensor({{1.5, -2}, {0.25, 3}})),
            "tensor([[ 1.5000, -2.0000],\n"
            "        [ 0.2500,  3.0000]])");
  EXPECT_EQ(to_string(tensor({1, 2, 3})), "tensor([1., 2., 3.])");
  EXPECT_EQ(to_string(tensor({1, 2}, {.dtype = Dtype::int64})), "tensor([1, 2], dtype=int64)");
  EXPECT_EQ(to_string(tensor({1, 0}, {.dtype = Dtype::bool_})),
            "tensor([ True, False], dtype=bool)");
  EXPECT_EQ(to_string(full({}, 2.5, {.dtype = Dtype::float64})), "tensor(2.5000, dtype=float64)");
  EXPECT_EQ(to_string(zeros({0, 3})), "tensor([], shape=[0, 3])");
  EXPECT_EQ(to_string(ones({2}, {.requires_grad = true})), "tensor([1., 1.], requires_grad=True)");
}

TEST(Printing, NonFiniteValues) {
  EXPECT_EQ(to_string(tensor({NAN, INFINITY, 1.5})), "tensor([   nan,    inf, 1.5000])");
  EXPECT_EQ(to_string(tensor({-INFINITY, 2})), "tensor([-inf, 2.])");
}

TEST(Printing, BigTensorsElideTheMiddle) {
  std::string s = to_string(arange(2000).reshape({40, 50}));
  EXPECT_NE(s.find("..."), std::string::npos);
  EXPECT_NE(s.find("shape=[40, 50]"), std::string::npos);
  EXPECT_NE(s.find("1999."), std::string::npos);
  EXPECT_EQ(s.find("1000."), std::string::npos);  // from the elided middle
  EXPECT_LT(s.size(), 1000u);
}

TEST(Creation, ValuesAndShapes) {
  EXPECT_EQ(to_vector<int64_t>(arange(5, {.dtype = Dtype::int64})),
            (std::vector<int64_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(to_vector<double>(arange(1, 2, 0.25, {.dtype = Dtype::float64})),
            (std::vector<double>{1, 1.25, 1.5, 1.75}));
  EXPECT_EQ(to_vector<double>(arange(5, 0, -2, {.dtype = Dtype::float64})),
            (std::vector<double>{5, 3, 1}));
  EXPECT_EQ(to_vector<double>(linspace(0, 1, 5, {.dtype = Dtype::float64})),
            (std::vector<double>{0, 0.25, 0.5, 0.75, 1}));
  EXPECT_EQ(to_vector<float>(eye(2, 3)), (std::vector<float>{1, 0, 0, 0, 1, 0}));
  EXPECT_EQ(to_vector<float>(full({2}, 7)), (std::vector<float>{7, 7}));
  EXPECT_EQ(ones_like(zeros({2, 2}, {.dtype = Dtype::float64})).dtype(), Dtype::float64);
  EXPECT_EQ(from_vector(std::vector<int64_t>{1, 2, 3, 4}, {2, 2}).dtype(), Dtype::int64);
  EXPECT_THROW(from_vector(std::vector<float>{1, 2, 3}, {2, 2}), ShapeError);
  EXPECT_THROW(tensor({{1, 2}, {3}}), ShapeError);
  EXPECT_THROW(zeros({2, -1}), ShapeError);
  EXPECT_THROW(arange(0, 5, 0), ValueError);
  EXPECT_THROW(arange(0, 5, -1), ValueError);
  EXPECT_THROW(randint(3, 3, {2}), ValueError);
  EXPECT_THROW(bernoulli({2}, 1.5), ValueError);
}

TEST(Random, SameSeedSameNumbers) {
  manual_seed(42);
  Tensor a = randn({100});
  Tensor b = rand({10});
  Tensor c = randint(0, 10, {10});
  manual_seed(42);
  EXPECT_TRUE(equal(a, randn({100})));
  EXPECT_TRUE(equal(b, rand({10})));
  EXPECT_TRUE(equal(c, randint(0, 10, {10})));
  manual_seed(43);
  EXPECT_FALSE(equal(a, randn({100})));
}

TEST(Random, DistributionsHaveTheRightMoments) {
  manual_seed(0);
  std::vector<double> n = to_vector<double>(randn({200000}, {.dtype = Dtype::float64}));
  double mean = 0, sq = 0;
  for (double v : n) {
    mean += v;
    sq += v * v;
  }
  mean /= n.size();
  double var = sq / n.size() - mean * mean;
  EXPECT_NEAR(mean, 0, 0.01);
  EXPECT_NEAR(var, 1, 0.01);
  std::vector<float> u = to_vector<float>(rand({200000}));
  double umean = 0;
  for (float v : u) {
    ASSERT_GE(v, 0.0f);
    ASSERT_LT(v, 1.0f);
    umean += v;
  }
  EXPECT_NEAR(umean / u.size(), 0.5, 0.005);
  std::vector<int64_t> r = to_vector<int64_t>(randint(-3, 4, {70000}));
  std::vector<int> counts(7);
  for (int64_t v : r) {
    ASSERT_GE(v, -3);
    ASSERT_LT(v, 4);
    ++counts[v + 3];
  }
  for (int c : counts) EXPECT_NEAR(c, 10000, 500);
  std::vector<float> b = to_vector<float>(bernoulli({100000}, 0.3));
  double ones_seen = 0;
  for (float v : b) ones_seen += v;
  EXPECT_NEAR(ones_seen / b.size(), 0.3, 0.01);
  std::vector<int64_t> p = to_vector<int64_t>(randperm(50));
  std::sort(p.begin(), p.end());
  for (int64_t i = 0; i < 50; ++i) EXPECT_EQ(p[i], i);
}

TEST(Random, MultinomialDrawsInProportionToTheWeights) {
  manual_seed(3);
  // Weights need not sum to one: 1:2:0:5 -> probabilities 1/8, 2/8, 0, 5/8.
  Tensor draws = multinomial(tensor({1, 2, 0, 5}), 80000, /*replacement=*/true);
  ASSERT_EQ(draws.shape(), (Shape{80000}));
  std::vector<int64_t> counts(4, 0);
  for (int64_t d : to_vector<int64_t>(draws)) counts[d]++;
  EXPECT_EQ(counts[2], 0);
  EXPECT_NEAR(counts[0] / 80000.0, 0.125, 0.01);
  EXPECT_NEAR(counts[1] / 80000.0, 0.25, 0.01);
  EXPECT_NEAR(counts[3] / 80000.0, 0.625, 0.01);

  // Without replacement every row draws each non-zero category once.
  Tensor rows = multinomial(tensor({{0, 1, 1, 1}, {4, 0, 2, 1}}), 3);
  ASSERT_EQ(rows.shape(), (Shape{2, 3}));
  std::vector<int64_t> values = to_vector<int64_t>(rows);
  std::vector<int64_t> first(values.begin(), values.begin() + 3);
  std::vector<int64_t> second(values.begin() + 3, values.end());
  std::sort(first.begin(), first.end());
  std::sort(second.begin(), second.end());
  EXPECT_EQ(first, (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(second, (std::vector<int64_t>{0, 2, 3}));

  EXPECT_THROW(multinomial(tensor({1, -1}), 1), ValueError);
  EXPECT_THROW(multinomial(tensor({0, 0}), 1), ValueError);
  EXPECT_THROW(multinomial(tensor({1, 0}), 2), ValueError);
  EXPECT_THROW(multinomial(tensor({1, 1}), 0), ValueError);
  EXPECT_THROW(multinomial(zeros({2, 2, 2}), 1), ShapeError);
  EXPECT_THROW(multinomial(tensor({1, std::nan("")}), 1), ValueError);
}

// Elementwise loops collapse dims on the stack up to 8 dims and through collapse_dims beyond:
// both give what the same op gives on the data reshaped to 2-D.
TEST(Elementwise, HighRankBroadcastAndTransposedOperands) {
  for (int64_t rank : {2, 8, 9, 11}) {
    Shape shape(rank, 1);
    shape[0] = 3;
    shape[rank - 1] = 5;
    Tensor a = arange(15, {.dtype = Dtype::float64}).reshape({5, 3}).t().reshape(shape);
    Shape row(rank, 1);
    row[rank - 1] = 5;
    Tensor b = arange(5, {.dtype = Dtype::float64}).reshape(row);
    Tensor flat = (a + b * 10).reshape({3, 5});
    Tensor a2 = arange(15, {.dtype = Dtype::float64}).reshape({5, 3}).t();
    Tensor expected = a2 + arange(5, {.dtype = Dtype::float64}).reshape({1, 5}) * 10;
    EXPECT_EQ(to_vector<double>(flat), to_vector<double>(expected)) << "rank " << rank;
    Tensor copied = empty(shape, Dtype::float32);
    copied.copy_(a.transpose(0, rank - 1).transpose(0, rank - 1));
    EXPECT_EQ(to_vector<float>(copied.reshape({3, 5})),
              to_vector<float>(a2.contiguous().to(Dtype::float32)));
  }
}

TEST(Threads, SetAndGet) {
  int before = get_num_threads();
  set_num_threads(1);
  EXPECT_EQ(get_num_threads(), 1);
  set_num_threads(before);
  EXPECT_EQ(get_num_threads(), before);
  EXPECT_THROW(set_num_threads(0), ValueError);
}

// A 0-dim tensor has no sizes or strides: asking for one is an IndexError, not a read past the
// end of an empty shape.
TEST(Tensor, SizeOfAZeroDimTensorIsAnIndexError) {
  Tensor scalar = tensor({3.0f}).reshape({});
  for (int64_t d : {0, -1}) {
    EXPECT_THROW(scalar.size(d), IndexError) << d;
    EXPECT_THROW(scalar.stride(d), IndexError) << d;
  }
}

}  // namespace
}  // namespace cajal
