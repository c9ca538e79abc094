#pragma once
// Module: the base of every layer and network. A module owns named parameters (tensors the
// optimizer trains), named buffers (state that is saved but not trained, like BatchNorm's running
// statistics) and named submodules, and switches between training and evaluation behaviour.
//
//   class TwoLayer : public nn::Module {
//    public:
//     TwoLayer() : Module("TwoLayer") {
//       fc1 = register_module("fc1", nn::Linear({.in_features = 4, .out_features = 8}));
//       fc2 = register_module("fc2", nn::Linear({.in_features = 8, .out_features = 1}));
//     }
//     Tensor forward(const Tensor& x) override { return (*fc2)(relu((*fc1)(x))); }
//     std::shared_ptr<nn::Linear> fc1, fc2;
//   };
//
// Copying a module copies handles: the copy shares parameters, buffers and submodules with the
// original (as assigning a Python module to a second name does).
#include <concepts>
#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "cajal/core/ordered_dict.h"
#include "cajal/core/tensor.h"

namespace cajal::nn {

class Module {
 public:
  explicit Module(std::string type_name);
  virtual ~Module() = default;
  Module(const Module&) = default;
  Module(Module&&) = default;
  Module& operator=(const Module&) = default;
  Module& operator=(Module&&) = default;

  // The computation of a module that maps one tensor to one tensor (what Sequential chains).
  // Modules with other signatures (losses, attention, recurrent layers) declare their own
  // forward; this one then throws ValueError naming the module.
  virtual Tensor forward(const Tensor& input);
  // Calls forward and lets summary() observe the call. Call submodules through operator(), not
  // forward(), so summaries see them.
  Tensor operator()(const Tensor& input);

  // "Linear", "Sequential", ...
  const std::string& type_name() const { return type_name_; }
  // The options shown after the type when printing: "in_features=4, out_features=8, bias=true".
  virtual std::string extra_repr() const { return ""; }

  // Parameters in registration order, own before submodules'. A tensor registered in two places
  // is listed once (the first name wins).
  std::vector<Tensor> parameters(bool recurse = true) const;
  OrderedDict<Tensor> named_parameters(bool recurse = true) const;  // "0.weight", "fc1.bias"
  std::vector<Tensor> buffers(bool recurse = true) const;
  OrderedDict<Tensor> named_buffers(bool recurse = true) const;
  std::vector<std::shared_ptr<Module>> children() const;
  const OrderedDict<std::shared_ptr<Module>>& named_children() const { return children_; }
  // This module (named "") and every descendant, depth first, by qualified name.
  OrderedDict<Module*> named_modules();
  OrderedDict<const Module*> named_modules() const;

  // Parameters and persistent buffers by qualified name. The tensors share storage with the
  // module (as in PyTorch): clone them to keep a snapshot while training goes on.
  StateDict state_dict() const;
  struct LoadResult {
    std::vector<std::string> missing_keys;
    std::vector<std::string> unexpected_keys;
  };
  // Copies values into the module's tensors (converting dtype). A shape mismatch is always a
  // ValueError; with strict, so are missing and unexpected keys. The error lists every problem.
  // Nothing is copied unless everything fits.
  LoadResult load_state_dict(const StateDict& state, bool strict = true);

  // Training mode (dropout active, batch statistics) or evaluation mode; applies to submodules.
  Module& train(bool training = true);
  Module& eval() { return train(false); }
  bool is_training() const { return training_; }

  // Clears every parameter's gradient (set_to_none) or fills it with zeros.
  void zero_grad(bool set_to_none = true);
  // Freezes (false) or unfreezes every parameter, for transfer learning: freeze a trunk, train a
  // head. A single parameter is frozen with tensor.requires_grad_(false).
  Module& requires_grad_(bool requires_grad = true);
  // Converts floating-point parameters and buffers to `dtype` in place: every handle to them (the
  // layer's members, an optimizer's list) sees the new dtype. Do it before creating optimizers.
  Module& to(Dtype dtype);

  // Looks up a direct submodule and casts it; ValueError when missing or of another type.
  template <typename M>
  std::shared_ptr<M> child(const std::string& name) const;

 protected:
  // Registers a trainable tensor (a leaf: it is detached and set to require grad). Returns the
  // handle to keep as a member. An undefined tensor registers nothing (a layer without bias).
  Tensor register_parameter(const std::string& name, Tensor tensor, bool requires_grad = true);
  // Registers a state tensor; persistent buffers are part of state_dict().
  Tensor register_buffer(const std::string& name, Tensor tensor, bool persistent = true);
  // Registers a submodule, given by value (moved into shared ownership) or by shared_ptr.
  template <typename M>
  requires std::derived_from<std::decay_t<M>, Module> std::shared_ptr<std::decay_t<M>>
  register_module(const std::string& name, M&& module) {
    auto pointer = std::make_shared<std::decay_t<M>>(std::forward<M>(module));
    add_child(name, pointer);
    return pointer;
  }
  template <typename M>
  std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> module) {
    add_child(name, module);
    return module;
  }
  // Replaces a buffer's tensor (BatchNorm's num_batches_tracked after load, for example).
  void set_buffer(const std::string& name, Tensor tensor);

 private:
  void add_child(const std::string& name, std::shared_ptr<Module> module);
  void check_name(const std::string& name, const char* what) const;

  std::string type_name_;
  bool training_ = true;
  OrderedDict<Tensor> parameters_;
  OrderedDict<Tensor> buffers_;
  std::vector<std::string> non_persistent_;
  OrderedDict<std::shared_ptr<Module>> children_;
};

// Prints the module tree as PyTorch does:
//   Sequential(
//     (0): Linear(in_features=4, out_features=8, bias=true)
//     (1): ReLU()
//   )
std::ostream& operator<<(std::ostream& os, const Module& module);
std::string to_string(const Module& module);

// Counts of parameter elements (each shared tensor once).
int64_t count_parameters(const Module& module, bool trainable_only = false);

template <typename M>
std::shared_ptr<M> Module::child(const std::string& name) const {
  const std::shared_ptr<Module>* found = children_.find(name);
  if (found == nullptr) {
    throw ValueError(type_name_ + ": no submodule named '" + name + "'");
  }
  auto cast = std::dynamic_pointer_cast<M>(*found);
  if (!cast) {
    throw ValueError(type_name_ + ": submodule '" + name + "' is a " + (*found)->type_name() +
                     ", not the requested type");
  }
  return cast;
}

namespace detail {
// Wraps a module value or shared_ptr into shared ownership (for containers).
template <typename M>
std::shared_ptr<Module> to_module_pointer(M&& module) {
  if constexpr (requires { std::shared_ptr<Module>(module); }) {
    return std::shared_ptr<Module>(module);
  } else {
    return std::make_shared<std::decay_t<M>>(std::forward<M>(module));
  }
}

// What summary() listens to: called after every Module::operator() on this thread.
class ForwardObserver {
 public:
  virtual ~ForwardObserver() = default;
  virtual void on_forward(const Module& module, const Tensor& input, const Tensor& output) = 0;
};
void set_forward_observer(ForwardObserver* observer);  // nullptr: none
}  // namespace detail

}  // namespace cajal::nn
