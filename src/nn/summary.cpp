#include "cajal/nn/summary.h"

#include <algorithm>
#include <sstream>
#include <unordered_map>

#include "cajal/autograd/grad_mode.h"
#include "cajal/core/creation.h"

namespace cajal::nn {
namespace {

class Recorder : public detail::ForwardObserver {
 public:
  explicit Recorder(Module& root) {
    for (const auto& [name, module] : root.named_modules()) names_.emplace(module, name);
  }
  void on_forward(const Module& module, const Tensor& /*input*/, const Tensor& output) override {
    auto found = names_.find(&module);
    if (found == names_.end()) return;  // a module outside the tree (a temporary)
    const std::string& name = found->second;
    // Children run before their parent returns, so their rows are already here. A module whose
    // children were not called through operator() (a wrapper calling a recurrent layer's forward
    // with a state, say) gets one row counting everything inside it.
    bool parts_seen = false;
    if (!module.named_children().empty()) {
      const std::string prefix = name.empty() ? "" : name + ".";
      for (const SummaryRow& row : rows) parts_seen = parts_seen || row.name.starts_with(prefix);
    }
    int64_t own = 0;
    int64_t trainable = 0;
    for (const Tensor& param : module.parameters(/*recurse=*/!parts_seen)) {
      own += param.numel();
      if (param.requires_grad()) trainable += param.numel();
    }
    if (parts_seen && own == 0) return;  // a pure container
    rows.push_back({name, module.type_name(), output.shape(), own, trainable});
  }
  std::vector<SummaryRow> rows;

 private:
  std::unordered_map<const Module*, std::string> names_;
};

struct ObserverScope {
  explicit ObserverScope(detail::ForwardObserver* observer) {
    detail::set_forward_observer(observer);
  }
  ~ObserverScope() { detail::set_forward_observer(nullptr); }
};

// Puts every module back in its own mode. named_modules() lists parents before children, and
// train() recurses, so restoring in that order leaves each module with its own flag.
struct TrainingRestore {
  explicit TrainingRestore(Module& root) {
    for (const auto& [name, module] : root.named_modules()) {
      modes_.emplace_back(module, module->is_training());
    }
  }
  ~TrainingRestore() {
    for (auto& [module, training] : modes_) module->train(training);
  }
  std::vector<std::pair<Module*, bool>> modes_;
};

std::string with_commas(int64_t value) {
  std::string digits = std::to_string(value);
  std::string out;
  int count = 0;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    if (count > 0 && count % 3 == 0 && *it != '-') out.push_back(',');
    out.push_back(*it);
    ++count;
  }
  std::reverse(out.begin(), out.end());
  return out;
}

}  // namespace

Summary summary(Module& module, const Shape& input_shape, Dtype dtype) {
  for (int64_t size : input_shape) {
    if (size <= 0) {
      throw ValueError("summary: input shape " + shape_string(input_shape) +
                       " must have positive sizes");
    }
  }
  Recorder recorder(module);
  {
    TrainingRestore restore(module);
    module.eval();
    no_grad guard;
    ObserverScope scope(&recorder);
    module(zeros(input_shape, {.dtype = dtype}));
  }
  Summary out;
  out.rows = std::move(recorder.rows);
  out.total_parameters = count_parameters(module);
  out.trainable_parameters = count_parameters(module, /*trainable_only=*/true);
  out.frozen_parameters = out.total_parameters - out.trainable_parameters;
  return out;
}

std::string Summary::to_string() const {
  std::vector<std::string> names{"Layer (type)"};
  std::vector<std::string> shapes{"Output shape"};
  std::vector<std::string> counts{"Param #"};
  for (const SummaryRow& row : rows) {
    names.push_back((row.name.empty() ? std::string("(root)") : row.name) + " (" + row.type + ")");
    shapes.push_back(shape_string(row.output_shape));
    counts.push_back(with_commas(row.parameters));
  }
  auto width = [](const std::vector<std::string>& column) {
    size_t w = 0;
    for (const std::string& s : column) w = std::max(w, s.size());
    return w;
  };
  size_t w0 = width(names) + 3;
  size_t w1 = width(shapes) + 3;
  size_t w2 = width(counts);
  std::ostringstream out;
  auto line = [&](char c) { out << std::string(w0 + w1 + w2, c) << "\n"; };
  auto row = [&](size_t i) {
    out << names[i] << std::string(w0 - names[i].size(), ' ') << shapes[i]
        << std::string(w1 - shapes[i].size(), ' ') << std::string(w2 - counts[i].size(), ' ')
        << counts[i] << "\n";
  };
  row(0);
  line('=');
  for (size_t i = 1; i < names.size(); ++i) row(i);
  line('=');
  out << "Total params: " << with_commas(total_parameters) << "\n"
      << "Trainable params: " << with_commas(trainable_parameters) << "\n"
      << "Non-trainable params: " << with_commas(frozen_parameters) << "\n";
  return out.str();
}

std::ostream& operator<<(std::ostream& os, const Summary& summary) {
  return os << summary.to_string();
}

}  // namespace cajal::nn
