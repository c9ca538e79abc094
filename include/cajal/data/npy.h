#pragma once
// NumPy's .npy files (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html):
// a magic string, a version, a Python-dict header {'descr', 'fortran_order', 'shape'} and the raw
// elements.
//
//   data::write_npy("weights.npy", w);        // numpy.load("weights.npy") reads it back
//   Tensor x = data::read_npy("features.npy");
//
// Reading accepts format versions 1.0, 2.0 and 3.0, C or Fortran order, either byte order, and
// these element types, converted to cajal's dtypes:
//   f4 -> float32   f8 -> float64   i1 i2 i4 i8 -> int64   u1 -> uint8   b1 -> bool
// Writing produces version 1.0 (2.0 only when the header outgrows 1.0's 65535-byte limit), C
// order, little-endian: float32 '<f4', float64 '<f8', int64 '<i8', uint8 '|u1', bool '|b1'.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "cajal/core/tensor.h"

namespace cajal::data {

// IOError naming the file and the problem (bad magic, unsupported version or dtype, malformed
// header, data shorter or longer than the shape claims). Never allocates more than the data.
Tensor read_npy(const std::string& path);
Tensor parse_npy(const uint8_t* bytes, size_t size, const std::string& name = "<memory>");

// Writes any defined tensor (non-contiguous views are copied first). The file is written to a
// temporary name and renamed, so a failed write never leaves a half-written file behind.
void write_npy(const std::string& path, const Tensor& tensor);
std::vector<uint8_t> encode_npy(const Tensor& tensor);

}  // namespace cajal::data
