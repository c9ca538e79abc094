// A stand-in for libFuzzer's main(), so every fuzz target also runs as a fast, deterministic test
// with any compiler:
//   fuzz_<name> CORPUS_DIR [MUTATIONS] [SEED]   every file in the directory (sorted), then
//                                               MUTATIONS mutated copies of them (default 3000)
//   fuzz_<name> FILE...                         replays the given inputs (to reproduce a finding)
// The target must catch the errors its parser is allowed to throw; anything that escapes it is a
// finding: the driver prints it, saves the input as ./fuzz-finding-<n> and exits 1.
// Mutations are not coverage guided; build with -DCAJAL_LIBFUZZER=ON for real fuzzing.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

using Bytes = std::vector<uint8_t>;

Bytes read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Deterministic on every platform: std::mt19937_64's sequence is fixed by the standard, and we
// reduce it ourselves (std::uniform_int_distribution differs between standard libraries).
class Random {
 public:
  explicit Random(uint64_t seed) : engine_(seed) {}
  size_t below(size_t n) { return n == 0 ? 0 : static_cast<size_t>(engine_() % n); }
  uint8_t byte() { return static_cast<uint8_t>(engine_()); }

 private:
  std::mt19937_64 engine_;
};

// Values that tend to break size arithmetic when written over a header field.
constexpr uint32_t kInteresting[] = {0,          1,          0x7f,       0x80,      0xff,
                                     0x100,      0x7fff,     0x8000,     0xffff,    0x10000,
                                     0x7fffffff, 0x80000000, 0xffffffff, 0xfffffffe};

void mutate_once(Bytes& bytes, Random& random) {
  switch (random.below(bytes.empty() ? 1 : 8)) {
    case 0: {  // insert random bytes
      size_t at = random.below(bytes.size() + 1);
      size_t count = 1 + random.below(8);
      Bytes inserted(count);
      for (uint8_t& b : inserted) b = random.byte();
      bytes.insert(bytes.begin() + at, inserted.begin(), inserted.end());
      break;
    }
    case 1:  // flip one bit
      bytes[random.below(bytes.size())] ^= uint8_t(1u << random.below(8));
      break;
    case 2:  // set a random byte
      bytes[random.below(bytes.size())] = random.byte();
      break;
    case 3:  // truncate
      bytes.resize(random.below(bytes.size()));
      break;
    case 4: {  // erase a range
      size_t at = random.below(bytes.size());
      size_t count = 1 + random.below(std::min<size_t>(16, bytes.size() - at));
      bytes.erase(bytes.begin() + at, bytes.begin() + at + count);
      break;
    }
    case 5: {  // overwrite 1, 2 or 4 bytes with an interesting value, either byte order
      uint32_t value = kInteresting[random.below(std::size(kInteresting))];
      size_t width = size_t(1) << random.below(3);
      size_t at = random.below(bytes.size());
      bool big_endian = random.below(2) == 0;
      for (size_t i = 0; i < width && at + i < bytes.size(); ++i) {
        size_t shift = 8 * (big_endian ? width - 1 - i : i);
        bytes[at + i] = uint8_t(value >> shift);
      }
      break;
    }
    case 6: {  // duplicate a chunk somewhere else
      size_t from = random.below(bytes.size());
      size_t count = 1 + random.below(std::min<size_t>(64, bytes.size() - from));
      Bytes chunk(bytes.begin() + from, bytes.begin() + from + count);
      size_t at = random.below(bytes.size() + 1);
      bytes.insert(bytes.begin() + at, chunk.begin(), chunk.end());
      break;
    }
    default: {  // flip bits in the first bytes, where headers live
      size_t at = random.below(std::min<size_t>(bytes.size(), 32));
      bytes[at] ^= random.byte();
      break;
    }
  }
}

int finding_count = 0;

// Runs one input; reports and saves it when something other than a return escapes the target.
bool run_one(const Bytes& bytes, const std::string& label) {
  try {
    LLVMFuzzerTestOneInput(bytes.data(), bytes.size());
    return true;
  } catch (const std::exception& e) {
    std::cerr << "finding: " << label << ": uncaught exception: " << e.what() << "\n";
  } catch (...) {
    std::cerr << "finding: " << label << ": uncaught non-standard exception\n";
  }
  std::string path = "fuzz-finding-" + std::to_string(finding_count++);
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
  std::cerr << "  input saved to " << path << "\n";
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: " << argv[0] << " CORPUS_DIR [MUTATIONS] [SEED]  |  " << argv[0]
              << " FILE...\n";
    return 2;
  }
  namespace fs = std::filesystem;
  bool ok = true;
  if (!fs::is_directory(argv[1])) {
    for (int i = 1; i < argc; ++i) ok = run_one(read_bytes(argv[i]), argv[i]) && ok;
    return ok ? 0 : 1;
  }
  std::vector<fs::path> files;
  for (const fs::directory_entry& entry : fs::directory_iterator(argv[1])) {
    if (entry.is_regular_file()) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) {
    std::cerr << "error: corpus directory " << argv[1] << " has no files\n";
    return 2;
  }
  long mutations = argc > 2 ? std::strtol(argv[2], nullptr, 10) : 3000;
  uint64_t seed = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 1;

  std::vector<Bytes> seeds;
  for (const fs::path& file : files) {
    seeds.push_back(read_bytes(file));
    ok = run_one(seeds.back(), file.string()) && ok;
  }
  Random random(seed);
  // An empty input is always worth one run.
  ok = run_one(Bytes(), "empty input") && ok;
  for (long i = 0; i < mutations; ++i) {
    size_t which = random.below(seeds.size());
    Bytes bytes = seeds[which];
    size_t rounds = 1 + random.below(4);
    for (size_t r = 0; r < rounds; ++r) mutate_once(bytes, random);
    ok = run_one(bytes, files[which].filename().string() + " mutation " + std::to_string(i)) && ok;
  }
  std::cout << argv[0] << ": " << seeds.size() << " seeds and " << mutations << " mutations, "
            << (ok ? "no findings" : std::to_string(finding_count) + " finding(s)") << "\n";
  return ok ? 0 : 1;
}
