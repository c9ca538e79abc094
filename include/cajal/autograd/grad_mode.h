#pragma once
// Whether ops record the graph. Per thread, on by default.

namespace cajal {

bool is_grad_enabled();
void set_grad_enabled(bool enabled);

// RAII: ops inside its scope record nothing (inference, optimizer updates).
//   { no_grad guard; y = model(x); }
class no_grad {
 public:
  no_grad();
  ~no_grad();
  no_grad(const no_grad&) = delete;
  no_grad& operator=(const no_grad&) = delete;

 private:
  bool previous_;
};

// RAII: turns recording back on inside a no_grad scope.
class enable_grad {
 public:
  enable_grad();
  ~enable_grad();
  enable_grad(const enable_grad&) = delete;
  enable_grad& operator=(const enable_grad&) = delete;

 private:
  bool previous_;
};

}  // namespace cajal
