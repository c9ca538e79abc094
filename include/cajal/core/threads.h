#pragma once
// The one thread pool (OpenMP), shared by cajal's kernels and oneDNN.

namespace cajal {

// Threads every kernel uses from now on; n >= 1. Default: the number of cores.
void set_num_threads(int n);
int get_num_threads();

}  // namespace cajal
