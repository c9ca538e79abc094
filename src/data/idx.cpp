#include "cajal/data/idx.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>

namespace cajal::data {
namespace detail {

std::vector<uint8_t> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw IOError("cannot open '" + path + "': " + std::strerror(errno));
  }
  std::vector<uint8_t> bytes;
  char buffer[1 << 16];
  while (in) {
    in.read(buffer, sizeof(buffer));
    bytes.insert(bytes.end(), buffer, buffer + in.gcount());
  }
  if (in.bad()) {
    throw IOError("error reading '" + path + "'");
  }
  return bytes;
}

bool is_gzip(const uint8_t* bytes, size_t size) {
  return size >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b;
}

namespace {

// Inflates up to `limit` bytes; `exceeded` tells whether the stream held more than that.
std::vector<uint8_t> inflate_up_to(const uint8_t* bytes, size_t size, const std::string& name,
                                   size_t limit, bool& exceeded) {
  exceeded = false;
  z_stream stream{};
  // 16 + MAX_WBITS: expect a gzip wrapper and check its CRC and length trailer.
  if (inflateInit2(&stream, 16 + MAX_WBITS) != Z_OK) {
    throw IOError(name + ": cannot initialize gzip decompression");
  }
  std::vector<uint8_t> output;
  output.reserve(std::min(limit, size * 4 + 1024));
  size_t consumed = 0;
  uint8_t chunk[1 << 16];
  std::string error;
  while (true) {
    // zlib counts in 32-bit units; feed huge inputs piecewise.
    if (stream.avail_in == 0 && consumed < size) {
      size_t piece = std::min<size_t>(size - consumed, std::numeric_limits<uInt>::max());
      stream.next_in = const_cast<Bytef*>(bytes + consumed);
      stream.avail_in = static_cast<uInt>(piece);
      consumed += piece;
    }
    stream.next_out = chunk;
    stream.avail_out = sizeof(chunk);
    int status = inflate(&stream, Z_NO_FLUSH);
    size_t produced = sizeof(chunk) - stream.avail_out;
    if (output.size() + produced > limit) {
      output.insert(output.end(), chunk, chunk + (limit - output.size()));
      exceeded = true;
      break;
    }
    output.insert(output.end(), chunk, chunk + produced);
    if (status == Z_STREAM_END) {
      // Another gzip member may follow (gzip files may be concatenations).
      if (stream.avail_in == 0 && consumed == size) break;
      if (inflateReset(&stream) != Z_OK) {
        error = "cannot restart gzip decompression";
        break;
      }
      continue;
    }
    if (status == Z_BUF_ERROR && stream.avail_in == 0 && consumed == size) {
      error = "gzip data is truncated";
      break;
    }
    if (status != Z_OK && status != Z_BUF_ERROR) {
      error =
          std::string("gzip data is corrupt (") + (stream.msg ? stream.msg : "zlib error") + ")";
      break;
    }
  }
  inflateEnd(&stream);
  if (!error.empty()) {
    throw IOError(name + ": " + error);
  }
  return output;
}

}  // namespace

std::vector<uint8_t> gunzip(const uint8_t* bytes, size_t size, const std::string& name,
                            size_t max_output) {
  bool exceeded = false;
  std::vector<uint8_t> output = inflate_up_to(bytes, size, name, max_output, exceeded);
  if (exceeded) {
    throw IOError(name + ": decompressed data is larger than the expected " +
                  std::to_string(max_output) + " bytes");
  }
  return output;
}

std::vector<uint8_t> gunzip_prefix(const uint8_t* bytes, size_t size, const std::string& name,
                                   size_t count) {
  bool exceeded = false;
  return inflate_up_to(bytes, size, name, count, exceeded);
}

}  // namespace detail

