#pragma once
// The four benchmark workloads we compare with PyTorch, defined exactly as
// ../shared/bench/torch_peer.py defines them, so `cajal bench W` and `torch_peer.py W` time the
// same work:
//
//   mlp   Flatten, Linear(784, 256), ReLU, Linear(256, 128), ReLU, Linear(128, 10)
//   cnn   Conv2d(1, 32, 3, pad 1), ReLU, MaxPool 2, Conv2d(32, 64, 3, pad 1), ReLU, MaxPool 2,
//         Flatten, Linear(3136, 128), ReLU, Linear(128, 10)
//   lstm  LSTM(28, 128) over the 28 rows of each image, Linear(128, 10) on the last step
//         (each of the three: Fashion-MNIST, Adam lr 1e-3, batch 128, a new random permutation
//          every epoch, cross-entropy; the epoch's training loop is timed, then test accuracy)
//   tiny  the playground's 2-8-8-1 tanh network on 500 random points (label: x1 * x2 > 0),
//         SGD lr 0.03, MSE, batches of 10, for a fixed time: steps per second.
//
//   train::WorkloadResult r = train::run_workload({.workload = "mlp", .threads = 1});
//   std::cout << train::to_json(r);   // {"workload": "mlp", "seconds_per_epoch": ..., ...}
#include <cstdint>
#include <string>
#include <vector>

namespace cajal::train {

struct WorkloadOptions {
  std::string workload;  // "mlp", "cnn", "lstm" or "tiny"
  int threads = 1;       // >= 1
  int64_t epochs = 1;    // >= 1 (mlp, cnn, lstm)
  double seconds = 3.0;  // > 0: how long tiny runs (torch_peer.py's default)
  // Use only the first this many training and test images (0: all). For tests, not for timing.
  int64_t limit = 0;
  uint64_t seed = 0;  // torch_peer.py seeds torch with 0
};

struct WorkloadEpoch {
  int64_t epoch = 0;  // from 1
  double seconds = 0;
  double test_accuracy = 0;
};

struct WorkloadResult {
  std::string workload;
  int threads = 1;
  // mlp, cnn, lstm: the fastest epoch (torch_peer.py reports the minimum too) and every epoch.
  double seconds_per_epoch = 0;
  std::vector<WorkloadEpoch> epochs;
  // tiny: optimizer steps per second.
  double steps_per_second = 0;
  // The matmul/convolution FLOPs of one training epoch (forward, weight gradients and input
  // gradients, none for the input of the first layer), and that count over the fastest epoch.
  double flops_per_epoch = 0;
  double gflops = 0;
  int64_t peak_resident_bytes = 0;  // of the whole process, as the kernel counts it
};

// Runs a workload. ValueError for an unknown workload or a bad option; IOError when
// Fashion-MNIST is missing.
WorkloadResult run_workload(const WorkloadOptions& options);

// One line of JSON with torch_peer.py's keys ("workload", "seconds_per_epoch" and "epochs", or
// "steps_per_second"; "threads") plus "gflops", "flops_per_epoch" and "peak_resident_bytes".
std::string to_json(const WorkloadResult& result);

// The names run_workload accepts.
const std::vector<std::string>& workload_names();

}  // namespace cajal::train
