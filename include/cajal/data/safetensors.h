#pragma once
// safetensors files (https://github.com/huggingface/safetensors), the format of cajal's weights and
// checkpoints, so that PyTorch, NumPy and Hugging Face tools read them:
//
//   8 bytes   N, the header length, unsigned little-endian
//   N bytes   UTF-8 JSON: {"<name>": {"dtype": "F32", "shape": [2, 3], "data_offsets": [b, e]},
//             ..., "__metadata__": {"<key>": "<value>", ...}}, padded with spaces so that the
//             tensor data starts at a multiple of 8 bytes
//   the rest  every tensor's elements, row-major, little-endian, at [b, e) of this buffer
//
// dtypes: float32 "F32", float64 "F64", int64 "I64", uint8 "U8", bool "BOOL" (one byte, 0 or 1).
//
//   data::save_safetensors("model.safetensors", net.state_dict(), {{"epoch", "3"}});
//   auto [state, metadata] = data::load_safetensors("model.safetensors");
//   net.load_state_dict(state);
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>

#include "cajal/core/ordered_dict.h"
#include "cajal/core/tensor.h"

namespace cajal::data {

using Metadata = std::map<std::string, std::string>;

// Writes the tensors in the dict's order (the tensors' values, not their autograd state; views are
// written as their elements) and the metadata, atomically (see core/atomic_file.h): on any error
// the file at `path` keeps its old contents. ValueError, before anything is written, for an
// undefined tensor, an empty name or the name "__metadata__", or a name or metadata entry that is
// not valid UTF-8; IOError when the file cannot be written.
void save_safetensors(const std::filesystem::path& path, const StateDict& tensors,
                      const Metadata& metadata = {});

struct SafetensorsFile {
  StateDict tensors;  // in the order of their data in the file (the saving order)
  Metadata metadata;  // the "__metadata__" entries; empty when the file has none
};

// Reads and validates a whole file: header length against the file size (and at most 100 MB, the
// reference implementation's limit), JSON well-formed and starting with '{', no duplicate names,
// known dtypes, non-negative integer shapes, offsets ordered and within the buffer, tensors
// contiguous with neither gaps nor overlaps and covering the whole buffer, each tensor's byte
// length = element count * element size, BOOL bytes 0 or 1, metadata string to string. Any
// violation is an IOError naming the file and the problem. Memory allocated never exceeds the
// file's size.
SafetensorsFile load_safetensors(const std::filesystem::path& path);

// The same checks on bytes in memory; `source` names them in error messages (fuzzing, tests).
SafetensorsFile parse_safetensors(std::string_view bytes, const std::string& source = "<memory>");

// safetensors' name of a dtype ("F32") and back; ValueError for a name cajal has no dtype for.
std::string_view safetensors_dtype_name(Dtype dtype);
Dtype dtype_from_safetensors_name(std::string_view name);

}  // namespace cajal::data
