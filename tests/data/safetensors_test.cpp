#include "cajal/data/safetensors.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "cajal/core/atomic_file.h"
#include "cajal/core/creation.h"
#include "cajal/ops/arithmetic.h"
#include "support/expect_error.h"

namespace cajal {
namespace {

namespace fs = std::filesystem;
using data::load_safetensors;
using data::parse_safetensors;
using data::save_safetensors;
using testing::expect_error;

// A fresh directory per test, removed afterwards.
class SafetensorsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    directory_ = fs::temp_directory_path() /
                 ("cajal_safetensors_" + std::to_string(::getpid()) + "_" + info->name());
    fs::remove_all(directory_);
    fs::create_directories(directory_);
  }
  void TearDown() override { fs::remove_all(directory_); }

  fs::path file(const std::string& name) const { return directory_ / name; }
  size_t files_in_directory() const {
    return static_cast<size_t>(std::distance(fs::directory_iterator(directory_), {}));
  }

  fs::path directory_;
};

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void write_bytes(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// A file from a header text and a data buffer, with a correct length prefix.
std::string make_file(const std::string& header, const std::string& data = "") {
  std::string bytes(8, '\0');
  uint64_t length = header.size();
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>((length >> (8 * i)) & 0xff);
  return bytes + header + data;
}

StateDict sample_tensors() {
  StateDict tensors;
  tensors.insert("weight", tensor({{1.5, -2.25, 3}, {4, 5e-8, -6e30}}));
  tensors.insert("double", tensor({0.1, 1.0 / 3.0, -1e-300}, {.dtype = float64}));
  tensors.insert("counts", from_vector<int64_t>({-3, 0, 9007199254740993}));
  tensors.insert("pixels", tensor({0, 7, 255}, {.dtype = uint8}));
  tensors.insert("mask", tensor({1, 0, 1, 1}, {.dtype = bool_}));
  tensors.insert("step", scalar_tensor(int64_t{42}, int64));
  tensors.insert("empty", zeros({0, 3}));
  return tensors;
}

void expect_same(const StateDict& expected, const StateDict& actual) {
  ASSERT_EQ(expected.keys(), actual.keys());
  for (const auto& [name, value] : expected) {
    const Tensor& loaded = actual.at(name);
    EXPECT_EQ(loaded.dtype(), value.dtype()) << name;
    EXPECT_EQ(loaded.shape(), value.shape()) << name;
    EXPECT_TRUE(equal(loaded, value)) << name;
  }
}

TEST_F(SafetensorsTest, RoundTripKeepsEveryDtypeShapeValueAndOrder) {
  StateDict tensors = sample_tensors();
  data::Metadata metadata = {{"format", "pt"}, {"note", "caf\xc3\xa9 \"quoted\"\n"}};
  save_safetensors(file("a.safetensors"), tensors, metadata);
  data::SafetensorsFile loaded = load_safetensors(file("a.safetensors"));
  expect_same(tensors, loaded.tensors);
  EXPECT_EQ(loaded.metadata, metadata);
  EXPECT_EQ(files_in_directory(), 1u);  // no temporary file left behind
}

TEST_F(SafetensorsTest, SavesViewsAsTheirElements) {
  Tensor base = arange(12, {.dtype = float64}).view({3, 4});
  StateDict tensors;
  tensors.insert("transposed", base.t());
  tensors.insert("column", base.select(1, 2));
  save_safetensors(file("views.safetensors"), tensors);
  StateDict loaded = load_safetensors(file("views.safetensors")).tensors;
  EXPECT_TRUE(equal(loaded.at("transposed"), base.t().contiguous()));
  EXPECT_TRUE(equal(loaded.at("column"), tensor({2, 6, 10}, {.dtype = float64})));
}

TEST_F(SafetensorsTest, WritesTheExactLayoutOfTheFormat) {
  StateDict tensors;
  tensors.insert("b", tensor({1, 2}, {.dtype = float32}));
  tensors.insert("a", tensor({1}, {.dtype = bool_}));
  save_safetensors(file("exact.safetensors"), tensors, {{"k", "v"}});
  std::string bytes = read_bytes(file("exact.safetensors"));
  std::string header =
      R"({"__metadata__":{"k":"v"},"b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
      R"("a":{"dtype":"BOOL","shape":[1],"data_offsets":[8,9]}})";
  header.append((8 - header.size() % 8) % 8, ' ');  // padded so the data is 8-byte aligned
  float one = 1, two = 2;
  std::string data(9, '\0');
  std::memcpy(data.data(), &one, 4);
  std::memcpy(data.data() + 4, &two, 4);
  data[8] = 1;
  EXPECT_EQ(bytes, make_file(header, data));
  EXPECT_EQ((8 + header.size()) % 8, 0u);
}

TEST_F(SafetensorsTest, EmptyDictWritesAValidFile) {
  save_safetensors(file("empty.safetensors"), {});
  data::SafetensorsFile loaded = load_safetensors(file("empty.safetensors"));
  EXPECT_TRUE(loaded.tensors.empty());
  EXPECT_TRUE(loaded.metadata.empty());
}

TEST_F(SafetensorsTest, ReadsTensorsInOffsetOrderWhateverTheHeaderOrder) {
  // Writers such as the Python package sort the header by name, not by offset.
  std::string header =
      R"({"z":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},)"
      R"("a":{"dtype":"U8","shape":[2],"data_offsets":[1,3]},"__metadata__":null})";
  StateDict tensors = parse_safetensors(make_file(header, "\x05\x06\x07")).tensors;
  EXPECT_EQ(tensors.keys(), (std::vector<std::string>{"z", "a"}));
  EXPECT_TRUE(equal(tensors.at("a"), tensor({6, 7}, {.dtype = uint8})));
}

TEST_F(SafetensorsTest, SaveRejectsBadNamesAndUndefinedTensors) {
  StateDict undefined;
  undefined.insert("w", Tensor());
  expect_error<ValueError>([&] { save_safetensors(file("x"), undefined); },
                           {"tensor 'w'", "undefined"});
  StateDict reserved;
  reserved.insert("__metadata__", zeros({1}));
  expect_error<ValueError>([&] { save_safetensors(file("x"), reserved); }, "reserved");
  StateDict unnamed;
  unnamed.insert("", zeros({1}));
  expect_error<ValueError>([&] { save_safetensors(file("x"), unnamed); }, "empty name");
  expect_error<ValueError>(
      [&] {
        save_safetensors(file("x"), sample_tensors(), {{"bad", "\xff\xfe"}});
      },
      {"metadata entry 'bad'", "UTF-8"});
  EXPECT_EQ(files_in_directory(), 0u);
}

TEST_F(SafetensorsTest, FailedSaveLeavesTheOldFileUntouched) {
  fs::path path = file("model.safetensors");
  save_safetensors(path, sample_tensors(), {{"version", "good"}});
  std::string good = read_bytes(path);

  StateDict broken = sample_tensors();
  broken.insert("late", Tensor());  // fails after the first tensors were converted
  EXPECT_THROW(save_safetensors(path, broken, {{"version", "bad"}}), ValueError);
  EXPECT_EQ(read_bytes(path), good);

  // A failure in the middle of writing the bytes.
  EXPECT_THROW(write_file_atomically(path,
                                     [](AtomicFile& out) {
                                       out.write("half a file");
                                       EXPECT_TRUE(fs::exists(out.temporary_path()));
                                       throw IOError("disk full (simulated)");
                                     }),
               IOError);
  EXPECT_EQ(read_bytes(path), good);
  EXPECT_EQ(files_in_directory(), 1u);  // the temporary file was removed
  EXPECT_EQ(load_safetensors(path).metadata.at("version"), "good");
}

TEST_F(SafetensorsTest, AtomicFileReplacesOnlyOnCommit) {
  fs::path path = file("text");
  write_file_atomically(path, std::string_view("old"));
  {
    AtomicFile out(path);
    out.write("new contents");
    EXPECT_EQ(read_bytes(path), "old");  // not visible before commit
    out.commit();
    EXPECT_THROW(out.write("more"), IOError);
  }
  EXPECT_EQ(read_bytes(path), "new contents");
  {
    AtomicFile abandoned(path);
    abandoned.write("never committed");
  }
  EXPECT_EQ(read_bytes(path), "new contents");
  EXPECT_EQ(files_in_directory(), 1u);
}

TEST_F(SafetensorsTest, SaveIntoAMissingDirectoryIsAnIOError) {
  expect_error<IOError>(
      [&] { save_safetensors(file("no/such/dir/model.safetensors"), sample_tensors()); },
      {"no/such/dir/model.safetensors", "temporary file"});
}

TEST_F(SafetensorsTest, LoadErrorsNameTheFileAndTheProblem) {
  expect_error<IOError>([&] { load_safetensors(file("missing.safetensors")); },
                        {"missing.safetensors", "no such file"});
  expect_error<IOError>([&] { load_safetensors(directory_); }, "not a regular file");

  fs::path path = file("bad.safetensors");
  auto expect_load_error = [&](const std::string& bytes, const std::string& problem) {
    write_bytes(path, bytes);
    expect_error<IOError>([&] { load_safetensors(path); }, {"bad.safetensors", problem});
    expect_error<IOError>([&] { parse_safetensors(bytes, "memory"); }, {"memory", problem});
  };
  const std::string f32 = R"({"t":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  expect_load_error("abc", "fewer than the 8-byte header length");
  expect_load_error(make_file(f32).substr(0, 20), "exceeds the 12 bytes after the length field");
  std::string huge_length = make_file(f32, std::string(8, '\0'));
  huge_length[7] = 0x7f;
  expect_load_error(huge_length, "header length");
  expect_load_error(make_file("[]"), "must begin with '{'");
  expect_load_error(make_file("{\"t\": "), "not valid JSON");
  expect_load_error(make_file("{} x"), "not valid JSON");
  expect_load_error(make_file(R"({"t":{"dtype":"F16","shape":[1],"data_offsets":[0,2]}})", "ab"),
                    "unsupported dtype \"F16\"");
  expect_load_error(make_file(R"({"t":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}})"),
                    "shape[0] must be a non-negative integer, got -1");
  expect_load_error(make_file(R"({"t":{"dtype":"F32","shape":[1.5],"data_offsets":[0,0]}})"),
                    "shape[0] must be a non-negative integer");
  expect_load_error(
      make_file(R"({"t":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,0]}})"),
      "too many elements");
  expect_load_error(
      make_file(R"({"t":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", std::string(8, '\0')),
      "needs 12 bytes, but data_offsets [0,8] span 8");
  expect_load_error(make_file(R"({"t":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})"),
                    "end before they begin");
  expect_load_error(make_file(R"({"t":{"dtype":"F32","shape":[2],"data_offsets":[0]}})"),
                    "data_offsets must be an array [begin, end]");
  expect_load_error(make_file(f32, std::string(4, '\0')), "exceed the data buffer of 4 bytes");
  expect_load_error(make_file(f32, std::string(12, '\0')), "cover 8 bytes of a data buffer of 12");
  expect_load_error(make_file(R"({"t":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                              R"("u":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                              std::string(8, '\0')),
                    "overlaps the previous tensor");
  expect_load_error(make_file(R"({"t":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}})", "ab"),
                    "a gap no tensor covers");
  expect_load_error(make_file(f32 + R"(,"t":{})", std::string(8, '\0')), "not valid JSON");
  expect_load_error(make_file(R"({"t":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},)"
                              R"("t":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}})",
                              "ab"),
                    "key 't' twice");
  expect_load_error(make_file(R"({"t":{"dtype":"U8","dtype":"F32","shape":[1],)"
                              R"("data_offsets":[0,1]}})",
                              "a"),
                    "key 'dtype' twice");
  expect_load_error(make_file(R"({"t":{"dtype":"U8","shape":[1]}})", "a"),
                    "missing field 'data_offsets'");
  expect_load_error(
      make_file(R"({"t":{"dtype":"U8","shape":[1],"data_offsets":[0,1],"x":1}})", "a"),
      "unexpected field 'x'");
  expect_load_error(make_file(R"({"t":[1]})"), "tensor 't': expected an object");
  expect_load_error(make_file(R"({"__metadata__":{"epoch":3}})"),
                    "__metadata__ value of 'epoch' must be a string");
  expect_load_error(
      make_file(R"({"t":{"dtype":"U8","shape":[[[[1]]]],"data_offsets":[0,1]}})", "a"),
      "nests deeper");
  expect_load_error(make_file(std::string(100000, '[')), "must begin with '{'");
  expect_load_error(make_file("{\"a\":" + std::string(100000, '[')), "nests deeper");
  expect_load_error(make_file(R"({"m":{"dtype":"BOOL","shape":[2],"data_offsets":[0,2]}})",
                              std::string("\x01\x02", 2)),
                    "tensor 'm' (BOOL) holds byte 2 at element 1");
  expect_load_error(make_file("{\"\xff\":1}"), "not valid JSON");
}

TEST_F(SafetensorsTest, NeverAllocatesMoreThanTheFileHolds) {
  // A header claiming a 2^60-element tensor fails on the byte count before any allocation.
  std::string bytes =
      make_file(R"({"t":{"dtype":"F64","shape":[1152921504606846976],"data_offsets":[0,8]}})",
                std::string(8, '\0'));
  expect_error<IOError>([&] { parse_safetensors(bytes); }, "needs 9223372036854775808 bytes");
}

// Reads a file we wrote with a few lines of Python (json and numpy only: an independent reader of
// the format) and compares every value.
TEST_F(SafetensorsTest, IndependentPythonReaderSeesTheSameValues) {
  const char* python = "/usr/bin/python3";
  if (!fs::exists(python) || std::system("/usr/bin/python3 -c 'import numpy' 2>/dev/null") != 0) {
    GTEST_SKIP() << "needs /usr/bin/python3 with numpy (Debian: python3-numpy)";
  }
  StateDict tensors = sample_tensors();
  save_safetensors(file("model.safetensors"), tensors, {{"epoch", "7"}});
  fs::path script = file("reader.py");
  std::ofstream(script) << R"(import json, sys
import numpy as np
raw = open(sys.argv[1], "rb").read()
n = int.from_bytes(raw[:8], "little")
header = json.loads(raw[8:8 + n].decode("utf-8"))
assert (8 + n) % 8 == 0
buffer = raw[8 + n:]
types = {"F32": "<f4", "F64": "<f8", "I64": "<i8", "U8": "u1", "BOOL": "?"}
out = {"__metadata__": header.pop("__metadata__", {})}
for name, info in header.items():
    begin, end = info["data_offsets"]
    array = np.frombuffer(buffer[begin:end], dtype=types[info["dtype"]]).reshape(info["shape"])
    out[name] = {"dtype": info["dtype"], "shape": list(array.shape),
                 "values": [v.item() for v in array.reshape(-1)]}
print(json.dumps(out))
)";
  std::string command =
      std::string(python) + " " + script.string() + " " + file("model.safetensors").string();
  FILE* pipe = ::popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char chunk[4096];
  while (size_t n = std::fread(chunk, 1, sizeof(chunk), pipe)) output.append(chunk, n);
  ASSERT_EQ(::pclose(pipe), 0) << output;

  nlohmann::json read = nlohmann::json::parse(output);
  EXPECT_EQ(read["__metadata__"], nlohmann::json({{"epoch", "7"}}));
  for (const auto& [name, value] : tensors) {
    SCOPED_TRACE(name);
    const nlohmann::json& entry = read.at(name);
    EXPECT_EQ(entry["dtype"], std::string(data::safetensors_dtype_name(value.dtype())));
    EXPECT_EQ(entry["shape"].get<Shape>(), value.shape());
    const nlohmann::json& values = entry["values"];
    ASSERT_EQ(static_cast<int64_t>(values.size()), value.numel());
    if (value.dtype() == int64) {
      EXPECT_EQ(values.get<std::vector<int64_t>>(), to_vector<int64_t>(value));
    } else if (value.dtype() == bool_) {
      EXPECT_EQ(values.get<std::vector<bool>>(), to_vector<bool>(value));
    } else {
      // Python prints floats exactly (shortest round-trip repr); float32 widens to double exactly.
      EXPECT_EQ(values.get<std::vector<double>>(), to_vector<double>(value));
    }
  }
}

}  // namespace
}  // namespace cajal
