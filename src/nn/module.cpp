#include "cajal/nn/module.h"

#include <algorithm>
#include <sstream>
#include <unordered_set>

#include "cajal/autograd/engine.h"
#include "cajal/autograd/grad_mode.h"

namespace cajal::nn {
namespace {

thread_local detail::ForwardObserver* forward_observer = nullptr;

// Visits this module and its descendants depth first with their qualified names.
template <typename ModuleT, typename F>
void walk(ModuleT& module, const std::string& prefix, F&& visit) {
  visit(prefix, module);
  for (const auto& [name, child] : module.named_children()) {
    walk(static_cast<ModuleT&>(*child), prefix.empty() ? name : prefix + "." + name, visit);
  }
}

std::string join(const std::string& prefix, const std::string& name) {
  return prefix.empty() ? name : prefix + "." + name;
}

// Gives a leaf tensor new contents (dtype, storage) while every handle to it stays valid.
void replace_data(const Tensor& target, const Tensor& source) {
  TensorImpl& impl = *target.impl();
  const TensorImpl& from = *source.impl();
  impl.storage = from.storage;
  impl.shape = from.shape;
  impl.strides = from.strides;
  impl.offset = from.offset;
  impl.dtype = from.dtype;
  if (impl.grad.defined()) impl.grad = impl.grad.to(from.dtype).detach();
}

}  // namespace

namespace detail {
void set_forward_observer(ForwardObserver* observer) { forward_observer = observer; }
}  // namespace detail

Module::Module(std::string type_name) : type_name_(std::move(type_name)) {}

Tensor Module::forward(const Tensor& /*input*/) {
  throw ValueError(type_name_ + ": forward does not take a single tensor");
}

Tensor Module::operator()(const Tensor& input) {
  Tensor output = forward(input);
  if (forward_observer != nullptr) forward_observer->on_forward(*this, input, output);
  return output;
}

void Module::check_name(const std::string& name, const char* what) const {
  if (name.empty() || name.find('.') != std::string::npos) {
    throw ValueError(type_name_ + ": " + what + " name '" + name +
                     "' must be non-empty and contain no '.'");
  }
  if (parameters_.contains(name) || buffers_.contains(name) || children_.contains(name)) {
    throw ValueError(type_name_ + ": the name '" + name + "' is already registered");
  }
}

Tensor Module::register_parameter(const std::string& name, Tensor tensor, bool requires_grad) {
  check_name(name, "parameter");
  if (!tensor.defined()) return tensor;
  if (!tensor.is_floating_point()) {
    throw ValueError(type_name_ + ": parameter '" + name + "' must be floating point, got " +
                     std::string(dtype_name(tensor.dtype())));
  }
  Tensor leaf = tensor.is_leaf() ? tensor : tensor.detach();
  leaf.requires_grad_(requires_grad);
  parameters_.insert(name, leaf);
  return leaf;
}

Tensor Module::register_buffer(const std::string& name, Tensor tensor, bool persistent) {
  check_name(name, "buffer");
  buffers_.insert(name, tensor);
  if (!persistent) non_persistent_.push_back(name);
  return tensor;
}

void Module::set_buffer(const std::string& name, Tensor tensor) {
  buffers_.at(name) = std::move(tensor);
}

void Module::add_child(const std::string& name, std::shared_ptr<Module> module) {
  check_name(name, "submodule");
  if (!module) throw ValueError(type_name_ + ": submodule '" + name + "' is null");
  children_.insert(name, std::move(module));
}

OrderedDict<Tensor> Module::named_parameters(bool recurse) const {
  OrderedDict<Tensor> out;
  std::unordered_set<const TensorImpl*> seen;
  auto collect = [&](const std::string& prefix, const Module& module) {
    for (const auto& [name, tensor] : module.parameters_) {
      if (seen.insert(tensor.impl()).second) out.insert(join(prefix, name), tensor);
    }
  };
  if (recurse) {
    walk(*this, "", collect);
  } else {
    collect("", *this);
  }
  return out;
}

std::vector<Tensor> Module::parameters(bool recurse) const {
  return named_parameters(recurse).values();
}

OrderedDict<Tensor> Module::named_buffers(bool recurse) const {
  OrderedDict<Tensor> out;
  std::unordered_set<const TensorImpl*> seen;
  auto collect = [&](const std::string& prefix, const Module& module) {
    for (const auto& [name, tensor] : module.buffers_) {
      if (tensor.defined() && seen.insert(tensor.impl()).second) {
        out.insert(join(prefix, name), tensor);
      }
    }
  };
  if (recurse) {
    walk(*this, "", collect);
  } else {
    collect("", *this);
  }
  return out;
}

std::vector<Tensor> Module::buffers(bool recurse) const { return named_buffers(recurse).values(); }

std::vector<std::shared_ptr<Module>> Module::children() const { return children_.values(); }

OrderedDict<Module*> Module::named_modules() {
  OrderedDict<Module*> out;
  std::unordered_set<const Module*> seen;
  walk(*this, "", [&](const std::string& name, Module& module) {
    if (seen.insert(&module).second) out.insert(name, &module);
  });
  return out;
}

OrderedDict<const Module*> Module::named_modules() const {
  OrderedDict<const Module*> out;
  std::unordered_set<const Module*> seen;
  walk(*this, "", [&](const std::string& name, const Module& module) {
    if (seen.insert(&module).second) out.insert(name, &module);
  });
  return out;
}

StateDict Module::state_dict() const {
  StateDict out;
  walk(*this, "", [&](const std::string& prefix, const Module& module) {
    for (const auto& [name, tensor] : module.parameters_) {
      std::string key = join(prefix, name);
      if (!out.contains(key)) out.insert(key, tensor.detach());
    }
    for (const auto& [name, tensor] : module.buffers_) {
      bool persistent = std::find(module.non_persistent_.begin(), module.non_persistent_.end(),
                                  name) == module.non_persistent_.end();
      if (persistent && tensor.defined()) out.insert_or_assign(join(prefix, name), tensor.detach());
    }
  });
  return out;
}

Module::LoadResult Module::load_state_dict(const StateDict& state, bool strict) {
  StateDict own = state_dict();
  LoadResult result;
  std::vector<std::string> mismatches;
  for (const auto& [key, tensor] : own) {
    const Tensor* given = state.find(key);
    if (given == nullptr) {
      result.missing_keys.push_back(key);
    } else if (!given->defined() || given->shape() != tensor.shape()) {
      mismatches.push_back(key + ": expected shape " + shape_string(tensor.shape()) + ", got " +
                           (given->defined() ? shape_string(given->shape()) : "undefined"));
    }
  }
  for (const auto& [key, tensor] : state) {
    if (!own.contains(key)) result.unexpected_keys.push_back(key);
  }
  bool failed = !mismatches.empty() ||
                (strict && (!result.missing_keys.empty() || !result.unexpected_keys.empty()));
  if (failed) {
    std::ostringstream message;
    message << type_name_ << ": load_state_dict failed:";
    auto list = [&](const char* title, const std::vector<std::string>& keys) {
      if (keys.empty()) return;
      message << "\n  " << title << ":";
      for (const std::string& key : keys) message << " " << key << ";";
    };
    list("missing keys", strict ? result.missing_keys : std::vector<std::string>{});
    list("unexpected keys", strict ? result.unexpected_keys : std::vector<std::string>{});
    list("shape mismatches", mismatches);
    throw ValueError(message.str());
  }
  no_grad guard;
  for (const auto& [key, tensor] : own) {
    const Tensor* given = state.find(key);
    if (given == nullptr) continue;
    if (given->is_same(tensor) || given->impl()->storage == tensor.impl()->storage) {
      // Loading a module's own state dict into itself (or a view of it): nothing to copy, and
      // copy_ would refuse the overlap.
      if (given->storage_offset() == tensor.storage_offset()) continue;
    }
    Tensor target = tensor;  // detached view of the parameter or buffer
    target.copy_(*given);
  }
  return result;
}

Module& Module::train(bool training) {
  walk(*this, "", [&](const std::string&, Module& module) { module.training_ = training; });
  return *this;
}

void Module::zero_grad(bool set_to_none) { autograd::zero_grad(parameters(), set_to_none); }

Module& Module::requires_grad_(bool requires_grad) {
  for (Tensor param : parameters()) param.requires_grad_(requires_grad);
  return *this;
}

Module& Module::to(Dtype dtype) {
  if (!is_floating_point(dtype)) {
    throw ValueError(type_name_ + ".to: dtype must be floating point, got " +
                     std::string(dtype_name(dtype)));
  }
  no_grad guard;
  auto convert = [&](const Tensor& tensor) {
    if (tensor.defined() && tensor.is_floating_point() && tensor.dtype() != dtype) {
      replace_data(tensor, tensor.detach().to(dtype).contiguous());
    }
  };
  for (const Tensor& param : parameters()) convert(param);
  for (const Tensor& buffer : buffers()) convert(buffer);
  return *this;
}

int64_t count_parameters(const Module& module, bool trainable_only) {
  int64_t count = 0;
  for (const Tensor& param : module.parameters()) {
    if (!trainable_only || param.requires_grad()) count += param.numel();
  }
  return count;
}

namespace {
void print(std::ostream& os, const Module& module, int indent) {
  os << module.type_name() << "(";
  std::string extra = module.extra_repr();
  if (module.named_children().empty()) {
    os << extra << ")";
    return;
  }
  std::string pad(static_cast<size_t>(indent + 2), ' ');
  if (!extra.empty()) os << "\n" << pad << extra;
  for (const auto& [name, child] : module.named_children()) {
    os << "\n" << pad << "(" << name << "): ";
    print(os, *child, indent + 2);
  }
  os << "\n" << std::string(static_cast<size_t>(indent), ' ') << ")";
}
}  // namespace

std::ostream& operator<<(std::ostream& os, const Module& module) {
  print(os, module, 0);
  return os;
}

std::string to_string(const Module& module) {
  std::ostringstream out;
  out << module;
  return out.str();
}

}  // namespace cajal::nn