namespace {

uint32_t read_big_endian_u32(const uint8_t* p) {
  return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | uint32_t(p[3]);
}

struct IdxType {
  const char* name;
  size_t size;
  Dtype dtype;
};

bool idx_type(uint8_t code, IdxType& type) {
  switch (code) {
    case 0x08:
      type = {"unsigned byte", 1, Dtype::uint8};
      return true;
    case 0x09:
      type = {"signed byte", 1, Dtype::int64};
      return true;
    case 0x0B:
      type = {"int16", 2, Dtype::int64};
      return true;
    case 0x0C:
      type = {"int32", 4, Dtype::int64};
      return true;
    case 0x0D:
      type = {"float32", 4, Dtype::float32};
      return true;
    case 0x0E:
      type = {"float64", 8, Dtype::float64};
      return true;
    default:
      return false;
  }
}

struct IdxHeader {
  IdxType type;
  Shape shape;
  size_t header_bytes = 0;
  size_t data_bytes = 0;  // what the dims claim
};

std::string hex_byte(uint8_t value) {
  const char* digits = "0123456789abcdef";
  return std::string("0x") + digits[value >> 4] + digits[value & 15];
}

// The magic number and dims; IOError when they are malformed or claim absurd sizes.
IdxHeader parse_header(const uint8_t* bytes, size_t size, const std::string& name) {
  if (size < 4) {
    throw IOError(name + ": truncated IDX header (" + std::to_string(size) +
                  " bytes, need at least 4)");
  }
  if (bytes[0] != 0 || bytes[1] != 0) {
    throw IOError(name + ": not an IDX file (magic number starts with " + hex_byte(bytes[0]) + " " +
                  hex_byte(bytes[1]) + ", expected 0x00 0x00)");
  }
  IdxHeader header;
  if (!idx_type(bytes[2], header.type)) {
    throw IOError(name + ": unknown IDX element type " + hex_byte(bytes[2]) +
                  " (expected 0x08, 0x09, 0x0b, 0x0c, 0x0d or 0x0e)");
  }
  size_t rank = bytes[3];
  header.header_bytes = 4 + 4 * rank;
  if (size < header.header_bytes) {
    throw IOError(name + ": truncated IDX header (" + std::to_string(rank) + " dims need " +
                  std::to_string(header.header_bytes) + " bytes, file has " + std::to_string(size) +
                  ")");
  }
  // Each dim is < 2^32; the product is checked against 2^62 bytes before every multiplication
  // so it cannot overflow (and no file is that large).
  constexpr uint64_t kLimit = uint64_t(1) << 62;
  uint64_t bytes_claimed = header.type.size;
  bool too_big = false;
  bool empty = false;
  for (size_t d = 0; d < rank; ++d) {
    uint32_t dim = read_big_endian_u32(bytes + 4 + 4 * d);
    header.shape.push_back(dim);
    if (dim == 0) {
      empty = true;
    } else if (!too_big) {
      if (bytes_claimed > kLimit / dim) {
        too_big = true;
      } else {
        bytes_claimed *= dim;
      }
    }
  }
  // Even an empty tensor must have a shape whose strides fit in int64.
  if (too_big) {
    throw IOError(name + ": IDX dims " + shape_string(header.shape) +
                  " claim more data than any file holds");
  }
  header.data_bytes = empty ? 0 : bytes_claimed;
  return header;
}

template <typename Source, typename Target>
void convert_big_endian(const uint8_t* source, Target* target, size_t count) {
  for (size_t i = 0; i < count; ++i) {
    uint8_t swapped[sizeof(Source)];
    for (size_t b = 0; b < sizeof(Source); ++b) {
      swapped[b] = source[i * sizeof(Source) + sizeof(Source) - 1 - b];
    }
    Source value;
    std::memcpy(&value, swapped, sizeof(Source));
    target[i] = static_cast<Target>(value);
  }
}

Tensor decode(const IdxHeader& header, const uint8_t* data, size_t count) {
  Tensor result = empty(header.shape, header.type.dtype);
  const std::string type = header.type.name;
  if (type == "unsigned byte") {
    if (count > 0) std::memcpy(result.data_ptr<uint8_t>(), data, count);
  } else if (type == "signed byte") {
    convert_big_endian<int8_t>(data, result.data_ptr<int64_t>(), count);
  } else if (type == "int16") {
    convert_big_endian<int16_t>(data, result.data_ptr<int64_t>(), count);
  } else if (type == "int32") {
    convert_big_endian<int32_t>(data, result.data_ptr<int64_t>(), count);
  } else if (type == "float32") {
    convert_big_endian<float>(data, result.data_ptr<float>(), count);
  } else {
    convert_big_endian<double>(data, result.data_ptr<double>(), count);
  }
  return result;
}

Tensor parse_raw(const uint8_t* bytes, size_t size, const std::string& name) {
  IdxHeader header = parse_header(bytes, size, name);
  size_t available = size - header.header_bytes;
  if (available < header.data_bytes) {
    throw IOError(name + ": truncated IDX data (dims " + shape_string(header.shape) + " of " +
                  header.type.name + " need " + std::to_string(header.data_bytes) +
                  " bytes, file has " + std::to_string(available) + ")");
  }
  if (available > header.data_bytes) {
    throw IOError(name + ": " + std::to_string(available - header.data_bytes) +
                  " unexpected bytes after the IDX data (dims " + shape_string(header.shape) +
                  " of " + header.type.name + " need " + std::to_string(header.data_bytes) + ")");
  }
  return decode(header, bytes + header.header_bytes, header.data_bytes / header.type.size);
}

}  // namespace

Tensor parse_idx(const uint8_t* bytes, size_t size, const std::string& name) {
  if (!detail::is_gzip(bytes, size)) {
    return parse_raw(bytes, size, name);
  }
  // Read the header first, so the full decompression can stop one byte past what the dims
  // claim: a lying header or a decompression bomb never makes us hold more than that.
  std::vector<uint8_t> head = detail::gunzip_prefix(bytes, size, name, 4);
  if (head.size() == 4) {
    head = detail::gunzip_prefix(bytes, size, name, 4 + 4 * size_t(head[3]));
  }
  IdxHeader header = parse_header(head.data(), head.size(), name);
  std::vector<uint8_t> raw =
      detail::gunzip(bytes, size, name, header.header_bytes + header.data_bytes);
  return parse_raw(raw.data(), raw.size(), name);
}

Tensor read_idx(const std::string& path) {
  std::vector<uint8_t> bytes = detail::read_file(path);
  return parse_idx(bytes.data(), bytes.size(), path);
}

}  // namespace cajal::data
