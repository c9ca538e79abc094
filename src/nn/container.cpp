#include "cajal/nn/container.h"

#include "cajal/ops/arithmetic.h"

namespace cajal::nn {

ModuleList::ModuleList(const std::vector<std::shared_ptr<Module>>& modules) : ModuleList() {
  for (const auto& module : modules) append(module);
}

void ModuleList::append(std::shared_ptr<Module> module) {
  if (!module) throw ValueError(type_name() + ": cannot add a null module");
  register_module(std::to_string(modules_.size()), module);
  modules_.push_back(std::move(module));
}

const std::shared_ptr<Module>& ModuleList::operator[](int64_t index) const {
  int64_t size = static_cast<int64_t>(modules_.size());
  int64_t i = index < 0 ? index + size : index;
  if (i < 0 || i >= size) {
    throw IndexError(type_name() + ": index " + std::to_string(index) + " is out of range for " +
                     std::to_string(size) + " modules");
  }
  return modules_[static_cast<size_t>(i)];
}

Sequential::Sequential(const std::vector<std::shared_ptr<Module>>& modules) : Sequential() {
  for (const auto& module : modules) append(module);
}

Tensor Sequential::forward(const Tensor& input) {
  Tensor x = input;
  for (const auto& module : *this) x = (*module)(x);
  return x;
}

Tensor Residual::forward(const Tensor& input) {
  Tensor main_out = (*main_)(input);
  Tensor skip = shortcut_ ? (*shortcut_)(input) : input;
  if (main_out.shape() != skip.shape()) {
    throw ShapeError("Residual: the main branch gives " + shape_string(main_out.shape()) +
                     " but the shortcut gives " + shape_string(skip.shape()) +
                     "; give a shortcut module that matches the shapes");
  }
  return main_out + skip;
}

}  // namespace cajal::nn
