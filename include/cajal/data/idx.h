#pragma once
// IDX files: the format of MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/, LeCun et
// al. 1998). A big-endian header - two zero bytes, an element-type code, the number of dims, then
// each dim as a 32-bit integer - followed by the elements in row-major order.
//
//   Tensor images = data::read_idx("train-images-idx3-ubyte.gz");   // uint8 [60000, 28, 28]
//
// Element types and the dtype they become (cajal has no narrow signed or 32-bit integer dtype):
//   0x08 unsigned byte -> uint8     0x09 signed byte -> int64    0x0B int16 -> int64
//   0x0C int32         -> int64     0x0D float32     -> float32  0x0E float64 -> float64
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "cajal/core/tensor.h"

namespace cajal::data {

// Reads an IDX file, raw or gzip-compressed (recognized by its content, not its name).
// Throws IOError naming the file and the problem when it is missing, truncated, has a bad magic
// number or element type, dims that disagree with its length, trailing bytes, or corrupt gzip.
// Never allocates more than the file's data can fill.
Tensor read_idx(const std::string& path);

// Parses IDX bytes already in memory (raw or gzip). `name` appears in error messages.
Tensor parse_idx(const uint8_t* bytes, size_t size, const std::string& name = "<memory>");

namespace detail {

// The whole content of a file; IOError naming `path` when it cannot be read.
std::vector<uint8_t> read_file(const std::string& path);

// True when the bytes start with the gzip magic number (1f 8b).
bool is_gzip(const uint8_t* bytes, size_t size);

// Decompresses gzip data (one or more concatenated members). Output grows with the data actually
// decompressed; more than `max_output` bytes is an IOError (a guard against decompression
// bombs). Corrupt or truncated input is an IOError naming `name`.
std::vector<uint8_t> gunzip(const uint8_t* bytes, size_t size, const std::string& name,
                            size_t max_output);

// The first `count` bytes of the decompressed data (fewer when the data is shorter); decompresses
// only as far as needed.
std::vector<uint8_t> gunzip_prefix(const uint8_t* bytes, size_t size, const std::string& name,
                                   size_t count);

}  // namespace detail

}  // namespace cajal::data
