#include "cajal/core/threads.h"

#include <omp.h>

#include <string>

#include "cajal/core/error.h"

namespace cajal {

// oneDNN is built on the same OpenMP runtime, so one setting governs both.
void set_num_threads(int n) {
  if (n < 1) throw ValueError("set_num_threads: expected n >= 1, got " + std::to_string(n));
  omp_set_num_threads(n);
}

int get_num_threads() { return omp_get_max_threads(); }

}  // namespace cajal
