#include "cajal/train/workloads.h"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include "cajal/autograd/grad_mode.h"
#include "cajal/core/creation.h"
#include "cajal/core/random.h"
#include "cajal/core/threads.h"
#include "cajal/data/fashion_mnist.h"
#include "cajal/nn/activation.h"
#include "cajal/nn/container.h"
#include "cajal/nn/convolution.h"
#include "cajal/nn/flatten.h"
#include "cajal/nn/linear.h"
#include "cajal/nn/loss.h"
#include "cajal/nn/pooling.h"
#include "cajal/nn/recurrent.h"
#include "cajal/ops/arithmetic.h"
#include "cajal/ops/indexing.h"
#include "cajal/ops/reduction.h"
#include "cajal/optim/adam.h"
#include "cajal/optim/sgd.h"
#include "nlohmann/json.hpp"

namespace cajal::train {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

int64_t peak_resident_bytes() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<int64_t>(usage.ru_maxrss) * 1024;  // Linux reports KiB
}

// Training FLOPs of one example through a layer with `macs` multiply-adds per forward pass:
// forward, weight gradient and (unless it is the first layer, whose input needs none) input
// gradient, 2 FLOPs per multiply-add each.
double training_flops(double macs, bool first) { return 2 * macs * (first ? 2 : 3); }

// The LSTM workload's network: the last step's output of LSTM(28, 128) -> Linear(128, 10).
class LstmNet : public nn::Module {
 public:
  LstmNet() : Module("LstmNet") {
    lstm = register_module("lstm",
                           nn::LSTM({.input_size = 28, .hidden_size = 128, .batch_first = true}));
    fc = register_module("fc", nn::Linear({.in_features = 128, .out_features = 10}));
  }
  Tensor forward(const Tensor& images) override {
    Tensor out = (*lstm)(images.reshape({-1, 28, 28}));  // [N, 28, 128]
    return (*fc)(out.select(1, out.size(1) - 1));
  }
  std::shared_ptr<nn::LSTM> lstm;
  std::shared_ptr<nn::Linear> fc;
};

std::shared_ptr<nn::Module> make_model(const std::string& workload, double& flops_per_example) {
  if (workload == "mlp") {
    flops_per_example = training_flops(784.0 * 256, true) + training_flops(256.0 * 128, false) +
                        training_flops(128.0 * 10, false);
    return std::make_shared<nn::Sequential>(
        nn::Sequential{nn::Flatten(), nn::Linear({.in_features = 784, .out_features = 256}),
                       nn::ReLU(), nn::Linear({.in_features = 256, .out_features = 128}),
                       nn::ReLU(), nn::Linear({.in_features = 128, .out_features = 10})});
  }
  if (workload == "cnn") {
    flops_per_example = training_flops(28.0 * 28 * 32 * 9, true) +
                        training_flops(14.0 * 14 * 64 * 32 * 9, false) +
                        training_flops(3136.0 * 128, false) + training_flops(128.0 * 10, false);
    return std::make_shared<nn::Sequential>(nn::Sequential{
        nn::Conv2d({.in_channels = 1, .out_channels = 32, .kernel_size = 3, .padding = 1}),
        nn::ReLU(), nn::MaxPool2d({.kernel_size = 2}),
        nn::Conv2d({.in_channels = 32, .out_channels = 64, .kernel_size = 3, .padding = 1}),
        nn::ReLU(), nn::MaxPool2d({.kernel_size = 2}), nn::Flatten(),
        nn::Linear({.in_features = 64 * 7 * 7, .out_features = 128}), nn::ReLU(),
        nn::Linear({.in_features = 128, .out_features = 10})});
  }
  // lstm: per step the gates' matmuls take (28 + 128) * 512 multiply-adds; the input needs no
  // gradient but the recurrent state does.
  const double step_macs = (28.0 + 128) * 512;
  flops_per_example =
      28 * (2 * step_macs * 2 + 2 * 128.0 * 512) + training_flops(128.0 * 10, false);
  return std::make_shared<LstmNet>();
}

double test_accuracy(nn::Module& model, const data::TensorDataset& test) {
  no_grad guard;
  model.eval();
  // In chunks: the whole test set at once would hold a gigabyte of CNN activations.
  const int64_t n = test.inputs().size(0);
  double correct = 0;
  for (int64_t start = 0; start < n; start += 1000) {
    const int64_t length = std::min<int64_t>(1000, n - start);
    Tensor logits = model(test.inputs().narrow(0, start, length));
    Tensor hits = eq(argmax(logits, 1), test.targets().narrow(0, start, length));
    correct += sum(hits.to(Dtype::float64)).item<double>();
  }
  model.train();
  return correct / static_cast<double>(n);
}

