#include "cajal/data/npy.h"

#include <unistd.h>

#include <bit>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>

#include "cajal/core/atomic_file.h"
#include "cajal/data/idx.h"

namespace cajal::data {
namespace {

static_assert(std::endian::native == std::endian::little,
              "the NPY reader and writer assume a little-endian host");

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicSize = 6;

struct NpyType {
  char kind = 0;      // 'f', 'i', 'u' or 'b'
  size_t size = 0;    // bytes per element
  bool swap = false;  // stored big-endian
  Dtype dtype = Dtype::float32;
};

struct NpyHeader {
  NpyType type;
  bool fortran_order = false;
  Shape shape;
};

// A parser for the one Python literal numpy writes: a dict of three known keys.
class HeaderParser {
 public:
  HeaderParser(const std::string& text, const std::string& name) : text_(text), name_(name) {}

  NpyHeader parse() {
    NpyHeader header;
    bool have_descr = false, have_order = false, have_shape = false;
    skip_space();
    expect('{');
    while (true) {
      skip_space();
      if (peek() == '}') break;
      std::string key = parse_string();
      skip_space();
      expect(':');
      skip_space();
      if (key == "descr") {
        header.type = parse_type(parse_string());
        have_descr = true;
      } else if (key == "fortran_order") {
        header.fortran_order = parse_bool();
        have_order = true;
      } else if (key == "shape") {
        header.shape = parse_shape();
        have_shape = true;
      } else {
        fail("unexpected key '" + key + "'");
      }
      skip_space();
      if (peek() == ',') {
        ++position_;
        continue;
      }
      if (peek() != '}') fail("expected ',' or '}'");
    }
    ++position_;
    skip_space();
    if (position_ != text_.size()) fail("unexpected text after the header dict");
    if (!have_descr || !have_order || !have_shape) {
      fail("header lacks one of 'descr', 'fortran_order', 'shape'");
    }
    return header;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw IOError(name_ + ": malformed NPY header: " + what + " at offset " +
                  std::to_string(position_));
  }
  char peek() const { return position_ < text_.size() ? text_[position_] : '\0'; }
  void skip_space() {
    while (position_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[position_])))
      ++position_;
  }
  void expect(char c) {
    if (peek() != c) fail(std::string("expected '") + c + "'");
    ++position_;
  }
  std::string parse_string() {
    char quote = peek();
    if (quote != '\'' && quote != '"') fail("expected a quoted string");
    size_t end = text_.find(quote, position_ + 1);
    if (end == std::string::npos) fail("unterminated string");
    std::string value = text_.substr(position_ + 1, end - position_ - 1);
    position_ = end + 1;
    return value;
  }
  bool parse_bool() {
    if (text_.compare(position_, 4, "True") == 0) {
      position_ += 4;
      return true;
    }
    if (text_.compare(position_, 5, "False") == 0) {
      position_ += 5;
      return false;
    }
    fail("expected True or False");
  }
  Shape parse_shape() {
    Shape shape;
    expect('(');
    while (true) {
      skip_space();
      if (peek() == ')') break;
      if (!std::isdigit(static_cast<unsigned char>(peek()))) fail("expected a dimension");
      int64_t dim = 0;
      while (std::isdigit(static_cast<unsigned char>(peek()))) {
        if (dim > (int64_t(1) << 56)) fail("dimension too large");
        dim = dim * 10 + (text_[position_++] - '0');
      }
      if (peek() == 'L') ++position_;  // Python 2 longs
      shape.push_back(dim);
      skip_space();
      if (peek() == ',') {
        ++position_;
      } else if (peek() != ')') {
        fail("expected ',' or ')' in shape");
      }
    }
    ++position_;
    return shape;
  }
  NpyType parse_type(const std::string& descr) {
    NpyType type;
    if (descr.size() == 3) {
      char order = descr[0];
      type.kind = descr[1];
      type.size = size_t(descr[2] - '0');
      bool known_order = order == '<' || order == '>' || order == '|' || order == '=';
      type.swap = order == '>' && type.size > 1;
      bool known = known_order;
      switch (type.kind) {
        case 'f':
          known = known && (type.size == 4 || type.size == 8);
          type.dtype = type.size == 4 ? Dtype::float32 : Dtype::float64;
          break;
        case 'i':
          known = known && (type.size == 1 || type.size == 2 || type.size == 4 || type.size == 8);
          type.dtype = Dtype::int64;
          break;
        case 'u':
          known = known && type.size == 1;
          type.dtype = Dtype::uint8;
          break;
        case 'b':
          known = known && type.size == 1;
          type.dtype = Dtype::bool_;
          break;
        default:
          known = false;
      }
      if (known) return type;
    }
    throw IOError(name_ + ": unsupported NPY dtype '" + descr +
                  "' (supported: f4 f8 i1 i2 i4 i8 u1 b1)");
  }

