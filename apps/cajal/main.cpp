// The cajal command. Subcommands arrive with the issues that build them (train, eval, predict,
// summary, cv, playground, bench); `info` reports the build and the machine.
#include <dnnl.hpp>
#include <iostream>
#include <string>

#include "cajal/cajal.h"

namespace {
int info() {
  const dnnl_version_t* v = dnnl_version();
  std::cout << "cajal 0.1.0\n"
            << "threads: " << cajal::get_num_threads() << "\n"
            << "oneDNN: " << v->major << "." << v->minor << "." << v->patch << " ("
            << v->cpu_runtime << ")\n";
  return 0;
}

int usage(std::ostream& os) {
  os << "usage: cajal <command>\n\ncommands:\n  info     build and machine details\n";
  return 1;
}
}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc < 2) return usage(std::cerr);
    std::string command = argv[1];
    if (command == "info") return info();
    if (command == "--help" || command == "-h" || command == "help") {
      usage(std::cout);
      return 0;
    }
    std::cerr << "error: unknown command '" << command << "'\n";
    return usage(std::cerr);
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