WorkloadResult run_epochs(const WorkloadOptions& options) {
  data::MnistOptions limits;
  if (options.limit > 0) {
    limits.train_limit = options.limit;
    limits.test_limit = options.limit;
  }
  data::MnistData data = data::fashion_mnist("/usr/share/datasets/fashion-mnist", limits);
  WorkloadResult result;
  result.workload = options.workload;
  result.threads = options.threads;
  double flops_per_example = 0;
  std::shared_ptr<nn::Module> model = make_model(options.workload, flops_per_example);
  optim::Adam optimizer(model->parameters(), {.lr = 1e-3});
  nn::CrossEntropyLoss loss_fn;
  const Tensor& images = data.train.inputs();
  const Tensor& labels = data.train.targets();
  const int64_t n = images.size(0);
  result.flops_per_epoch = flops_per_example * static_cast<double>(n);
  for (int64_t epoch = 1; epoch <= options.epochs; ++epoch) {
    model->train();
    Tensor order = randperm(n);
    const Clock::time_point start = Clock::now();
    for (int64_t i = 0; i < n; i += 128) {
      Tensor batch = order.narrow(0, i, std::min<int64_t>(128, n - i));
      optimizer.zero_grad();
      loss_fn((*model)(index_select(images, 0, batch)), index_select(labels, 0, batch)).backward();
      optimizer.step();
    }
    const double seconds = seconds_since(start);
    result.epochs.push_back({epoch, seconds, test_accuracy(*model, data.test)});
  }
  result.seconds_per_epoch = result.epochs.front().seconds;
  for (const WorkloadEpoch& e : result.epochs) {
    result.seconds_per_epoch = std::min(result.seconds_per_epoch, e.seconds);
  }
  result.gflops = result.flops_per_epoch / result.seconds_per_epoch / 1e9;
  return result;
}

WorkloadResult run_tiny(const WorkloadOptions& options) {
  Tensor x = rand({500, 2}) * 2 - 1;
  Tensor y = gt(x.select(1, 0) * x.select(1, 1), zeros({500})).to(Dtype::float32).unsqueeze(1);
  nn::Sequential model{nn::Linear({.in_features = 2, .out_features = 8}), nn::Tanh(),
                       nn::Linear({.in_features = 8, .out_features = 8}), nn::Tanh(),
                       nn::Linear({.in_features = 8, .out_features = 1})};
  optim::SGD optimizer(model.parameters(), {.lr = 0.03});
  nn::MSELoss loss_fn;
  int64_t steps = 0;
  const Clock::time_point start = Clock::now();
  while (seconds_since(start) < options.seconds) {
    for (int64_t i = 0; i < 500; i += 10) {
      optimizer.zero_grad();
      loss_fn(model(x.narrow(0, i, 10)), y.narrow(0, i, 10)).backward();
      optimizer.step();
      ++steps;
    }
  }
  WorkloadResult result;
  result.workload = "tiny";
  result.threads = options.threads;
  result.steps_per_second = static_cast<double>(steps) / seconds_since(start);
  // Per step, forward + both gradients of (2*8 + 8*8 + 8*1) multiply-adds on 10 examples.
  result.flops_per_epoch = 0;
  result.gflops = result.steps_per_second * 10 *
                  (training_flops(2.0 * 8, true) + training_flops(8.0 * 8 + 8.0, false)) / 1e9;
  return result;
}

}  // namespace

const std::vector<std::string>& workload_names() {
  static const std::vector<std::string> names{"mlp", "cnn", "lstm", "tiny"};
  return names;
}

WorkloadResult run_workload(const WorkloadOptions& options) {
  const auto& names = workload_names();
  if (std::find(names.begin(), names.end(), options.workload) == names.end()) {
    throw ValueError("bench: unknown workload '" + options.workload +
                     "' (expected mlp, cnn, lstm or tiny)");
  }
  if (options.threads < 1) {
    throw ValueError("bench: threads must be at least 1, got " + std::to_string(options.threads));
  }
  if (options.epochs < 1) {
    throw ValueError("bench: epochs must be at least 1, got " + std::to_string(options.epochs));
  }
  if (!(options.seconds > 0)) {
    throw ValueError("bench: seconds must be positive, got " + std::to_string(options.seconds));
  }
  if (options.limit < 0) {
    throw ValueError("bench: limit must be >= 0, got " + std::to_string(options.limit));
  }
  set_num_threads(options.threads);
  manual_seed(options.seed);
  WorkloadResult result = options.workload == "tiny" ? run_tiny(options) : run_epochs(options);
  result.peak_resident_bytes = peak_resident_bytes();
  return result;
}

std::string to_json(const WorkloadResult& result) {
  nlohmann::ordered_json out;
  out["workload"] = result.workload;
  if (result.workload == "tiny") {
    out["steps_per_second"] = result.steps_per_second;
  } else {
    out["seconds_per_epoch"] = result.seconds_per_epoch;
    nlohmann::ordered_json epochs = nlohmann::ordered_json::array();
    for (const WorkloadEpoch& e : result.epochs) {
      epochs.push_back(
          {{"epoch", e.epoch}, {"seconds", e.seconds}, {"test_accuracy", e.test_accuracy}});
    }
    out["epochs"] = epochs;
    out["flops_per_epoch"] = result.flops_per_epoch;
  }
  out["gflops"] = result.gflops;
  out["peak_resident_bytes"] = result.peak_resident_bytes;
  out["peer"] = "cajal";
  out["threads"] = result.threads;
  return out.dump();
}

}  // namespace cajal::train
