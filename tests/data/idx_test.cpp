// The IDX reader: every element type, gzip, and malformed files.
#include "cajal/data/idx.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "cajal/core/creation.h"
#include "support/expect_error.h"

namespace cajal {
namespace {

using testing::expect_error;
using Bytes = std::vector<uint8_t>;

const char* kLabels = "/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz";

Bytes header(uint8_t type, const std::vector<uint32_t>& dims) {
  Bytes out = {0, 0, type, uint8_t(dims.size())};
  for (uint32_t dim : dims) {
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(uint8_t(dim >> shift));
  }
  return out;
}

Bytes concat(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

Tensor parse(const Bytes& bytes) { return data::parse_idx(bytes.data(), bytes.size(), "t.idx"); }

TEST(Idx, UnsignedBytesStayUint8) {
  Tensor x = parse(concat(header(0x08, {2, 3}), {0, 1, 2, 200, 254, 255}));
  EXPECT_EQ(x.dtype(), Dtype::uint8);
  EXPECT_EQ(x.shape(), (Shape{2, 3}));
  EXPECT_EQ(to_vector<uint8_t>(x), (Bytes{0, 1, 2, 200, 254, 255}));
}

TEST(Idx, SignedIntegersBecomeInt64) {
  Tensor a = parse(concat(header(0x09, {3}), {0x80, 0xff, 0x05}));
  EXPECT_EQ(a.dtype(), Dtype::int64);
  EXPECT_EQ(to_vector<int64_t>(a), (std::vector<int64_t>{-128, -1, 5}));
  Tensor b = parse(concat(header(0x0B, {2}), {0x80, 0x00, 0x01, 0x02}));
  EXPECT_EQ(to_vector<int64_t>(b), (std::vector<int64_t>{-32768, 258}));
  Tensor c = parse(concat(header(0x0C, {2}), {0xff, 0xff, 0xff, 0xfe, 0x01, 0x00, 0x00, 0x00}));
  EXPECT_EQ(to_vector<int64_t>(c), (std::vector<int64_t>{-2, 16777216}));
}

TEST(Idx, FloatsAreBigEndian) {
  // 1.5f = 0x3fc00000; -2.0 (double) = 0xc000000000000000
  Tensor f = parse(concat(header(0x0D, {1, 1}), {0x3f, 0xc0, 0x00, 0x00}));
  EXPECT_EQ(f.dtype(), Dtype::float32);
  EXPECT_EQ(f.shape(), (Shape{1, 1}));
  EXPECT_EQ(to_vector<float>(f), (std::vector<float>{1.5f}));
  Tensor d = parse(concat(header(0x0E, {1}), {0xc0, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(d.dtype(), Dtype::float64);
  EXPECT_EQ(to_vector<double>(d), (std::vector<double>{-2.0}));
}

TEST(Idx, EmptyDimsAreFine) {
  Tensor x = parse(header(0x08, {0, 28, 28}));
  EXPECT_EQ(x.shape(), (Shape{0, 28, 28}));
}

TEST(Idx, ReadsGzipByContent) {
  Tensor labels = data::read_idx(kLabels);
  EXPECT_EQ(labels.dtype(), Dtype::uint8);
  EXPECT_EQ(labels.shape(), (Shape{10000}));
  std::vector<uint8_t> first = to_vector<uint8_t>(labels.slice(0, 0, 10));
  EXPECT_EQ(first, (Bytes{9, 2, 1, 1, 6, 1, 4, 6, 5, 7}));
}

TEST(Idx, RawFileOnDisk) {
  std::string path = (std::filesystem::temp_directory_path() / "cajal_idx_test.idx").string();
  Bytes bytes = concat(header(0x08, {2}), {7, 9});
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), 6 + 4);
  EXPECT_EQ(to_vector<uint8_t>(data::read_idx(path)), (Bytes{7, 9}));
  std::filesystem::remove(path);
}

TEST(Idx, MalformedFilesAreIOErrorsNamingFileAndProblem) {
  expect_error<IOError>([] { data::read_idx("/nonexistent/x-idx1-ubyte"); },
                        {"cannot open", "/nonexistent/x-idx1-ubyte"});
  expect_error<IOError>([] { parse({0, 0}); }, {"t.idx", "truncated IDX header"});
  expect_error<IOError>([] { parse({1, 2, 8, 1, 0, 0, 0, 0}); }, {"t.idx", "magic number"});
  expect_error<IOError>([] { parse(header(0x0A, {1})); },
                        {"t.idx", "unknown IDX element type 0x0a"});
  expect_error<IOError>([] { parse({0, 0, 8, 3, 0, 0, 0, 1}); }, {"t.idx", "3 dims need 16 bytes"});
  expect_error<IOError>(
      [] {
        parse(concat(header(0x0C, {2, 2}), {1, 2, 3}));
      },
      {"t.idx", "truncated IDX data", "[2, 2]", "need 16 bytes", "has 3"});
  expect_error<IOError>(
      [] {
        parse(concat(header(0x08, {1}), {1, 2}));
      },
      {"t.idx", "1 unexpected bytes"});
  // A lying header: 2^32 x 2^32 x ... elements claimed with no data; refused before allocating.
  expect_error<IOError>(
      [] {
        parse(header(0x0E, {0xffffffff, 0xffffffff, 0xffffffff}));
      },
      {"t.idx", "claim more data"});
  expect_error<IOError>(
      [] {
        parse(header(0x0E, {0xffffffff, 0xffff}));
      },
      {"t.idx", "truncated IDX data"});
}

TEST(Idx, CorruptOrTruncatedGzipIsAnIOError) {
  Bytes gz = data::detail::read_file(kLabels);
  Bytes truncated(gz.begin(), gz.begin() + gz.size() / 2);
  expect_error<IOError>([&] { parse(truncated); }, {"t.idx", "gzip data is truncated"});
  Bytes corrupt = gz;
  for (size_t i = 100; i < 140; ++i) corrupt[i] ^= 0x5a;
  expect_error<IOError>([&] { parse(corrupt); }, {"t.idx", "gzip"});
  Bytes garbage_after = concat(gz, {1, 2, 3});
  expect_error<IOError>([&] { parse(garbage_after); }, {"t.idx", "gzip"});
  // Two concatenated members decompress to the file twice: more data than the dims claim.
  expect_error<IOError>([&] { parse(concat(gz, gz)); }, {"t.idx", "larger than the expected"});
}

TEST(Idx, GunzipGuardsItsOutputSize) {
  Bytes gz = data::detail::read_file(kLabels);
  expect_error<IOError>([&] { data::detail::gunzip(gz.data(), gz.size(), "g", 100); },
                        {"g", "larger than the expected 100 bytes"});
  EXPECT_EQ(data::detail::gunzip(gz.data(), gz.size(), "g", 1 << 20).size(), 10008u);
  EXPECT_EQ(data::detail::gunzip_prefix(gz.data(), gz.size(), "g", 8).size(), 8u);
}

}  // namespace
}  // namespace cajal
