#include "cajal/data/safetensors.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <fstream>
#include <functional>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "cajal/core/atomic_file.h"
#include "cajal/core/creation.h"
#include "cajal/core/error.h"

namespace cajal::data {

// The file stores little-endian bytes and tensors are written and read with memcpy.
static_assert(std::endian::native == std::endian::little,
              "safetensors I/O assumes a little-endian machine");

namespace {

using Json = nlohmann::ordered_json;

constexpr uint64_t kMaxHeaderBytes = uint64_t{100} << 20;  // the reference implementation's limit
constexpr uint64_t kPrefixBytes = 8;
constexpr const char* kMetadataKey = "__metadata__";

struct Entry {
  std::string name;
  Dtype dtype;
  Shape shape;
  uint64_t begin;
  uint64_t end;
};

struct Header {
  std::vector<Entry> entries;  // sorted by offset
  Metadata metadata;
};

[[noreturn]] void fail(const std::string& source, const std::string& problem) {
  throw IOError("safetensors file '" + source + "': " + problem);
}

std::string in_quotes(const std::string& name) { return "'" + name + "'"; }

uint64_t read_u64_le(const char* bytes) {
  uint64_t value = 0;
  for (int i = 7; i >= 0; --i) value = (value << 8) | static_cast<unsigned char>(bytes[i]);
  return value;
}

void write_u64_le(uint64_t value, char* bytes) {
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>((value >> (8 * i)) & 0xff);
}

// A header length that fits the file: at most the bytes after the 8-byte prefix, at most 100 MB.
uint64_t check_header_length(uint64_t header_length, uint64_t file_size,
                             const std::string& source) {
  if (file_size < kPrefixBytes) {
    fail(source,
         "file has " + std::to_string(file_size) + " bytes, fewer than the 8-byte header length");
  }
  if (header_length > file_size - kPrefixBytes) {
    fail(source, "header length " + std::to_string(header_length) + " exceeds the " +
                     std::to_string(file_size - kPrefixBytes) + " bytes after the length field");
  }
  if (header_length > kMaxHeaderBytes) {
    fail(source, "header length " + std::to_string(header_length) + " exceeds the limit of " +
                     std::to_string(kMaxHeaderBytes) + " bytes");
  }
  if (header_length < 2)
    fail(source,
         "header length " + std::to_string(header_length) + " is too small for a JSON object");
  return header_length;
}

// A non-negative JSON integer that fits in uint64; `what` names it in the error.
uint64_t unsigned_integer(const Json& value, const std::string& what, const std::string& source) {
  if (value.is_number_unsigned()) return value.get<uint64_t>();
  fail(source, what + " must be a non-negative integer, got " + value.dump());
}

Entry parse_entry(const std::string& name, const Json& info, const std::string& source) {
  const std::string where = "tensor " + in_quotes(name);
  if (!info.is_object()) fail(source, where + ": expected an object, got " + info.type_name());
  for (const auto& [key, value] : info.items()) {
    if (key != "dtype" && key != "shape" && key != "data_offsets") {
      fail(source, where + ": unexpected field " + in_quotes(key));
    }
  }
  for (const char* required : {"dtype", "shape", "data_offsets"}) {
    if (!info.contains(required)) fail(source, where + ": missing field '" + required + "'");
  }
  Entry entry;
  entry.name = name;

  const Json& dtype = info["dtype"];
  if (!dtype.is_string()) fail(source, where + ": dtype must be a string, got " + dtype.dump());
  try {
    entry.dtype = dtype_from_safetensors_name(dtype.get<std::string>());
  } catch (const ValueError&) {
    fail(source, where + ": unsupported dtype " + dtype.dump() +
                     " (cajal reads F32, F64, I64, U8 and BOOL)");
  }

  const Json& shape = info["shape"];
  if (!shape.is_array()) fail(source, where + ": shape must be an array, got " + shape.dump());
  // The element count, with every factor and the running product checked against int64, so that
  // neither the count nor the strides of a tensor of this shape can overflow. Zero dims are left
  // out of the running product (a [0, 2^62, 2^62] tensor is empty, but its strides are not).
  uint64_t nonzero_product = 1;
  bool empty = false;
  for (size_t d = 0; d < shape.size(); ++d) {
    uint64_t size =
        unsigned_integer(shape[d], where + ": shape[" + std::to_string(d) + "]", source);
    constexpr uint64_t kMax = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
    if (size == 0) {
      empty = true;
    } else if (size > kMax / nonzero_product) {
      fail(source, where + ": shape " + shape.dump() + " has too many elements");
    } else {
      nonzero_product *= size;
    }
    entry.shape.push_back(static_cast<int64_t>(size));
  }
  uint64_t numel = empty ? 0 : nonzero_product;

  const Json& offsets = info["data_offsets"];
  if (!offsets.is_array() || offsets.size() != 2) {
    fail(source, where + ": data_offsets must be an array [begin, end], got " + offsets.dump());
  }
  entry.begin = unsigned_integer(offsets[0], where + ": data_offsets[0]", source);
  entry.end = unsigned_integer(offsets[1], where + ": data_offsets[1]", source);
  if (entry.end < entry.begin) {
    fail(source, where + ": data_offsets " + offsets.dump() + " end before they begin");
  }
  uint64_t element_bytes = element_size(entry.dtype);
  uint64_t length = entry.end - entry.begin;
  if (numel > length / element_bytes || numel * element_bytes != length) {
    fail(source, where + ": shape " + shape.dump() + " of " + dtype.get<std::string>() + " needs " +
                     (numel > std::numeric_limits<uint64_t>::max() / element_bytes
                          ? std::string("more")
                          : std::to_string(numel * element_bytes)) +
                     " bytes, but data_offsets " + offsets.dump() + " span " +
                     std::to_string(length));
  }
  return entry;
}

Header parse_header(std::string_view text, uint64_t buffer_size, const std::string& source) {
  if (text.empty() || text.front() != '{') {
    fail(source, "header must begin with '{'");
  }
  // Reject nesting deeper than a header needs before it is built (a hostile file could otherwise
  // nest millions of arrays), and duplicate keys, which the JSON parser would silently merge.
  std::vector<std::set<std::string>> keys_by_depth(2);
  auto callback = [&](int depth, Json::parse_event_t event, Json& parsed) {
    size_t level = static_cast<size_t>(depth);
    if (event == Json::parse_event_t::object_start || event == Json::parse_event_t::array_start) {
      if (depth >= 3) fail(source, "header nests deeper than a safetensors header can");
      if (event == Json::parse_event_t::object_start) {
        if (keys_by_depth.size() < level + 2) keys_by_depth.resize(level + 2);
        keys_by_depth[level + 1].clear();
      }
    } else if (event == Json::parse_event_t::key) {
      if (keys_by_depth.size() < level + 1) keys_by_depth.resize(level + 1);
      const std::string& key = parsed.get_ref<const std::string&>();
      if (!keys_by_depth[level].insert(key).second) {
        fail(source, "header has the key " + in_quotes(key) + " twice");
      }
    }
    return true;
  };
  Json header;
  try {
    header = Json::parse(text.begin(), text.end(), callback);
  } catch (const Json::exception& error) {
    fail(source, std::string("header is not valid JSON (") + error.what() + ")");
  }
  if (!header.is_object()) fail(source, "header must be a JSON object");

  Header result;
  for (const auto& [name, info] : header.items()) {
    if (name == kMetadataKey) {
      if (info.is_null()) continue;
      if (!info.is_object()) {
        fail(source, "__metadata__ must be an object of strings, got " + info.dump());
      }
      for (const auto& [key, value] : info.items()) {
        if (!value.is_string()) {
          fail(source, "__metadata__ value of " + in_quotes(key) + " must be a string, got " +
                           value.dump());
        }
        result.metadata.emplace(key, value.get<std::string>());
      }
      continue;
    }
    if (name.empty()) fail(source, "a tensor has an empty name");
    result.entries.push_back(parse_entry(name, info, source));
  }

  // Tensors must tile the buffer: sorted by offset, each starting where the previous one ends,
  // the last ending at the buffer's end. This excludes overlaps (two names aliasing one range),
  // gaps (hidden data) and out-of-range offsets in one rule.
  std::stable_sort(result.entries.begin(), result.entries.end(),
                   [](const Entry& a, const Entry& b) {
                     return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
                   });
  uint64_t position = 0;
  for (const Entry& entry : result.entries) {
    if (entry.end > buffer_size) {
      fail(source, "tensor " + in_quotes(entry.name) + ": data_offsets [" +
                       std::to_string(entry.begin) + ", " + std::to_string(entry.end) +
                       "] exceed the data buffer of " + std::to_string(buffer_size) + " bytes");
    }
    if (entry.begin != position) {
      fail(source, "tensor " + in_quotes(entry.name) + ": data begins at byte " +
                       std::to_string(entry.begin) + ", expected " + std::to_string(position) +
                       (entry.begin < position ? " (it overlaps the previous tensor)"
                                               : " (a gap no tensor covers)"));
    }
    position = entry.end;
  }
  if (position != buffer_size) {
    fail(source, "tensors cover " + std::to_string(position) + " bytes of a data buffer of " +
                     std::to_string(buffer_size));
  }
  return result;
}

// Builds the tensors, reading each one's bytes with `read(offset, destination, size)`.
SafetensorsFile build(Header header, const std::string& source,
                      const std::function<void(uint64_t, void*, size_t)>& read) {
  SafetensorsFile file;
  file.metadata = std::move(header.metadata);
  for (Entry& entry : header.entries) {
    Tensor tensor = zeros(entry.shape, {.dtype = entry.dtype});
    size_t bytes = static_cast<size_t>(entry.end - entry.begin);
    if (bytes > 0) read(entry.begin, tensor.raw_data(), bytes);
    if (entry.dtype == Dtype::bool_) {
      // Any byte other than 0 or 1 would be an invalid C++ bool.
      const unsigned char* data = static_cast<const unsigned char*>(tensor.raw_data());
      for (size_t i = 0; i < bytes; ++i) {
        if (data[i] > 1) {
          fail(source, "tensor " + in_quotes(entry.name) + " (BOOL) holds byte " +
                           std::to_string(data[i]) + " at element " + std::to_string(i) +
                           "; expected 0 or 1");
        }
      }
    }
    file.tensors.insert(std::move(entry.name), std::move(tensor));
  }
  return file;
}

bool valid_utf8(std::string_view text) {
  try {
    (void)Json(std::string(text)).dump();
    return true;
  } catch (const Json::type_error&) {
    return false;
  }
}

}  // namespace

std::string_view safetensors_dtype_name(Dtype dtype) {
  switch (dtype) {
    case Dtype::float32:
      return "F32";
    case Dtype::float64:
      return "F64";
    case Dtype::int64:
      return "I64";
    case Dtype::uint8:
      return "U8";
    case Dtype::bool_:
      return "BOOL";
  }
  throw ValueError("safetensors: unknown dtype");
}

Dtype dtype_from_safetensors_name(std::string_view name) {
  for (Dtype dtype : {Dtype::float32, Dtype::float64, Dtype::int64, Dtype::uint8, Dtype::bool_}) {
    if (safetensors_dtype_name(dtype) == name) return dtype;
  }
  throw ValueError("safetensors: unsupported dtype '" + std::string(name) + "'");
}

void save_safetensors(const std::filesystem::path& path, const StateDict& tensors,
                      const Metadata& metadata) {
  const std::string where = "save_safetensors '" + path.string() + "': ";
  // Everything is checked and converted before the file is opened, so a bad argument never
  // leaves a temporary file behind.
  std::vector<Tensor> contiguous;
  contiguous.reserve(tensors.size());
  Json header = Json::object();
  if (!metadata.empty()) {
    Json entries = Json::object();
    for (const auto& [key, value] : metadata) {
      if (!valid_utf8(key) || !valid_utf8(value)) {
        throw ValueError(where + "metadata entry " + in_quotes(key) + " is not valid UTF-8");
      }
      entries[key] = value;
    }
    header[kMetadataKey] = std::move(entries);
  }
  uint64_t offset = 0;
  for (const auto& [name, tensor] : tensors) {
    if (name.empty()) throw ValueError(where + "a tensor has an empty name");
    if (name == kMetadataKey) throw ValueError(where + "'__metadata__' is reserved");
    if (!valid_utf8(name)) throw ValueError(where + "name " + in_quotes(name) + " is not UTF-8");
    if (!tensor.defined()) throw ValueError(where + "tensor " + in_quotes(name) + " is undefined");
    Tensor data = tensor.detach().contiguous();
    uint64_t bytes = static_cast<uint64_t>(data.numel()) * data.element_size();
    header[name] = {{"dtype", safetensors_dtype_name(data.dtype())},
                    {"shape", data.shape()},
                    {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
    contiguous.push_back(std::move(data));
  }
  std::string text = header.dump();
  // Pad so the data buffer starts 8-byte aligned: readers can then map float64 and int64 tensors
  // in place.
  text.append((kPrefixBytes - text.size() % kPrefixBytes) % kPrefixBytes, ' ');
  char prefix[kPrefixBytes];
  write_u64_le(text.size(), prefix);

  write_file_atomically(path, [&](AtomicFile& file) {
    file.write(prefix, sizeof(prefix));
    file.write(text);
    for (const Tensor& data : contiguous) {
      size_t bytes = static_cast<size_t>(data.numel()) * data.element_size();
      if (bytes > 0) file.write(data.raw_data(), bytes);
    }
  });
}

SafetensorsFile parse_safetensors(std::string_view bytes, const std::string& source) {
  if (bytes.size() < kPrefixBytes) check_header_length(0, bytes.size(), source);
  uint64_t header_length = check_header_length(read_u64_le(bytes.data()), bytes.size(), source);
  std::string_view data = bytes.substr(kPrefixBytes + header_length);
  Header header = parse_header(bytes.substr(kPrefixBytes, header_length), data.size(), source);
  return build(std::move(header), source, [&](uint64_t offset, void* destination, size_t size) {
    std::memcpy(destination, data.data() + offset, size);
  });
}

SafetensorsFile load_safetensors(const std::filesystem::path& path) {
  const std::string source = path.string();
  std::error_code error;
  if (!std::filesystem::exists(path, error)) fail(source, "no such file");
  if (!std::filesystem::is_regular_file(path, error)) fail(source, "not a regular file");
  uint64_t file_size = std::filesystem::file_size(path, error);
  if (error) fail(source, "cannot read its size (" + error.message() + ")");
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(source, "cannot open it for reading");

  char prefix[kPrefixBytes] = {};
  if (file_size >= kPrefixBytes && !in.read(prefix, sizeof(prefix))) {
    fail(source, "cannot read the header length");
  }
  uint64_t header_length = check_header_length(read_u64_le(prefix), file_size, source);
  std::string text(header_length, '\0');
  if (!in.read(text.data(), static_cast<std::streamsize>(header_length))) {
    fail(source, "file ended inside the header");
  }
  uint64_t data_start = kPrefixBytes + header_length;
  Header header = parse_header(text, file_size - data_start, source);
  return build(std::move(header), source, [&](uint64_t offset, void* destination, size_t size) {
    in.seekg(static_cast<std::streamoff>(data_start + offset));
    if (!in.read(static_cast<char*>(destination), static_cast<std::streamsize>(size))) {
      fail(source, "file ended inside the tensor data (was it truncated while reading?)");
    }
  });
}

}  // namespace cajal::data