  const std::string& text_;
  const std::string& name_;
  size_t position_ = 0;
};

template <typename Source, typename Target>
void convert(const uint8_t* source, Target* target, size_t count, bool swap) {
  for (size_t i = 0; i < count; ++i) {
    uint8_t raw[sizeof(Source)];
    std::memcpy(raw, source + i * sizeof(Source), sizeof(Source));
    if (swap) {
      for (size_t b = 0; b < sizeof(Source) / 2; ++b)
        std::swap(raw[b], raw[sizeof(Source) - 1 - b]);
    }
    Source value;
    std::memcpy(&value, raw, sizeof(Source));
    target[i] = static_cast<Target>(value);
  }
}

Tensor decode(const NpyType& type, const Shape& shape, const uint8_t* data, size_t count) {
  Tensor result = empty(shape, type.dtype);
  if (count == 0) return result;
  switch (type.kind) {
    case 'f':
      if (type.size == 4) {
        convert<float>(data, result.data_ptr<float>(), count, type.swap);
      } else {
        convert<double>(data, result.data_ptr<double>(), count, type.swap);
      }
      break;
    case 'i': {
      int64_t* out = result.data_ptr<int64_t>();
      if (type.size == 1) convert<int8_t>(data, out, count, false);
      if (type.size == 2) convert<int16_t>(data, out, count, type.swap);
      if (type.size == 4) convert<int32_t>(data, out, count, type.swap);
      if (type.size == 8) convert<int64_t>(data, out, count, type.swap);
      break;
    }
    case 'u':
      std::memcpy(result.data_ptr<uint8_t>(), data, count);
      break;
    default: {  // 'b': any nonzero byte is true (a bool must hold 0 or 1)
      bool* out = result.data_ptr<bool>();
      for (size_t i = 0; i < count; ++i) out[i] = data[i] != 0;
    }
  }
  return result;
}

std::string descr_of(Dtype dtype) {
  switch (dtype) {
    case Dtype::float32:
      return "<f4";
    case Dtype::float64:
      return "<f8";
    case Dtype::int64:
      return "<i8";
    case Dtype::uint8:
      return "|u1";
    case Dtype::bool_:
      return "|b1";
  }
  throw ValueError("write_npy: unsupported dtype");
}

}  // namespace

