#pragma once
// Containers: Sequential (a chain), ModuleList (a list to index), Residual (a skip connection
// around any module) and Identity.
//
//   nn::Sequential net{nn::Linear({.in_features = 4, .out_features = 8}), nn::ReLU(),
//                      nn::Linear({.in_features = 8, .out_features = 1})};
//   Tensor y = net(x);            // x: [N, 4] -> [N, 1]
//   auto first = net.at<nn::Linear>(0);
#include <concepts>
#include <memory>
#include <type_traits>
#include <vector>

#include "cajal/nn/module.h"

namespace cajal::nn {

namespace detail {
template <typename M>
concept ModuleArgument = std::derived_from<std::decay_t<M>, Module> ||
    std::convertible_to<std::decay_t<M>, std::shared_ptr<Module>>;
}  // namespace detail

// Children named "0", "1", ... in order.
class ModuleList : public Module {
 public:
  ModuleList() : Module("ModuleList") {}
  template <detail::ModuleArgument... M>
  requires(sizeof...(M) > 0 &&
           !(sizeof...(M) == 1 && (std::is_same_v<std::decay_t<M>, ModuleList> &&
                                   ...))) explicit ModuleList(M&&... modules)
      : ModuleList() {
    (push_back(std::forward<M>(modules)), ...);
  }
  explicit ModuleList(const std::vector<std::shared_ptr<Module>>& modules);

  template <detail::ModuleArgument M>
  void push_back(M&& module) {
    append(detail::to_module_pointer(std::forward<M>(module)));
  }
  size_t size() const { return modules_.size(); }
  bool empty() const { return modules_.empty(); }
  // IndexError when out of range; negative counts from the end.
  const std::shared_ptr<Module>& operator[](int64_t index) const;
  template <typename M>
  std::shared_ptr<M> at(int64_t index) const;
  auto begin() const { return modules_.begin(); }
  auto end() const { return modules_.end(); }

 protected:
  ModuleList(std::string type_name) : Module(std::move(type_name)) {}  // for Sequential
  void append(std::shared_ptr<Module> module);

 private:
  std::vector<std::shared_ptr<Module>> modules_;
};

// Applies its children in order: x -> m0(x) -> m1(m0(x)) -> ...
class Sequential : public ModuleList {
 public:
  Sequential() : ModuleList("Sequential") {}
  template <detail::ModuleArgument... M>
  requires(sizeof...(M) > 0 &&
           !(sizeof...(M) == 1 && (std::is_same_v<std::decay_t<M>, Sequential> &&
                                   ...))) explicit Sequential(M&&... modules)
      : Sequential() {
    (push_back(std::forward<M>(modules)), ...);
  }
  explicit Sequential(const std::vector<std::shared_ptr<Module>>& modules);

  Tensor forward(const Tensor& input) override;
};

// A skip connection: y = main(x) + shortcut(x), where the shortcut is the identity unless given
// (a 1x1 convolution or a Linear when main changes the shape). ShapeError when the two do not
// have the same shape.
class Residual : public Module {
 public:
  template <detail::ModuleArgument M>
  explicit Residual(M&& main) : Module("Residual") {
    main_ = add(std::string("main"), detail::to_module_pointer(std::forward<M>(main)));
  }
  template <detail::ModuleArgument M, detail::ModuleArgument S>
  Residual(M&& main, S&& shortcut) : Residual(std::forward<M>(main)) {
    shortcut_ = add(std::string("shortcut"), detail::to_module_pointer(std::forward<S>(shortcut)));
  }

  Tensor forward(const Tensor& input) override;
  const std::shared_ptr<Module>& main() const { return main_; }
  const std::shared_ptr<Module>& shortcut() const { return shortcut_; }  // null: identity

 private:
  std::shared_ptr<Module> add(const std::string& name, std::shared_ptr<Module> module) {
    return register_module(name, std::move(module));
  }
  std::shared_ptr<Module> main_;
  std::shared_ptr<Module> shortcut_;
};

// y = x. A placeholder where a network expects a module (a removed head, a plain shortcut).
class Identity : public Module {
 public:
  Identity() : Module("Identity") {}
  Tensor forward(const Tensor& input) override { return input; }
};

template <typename M>
std::shared_ptr<M> ModuleList::at(int64_t index) const {
  const std::shared_ptr<Module>& module = (*this)[index];
  auto cast = std::dynamic_pointer_cast<M>(module);
  if (!cast) {
    throw ValueError(type_name() + ": element " + std::to_string(index) + " is a " +
                     module->type_name() + ", not the requested type");
  }
  return cast;
}

}  // namespace cajal::nn
