// NPY reading and writing, against files numpy wrote. The fixtures were generated with
//   cd tests/data/fixtures && /usr/bin/python3 -c "import numpy as np
//   np.save('numpy_float32_2x3.npy', np.arange(6, dtype=np.float32).reshape(2, 3) / 4)
//   np.save('numpy_int32_fortran_2x3.npy',
//           np.asfortranarray(np.arange(6, dtype=np.int32).reshape(2, 3) - 2))
//   np.save('numpy_bool_3.npy', np.array([True, False, True]))
//   np.save('numpy_float64_bigendian_2.npy', np.array([1.5, -2.25], dtype='>f8'))"
#include "cajal/data/npy.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "cajal/core/creation.h"
#include "cajal/data/idx.h"
#include "support/expect_error.h"

namespace cajal {
namespace {

using testing::expect_error;
namespace fs = std::filesystem;

std::string fixture(const std::string& name) {
  return (fs::path(__FILE__).parent_path() / "fixtures" / name).string();
}

std::string temporary(const std::string& name) {
  return (fs::temp_directory_path() / ("cajal_npy_test_" + name)).string();
}

std::vector<uint8_t> bytes_of(const std::string& text) {
  return std::vector<uint8_t>(text.begin(), text.end());
}

Tensor parse(const std::string& text) {
  std::vector<uint8_t> bytes = bytes_of(text);
  return data::parse_npy(bytes.data(), bytes.size(), "test.npy");
}

// A version 1.0 file with the given header dict and data bytes.
std::string npy(const std::string& dict, const std::string& data) {
  std::string header = dict + "\n";
  std::string out = std::string("\x93NUMPY\x01\x00", 8);
  out += char(header.size() & 255);
  out += char(header.size() >> 8);
  return out + header + data;
}

TEST(Npy, ReadsNumpyFloat32) {
  Tensor x = data::read_npy(fixture("numpy_float32_2x3.npy"));
  EXPECT_EQ(x.dtype(), Dtype::float32);
  EXPECT_EQ(x.shape(), (Shape{2, 3}));
  EXPECT_EQ(to_vector<float>(x), (std::vector<float>{0, 0.25f, 0.5f, 0.75f, 1, 1.25f}));
}

TEST(Npy, ReadsNumpyFortranOrderInt32AsInt64) {
  Tensor x = data::read_npy(fixture("numpy_int32_fortran_2x3.npy"));
  EXPECT_EQ(x.dtype(), Dtype::int64);
  EXPECT_EQ(x.shape(), (Shape{2, 3}));
  EXPECT_EQ(to_vector<int64_t>(x), (std::vector<int64_t>{-2, -1, 0, 1, 2, 3}));
}

TEST(Npy, ReadsNumpyBoolAndBigEndian) {
  Tensor b = data::read_npy(fixture("numpy_bool_3.npy"));
  EXPECT_EQ(b.dtype(), Dtype::bool_);
  EXPECT_EQ(to_vector<uint8_t>(b.to(Dtype::uint8)), (std::vector<uint8_t>{1, 0, 1}));
  Tensor d = data::read_npy(fixture("numpy_float64_bigendian_2.npy"));
  EXPECT_EQ(d.dtype(), Dtype::float64);
  EXPECT_EQ(to_vector<double>(d), (std::vector<double>{1.5, -2.25}));
}

TEST(Npy, WritesWhatNumpyWrites) {
  // Byte for byte: numpy.save of the same array gives the same file.
  Tensor x = from_vector<float>({0, 0.25f, 0.5f, 0.75f, 1, 1.25f}, {2, 3});
  std::vector<uint8_t> expected = data::detail::read_file(fixture("numpy_float32_2x3.npy"));
  EXPECT_EQ(data::encode_npy(x), expected);
  std::vector<uint8_t> bools = data::detail::read_file(fixture("numpy_bool_3.npy"));
  EXPECT_EQ(data::encode_npy(tensor({1, 0, 1}).to(Dtype::bool_)), bools);
}

TEST(Npy, RoundTripsEveryDtypeAndShape) {
  std::vector<Tensor> tensors = {
      randn({3, 4, 5}),
      randn({7}, {.dtype = Dtype::float64}),
      from_vector<int64_t>({-5, 0, 1LL << 40}, {3}),
      from_vector<uint8_t>({0, 7, 255, 1}, {2, 2}),
      tensor({1, 0}).to(Dtype::bool_).reshape({2, 1}),
      full({}, 3.5),
      zeros({0, 3}),
      randn({4, 3}).t(),  // non-contiguous
  };
  std::string path = temporary("round_trip.npy");
  for (const Tensor& x : tensors) {
    data::write_npy(path, x);
    Tensor y = data::read_npy(path);
    EXPECT_EQ(y.dtype(), x.dtype());
    EXPECT_EQ(y.shape(), x.shape());
    Tensor xd = x.to(Dtype::float64).contiguous(), yd = y.to(Dtype::float64).contiguous();
    EXPECT_EQ(to_vector<double>(xd), to_vector<double>(yd)) << shape_string(x.shape());
  }
  fs::remove(path);
}

TEST(Npy, MalformedFilesAreIOErrorsNamingTheProblem) {
  expect_error<IOError>([] { data::read_npy(temporary("missing.npy")); },
                        {"cannot open", "missing.npy"});
  expect_error<IOError>([] { parse("hello"); }, {"test.npy", "not an NPY file"});
  expect_error<IOError>([] { parse(std::string("\x93NUMPY\x04\x00", 8) + "xx"); },
                        {"test.npy", "version 4.0"});
  expect_error<IOError>(
      [] { parse(npy("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", "")); },
      {"test.npy", "unsupported NPY dtype '<c8'"});
  expect_error<IOError>(
      [] { parse(npy("{'descr': '<f4', 'fortran_order': Maybe, 'shape': (1,), }", "")); },
      {"test.npy", "malformed NPY header", "True or False"});
  expect_error<IOError>([] { parse(npy("{'descr': '<f4', 'shape': (1,), }", "")); },
                        {"test.npy", "lacks"});
  expect_error<IOError>(
      [] { parse(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", "abcd")); },
      {"test.npy", "truncated NPY data", "[2, 3]"});
  expect_error<IOError>(
      [] { parse(npy("{'descr': '|u1', 'fortran_order': False, 'shape': (2,), }", "abc")); },
      {"test.npy", "1 unexpected bytes"});
  // A lying header: 2^60 elements claimed, none present; refused before any allocation.
  expect_error<IOError>(
      [] {
        parse(npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1073741824, 1073741824), }",
                  ""));
      },
      {"test.npy", "truncated"});
  std::string truncated = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", "");
  truncated.resize(20);
  expect_error<IOError>([&] { parse(truncated); }, {"test.npy", "truncated NPY header"});
}

TEST(Npy, WriteErrors) {
  expect_error<ValueError>([] { data::write_npy(temporary("x.npy"), Tensor()); }, "undefined");
  expect_error<IOError>([] { data::write_npy("/nonexistent-dir/x.npy", zeros({2})); },
                        {"write_npy", "/nonexistent-dir/x.npy"});
}

}  // namespace
}  // namespace cajal
