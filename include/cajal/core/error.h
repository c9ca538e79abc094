#pragma once
// The error types cajal throws. Every message names the op or option and the offending values:
//   matmul: shapes [32, 784] and [256, 10] do not align (784 != 256)
#include <stdexcept>
#include <string>

namespace cajal {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Shapes that do not fit together (broadcasting, matmul, view of incompatible size).
class ShapeError : public Error {
 public:
  using Error::Error;
};

// A value outside what an op or option accepts, or a dtype the op does not support.
class ValueError : public Error {
 public:
  using Error::Error;
};

// A dimension or an element index out of range.
class IndexError : public Error {
 public:
  using Error::Error;
};

// Reading or writing a file failed or the file is malformed.
class IOError : public Error {
 public:
  using Error::Error;
};

// A model specification is invalid; the message points at the offending key.
class SpecError : public Error {
 public:
  using Error::Error;
};

}  // namespace cajal