Tensor parse_npy(const uint8_t* bytes, size_t size, const std::string& name) {
  if (size < kMagicSize + 2 || std::memcmp(bytes, kMagic, kMagicSize) != 0) {
    throw IOError(name + ": not an NPY file (missing the \\x93NUMPY magic string)");
  }
  uint8_t major = bytes[6], minor = bytes[7];
  size_t length_bytes = 0;
  if (major == 1 && minor == 0) {
    length_bytes = 2;
  } else if ((major == 2 || major == 3) && minor == 0) {
    length_bytes = 4;
  } else {
    throw IOError(name + ": unsupported NPY format version " + std::to_string(major) + "." +
                  std::to_string(minor) + " (supported: 1.0, 2.0, 3.0)");
  }
  size_t prefix = kMagicSize + 2 + length_bytes;
  if (size < prefix) throw IOError(name + ": truncated NPY header");
  size_t header_length = 0;
  for (size_t i = 0; i < length_bytes; ++i) header_length |= size_t(bytes[8 + i]) << (8 * i);
  if (header_length > size - prefix) {
    throw IOError(name + ": truncated NPY header (claims " + std::to_string(header_length) +
                  " bytes, file has " + std::to_string(size - prefix) + " after the prefix)");
  }
  std::string text(reinterpret_cast<const char*>(bytes + prefix), header_length);
  NpyHeader header = HeaderParser(text, name).parse();

  const uint8_t* data = bytes + prefix + header_length;
  size_t available = size - prefix - header_length;
  // Check the claimed size against the data before allocating anything.
  // The product of the nonzero dims is bounded (2^60) even for an empty array, so its strides fit
  // in int64; checked before each multiplication, so it cannot overflow.
  constexpr size_t kLimit = size_t(1) << 60;
  size_t count = 1;
  bool empty_array = false;
  bool too_big = false;
  for (int64_t dim : header.shape) {
    if (dim == 0) {
      empty_array = true;
    } else if (count > kLimit / size_t(dim)) {
      too_big = true;
      break;
    } else {
      count *= size_t(dim);
    }
  }
  if (empty_array && !too_big) count = 0;
  if (too_big || count * header.type.size > available) {
    throw IOError(name + ": truncated NPY data (shape " + shape_string(header.shape) + " of " +
                  std::to_string(header.type.size) + "-byte elements, file has " +
                  std::to_string(available) + " data bytes)");
  }
  if (count * header.type.size != available) {
    throw IOError(name + ": " + std::to_string(available - count * header.type.size) +
                  " unexpected bytes after the NPY data (shape " + shape_string(header.shape) +
                  ")");
  }
  if (!header.fortran_order || header.shape.size() < 2)
    return decode(header.type, header.shape, data, count);
  // Fortran order: the data is the C-order array of the reversed shape, transposed.
  Shape reversed(header.shape.rbegin(), header.shape.rend());
  Tensor stored = decode(header.type, reversed, data, count);
  Dims order;
  for (int64_t d = int64_t(reversed.size()) - 1; d >= 0; --d) order.push_back(d);
  return stored.permute(order).contiguous();
}

Tensor read_npy(const std::string& path) {
  std::vector<uint8_t> bytes = detail::read_file(path);
  return parse_npy(bytes.data(), bytes.size(), path);
}

std::vector<uint8_t> encode_npy(const Tensor& tensor) {
  if (!tensor.defined()) throw ValueError("write_npy: the tensor is undefined");
  std::string header =
      "{'descr': '" + descr_of(tensor.dtype()) + "', 'fortran_order': False, " + "'shape': (";
  for (size_t d = 0; d < tensor.shape().size(); ++d) {
    header += std::to_string(tensor.shape()[d]);
    if (tensor.shape().size() == 1 || d + 1 < tensor.shape().size()) header += ",";
    if (d + 1 < tensor.shape().size()) header += " ";
  }
  header += "), }";
  // Pad with spaces and end with a newline so the data starts on a 64-byte boundary, as numpy
  // does; version 2.0 only when the header does not fit 1.0's 16-bit length.
  size_t prefix = kMagicSize + 2 + 2;
  int major = 1;
  if (header.size() + 1 + 64 > 65535) {
    prefix = kMagicSize + 2 + 4;
    major = 2;
  }
  size_t total = prefix + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';

  Tensor data = tensor.detach().contiguous();
  size_t data_bytes = size_t(data.numel()) * data.element_size();
  // Assembled with memcpy: GCC 12 reports a false -Wstringop-overflow for vector::insert here.
  std::vector<uint8_t> bytes(prefix + header.size() + data_bytes);
  std::memcpy(bytes.data(), kMagic, kMagicSize);
  bytes[kMagicSize] = uint8_t(major);
  bytes[kMagicSize + 1] = 0;
  for (size_t i = 0; i < prefix - kMagicSize - 2; ++i) {
    bytes[kMagicSize + 2 + i] = uint8_t(header.size() >> (8 * i));
  }
  std::memcpy(bytes.data() + prefix, header.data(), header.size());
  if (data_bytes > 0) {
    std::memcpy(bytes.data() + prefix + header.size(), data.raw_data(), data_bytes);
  }
  return bytes;
}

void write_npy(const std::string& path, const Tensor& tensor) {
  std::vector<uint8_t> bytes = encode_npy(tensor);
  try {
    write_file_atomically(
        path, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  } catch (const IOError& error) {
    throw IOError(std::string("write_npy: ") + error.what());
  }
}

}  // namespace cajal::data
