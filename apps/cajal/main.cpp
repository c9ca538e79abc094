// The cajal command: train, eval, predict, summary, cv and search over model specs (train/run.h
// does the work), and info. Every error prints `error: ...` and exits with status 1.
#include <malloc.h>
#include <CLI/CLI.hpp>
#include <dnnl.hpp>
#include <fstream>
#include <iostream>
#include <new>
#include <sstream>
#include <string>
#include <vector>

#include "cajal/cajal.h"
#include "cajal/train/run.h"
#include "cajal/train/spec.h"
#include "cajal/train/spec_data.h"
#include "cajal/train/workloads.h"

using namespace cajal;

namespace {

std::string read_file(const std::string& path, const std::string& what) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw IOError(what + ": cannot read '" + path + "'");
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

int info() {
  const dnnl_version_t* v = dnnl_version();
  std::cout << "cajal 0.1.0\n"
            << "threads: " << get_num_threads() << "\n"
            << "oneDNN: " << v->major << "." << v->minor << "." << v->patch << " ("
            << v->cpu_runtime << ")\n";
  return 0;
}

// Options shared by the commands that train.
struct TrainingFlags {
  int64_t epochs = 0;
  int64_t seed = -1;
  int threads = 0;
  int64_t limit = 0;
  bool quiet = false;

  void add(CLI::App& command) {
    command.add_option("--epochs", epochs, "train this many epochs (overrides the spec)")
        ->check(CLI::PositiveNumber);
    command.add_option("--seed", seed, "random seed (overrides the spec's; default 0)")
        ->check(CLI::NonNegativeNumber);
    command.add_option("--threads", threads, "CPU threads (default: all cores)")
        ->check(CLI::NonNegativeNumber);
    command.add_option("--limit", limit, "use only the first N training and test examples")
        ->check(CLI::NonNegativeNumber);
    command.add_flag("--quiet,-q", quiet, "no progress output");
  }
  train::RunOptions run_options() const {
    train::RunOptions options;
    if (epochs > 0) options.epochs = epochs;
    if (seed >= 0) options.seed = uint64_t(seed);
    options.threads = threads;
    options.limit = limit;
    options.verbose = quiet ? 0 : 1;
    return options;
  }
};

void print_confusion(const Tensor& confusion, const std::vector<std::string>& names) {
  if (!confusion.defined()) return;
  int64_t classes = confusion.size(0);
  size_t width = 6;
  for (const std::string& name : names) width = std::max(width, name.size() + 1);
  std::cout << "\nconfusion matrix (rows: true class, columns: predicted)\n"
            << std::string(width, ' ');
  for (int64_t j = 0; j < classes; ++j) std::printf("%7lld", static_cast<long long>(j));
  std::cout << "\n";
  for (int64_t i = 0; i < classes; ++i) {
    std::string name = i < int64_t(names.size()) ? names[size_t(i)] : std::to_string(i);
    std::cout << name << std::string(width - std::min(width, name.size()), ' ');
    for (int64_t j = 0; j < classes; ++j) {
      std::printf("%7lld", static_cast<long long>(confusion.at<int64_t>({i, j})));
    }
    std::cout << "\n";
  }
}

int run(int argc, char** argv) {
  CLI::App app{"cajal: neural networks in C++, from model specs or from code"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "help for every command");

  // train
  CLI::App* train_command = app.add_subcommand("train", "train the network a model spec describes");
  std::string train_spec;
  std::string out_dir;
  std::string resume;
  std::string metrics_json;
  bool no_report = false;
  TrainingFlags train_flags;
  train_command->add_option("SPEC", train_spec, "model spec (JSON)")->required();
  train_flags.add(*train_command);
  train_command->add_option("--out", out_dir, "output directory (default: runs/<spec name>)");
  train_command->add_option(
      "--resume", resume, "continue from a checkpoint of this spec (e.g. runs/x/last.safetensors)");
  train_command->add_option("--metrics-json", metrics_json,
                            "write per-epoch and test metrics to this JSON file");
  train_command->add_flag("--no-report", no_report, "skip the HTML report");

  // eval
  CLI::App* eval_command = app.add_subcommand("eval", "evaluate a checkpoint on test data");
  std::string eval_checkpoint;
  std::string eval_data;
  int64_t eval_batch = 256;
  int64_t eval_limit = 0;
  int eval_threads = 0;
  eval_command->add_option("CKPT", eval_checkpoint, "checkpoint (.safetensors)")->required();
  eval_command->add_option("--data", eval_data,
                           "a spec \"data\" section (JSON text or a .json file) to evaluate on "
                           "instead of the checkpoint's");
  eval_command->add_option("--batch-size", eval_batch, "evaluation batch size")
      ->check(CLI::PositiveNumber);
  eval_command->add_option("--limit", eval_limit, "use only the first N test examples")
      ->check(CLI::NonNegativeNumber);
  eval_command->add_option("--threads", eval_threads, "CPU threads")->check(CLI::NonNegativeNumber);

  // predict
  CLI::App* predict_command =
      app.add_subcommand("predict", "predict images, CSV rows or NPY arrays with a checkpoint");
  std::string predict_checkpoint;
  std::vector<std::string> predict_inputs;
  predict_command->add_option("CKPT", predict_checkpoint, "checkpoint (.safetensors)")->required();
  predict_command->add_option("INPUT", predict_inputs, "PNG/JPEG images, CSV or NPY files")
      ->required();

  // summary
  CLI::App* summary_command =
      app.add_subcommand("summary", "print the layer table of a spec's network");
  std::string summary_spec;
  summary_command->add_option("SPEC", summary_spec, "model spec (JSON)")->required();

  // cv
  CLI::App* cv_command = app.add_subcommand("cv", "k-fold cross-validation of a spec");
  std::string cv_spec;
  int64_t folds = 5;
  TrainingFlags cv_flags;
  cv_command->add_option("SPEC", cv_spec, "model spec (JSON)")->required();
  cv_command->add_option("--folds,-k", folds, "number of folds")->check(CLI::Range(2, 100));
  cv_flags.add(*cv_command);

  // search
  CLI::App* search_command = app.add_subcommand("search", "grid or random search over spec values");
  std::string search_spec;
  std::string grid_file;
  double search_fraction = 0.2;
  TrainingFlags search_flags;
  search_command->add_option("SPEC", search_spec, "model spec (JSON)")->required();
  search_command->add_option("--grid", grid_file, "search document (JSON; see docs/tuning.md)")
      ->required();
  search_command
      ->add_option("--validation-fraction", search_fraction,
                   "held-out share when the spec's data has no validation part")
      ->check(CLI::Range(0.01, 0.99));
  search_flags.add(*search_command);

  train::WorkloadOptions bench_options;
  bool bench_json = false;
  CLI::App* bench_command = app.add_subcommand(
      "bench", "time a benchmark workload as ../shared/bench/torch_peer.py times PyTorch's");
  bench_command->add_option("workload", bench_options.workload, "mlp, cnn, lstm or tiny")
      ->required()
      ->check(CLI::IsMember(train::workload_names()));
  bench_command->add_option("--threads", bench_options.threads, "CPU threads (default 1)")
      ->check(CLI::PositiveNumber);
  bench_command->add_option("--epochs", bench_options.epochs, "epochs to time; the fastest counts")
      ->check(CLI::PositiveNumber);
  bench_command->add_option("--seconds", bench_options.seconds, "how long tiny runs (default 3)")
      ->check(CLI::PositiveNumber);
  bench_command
      ->add_option("--limit", bench_options.limit,
                   "use only the first K training and test images (quick runs; 0 = all)")
      ->check(CLI::NonNegativeNumber);
  bench_command->add_flag("--json", bench_json, "one line of JSON with torch_peer.py's keys");

  app.add_subcommand("info", "build and machine details");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& help) {
    return app.exit(help);
  } catch (const CLI::CallForAllHelp& help) {
    return app.exit(help);
  } catch (const CLI::ParseError& error) {
    // A mistyped command line is an error like any other: one line, exit status 1.
    std::cerr << "error: " << error.what() << " (see cajal --help)\n";
    return 1;
  }

  if (app.got_subcommand("info")) return info();

  if (bench_command->parsed()) {
    train::WorkloadResult result = train::run_workload(bench_options);
    if (bench_json) {
      std::cout << train::to_json(result) << "\n";
    } else if (result.workload == "tiny") {
      std::printf("tiny: %.0f steps per second (%d threads)\n", result.steps_per_second,
                  result.threads);
    } else {
      for (const train::WorkloadEpoch& e : result.epochs) {
        std::printf("%s epoch %lld: %.2f s, test accuracy %.4f\n", result.workload.c_str(),
                    static_cast<long long>(e.epoch), e.seconds, e.test_accuracy);
      }
      std::printf("%s: %.2f s per epoch, %.1f GFLOP/s, peak resident %.0f MiB (%d threads)\n",
                  result.workload.c_str(), result.seconds_per_epoch, result.gflops,
                  static_cast<double>(result.peak_resident_bytes) / (1 << 20), result.threads);
    }
    return 0;
  }

  if (train_command->parsed()) {
    train::Spec spec = train::load_spec(train_spec);
    train::RunOptions options = train_flags.run_options();
    if (!out_dir.empty()) options.out_dir = out_dir;
    if (!resume.empty()) options.resume = resume;
    if (!metrics_json.empty()) options.metrics_json = metrics_json;
    options.report = !no_report;
    train::RunResult result = train::run_training(spec, options);
    if (result.history.stopped_early) std::cout << result.history.stop_reason << "\n";
    if (const double* accuracy = result.test.find("accuracy")) {
      std::printf("test accuracy: %.2f%%\n", 100 * *accuracy);
    }
    std::cout << "checkpoint: " << result.checkpoint.string() << "\n";
    return 0;
  }

  if (eval_command->parsed()) {
    std::optional<std::string> data;
    if (!eval_data.empty()) {
      data = eval_data.find('{') == std::string::npos ? read_file(eval_data, "--data") : eval_data;
    }
    train::EvalResult result = train::evaluate_checkpoint(
        eval_checkpoint, data,
        {.batch_size = eval_batch, .limit = eval_limit, .threads = eval_threads});
    std::cout << "examples: " << result.examples << "\n";
    for (const auto& [key, value] : result.metrics) std::printf("%-18s %.6f\n", key.c_str(), value);
    print_confusion(result.confusion, result.class_names);
    return 0;
  }

  if (predict_command->parsed()) {
    for (const train::Prediction& p : train::predict_files(predict_checkpoint, predict_inputs)) {
      if (p.label >= 0) {
        std::printf("%s\t%s\t%.4f\n", p.name.c_str(), p.class_name.c_str(), p.probability);
      } else {
        std::printf("%s", p.name.c_str());
        for (double value : p.values) std::printf("\t%.6g", value);
        std::printf("\n");
      }
    }
    return 0;
  }

  if (summary_command->parsed()) {
    train::Spec spec = train::load_spec(summary_spec);
    train::PreparedData data = train::prepare_data(spec);
    auto model = train::build_model(spec, data.input_shape);
    Shape batch_shape = {1};
    for (int64_t size : data.input_shape) batch_shape.push_back(size);
    std::cout << nn::summary(*model, batch_shape) << "\n";
    return 0;
  }

  if (cv_command->parsed()) {
    train::Spec spec = train::load_spec(cv_spec);
    train::CrossValidationResult result =
        train::cross_validate(spec, {.folds = folds, .run = cv_flags.run_options()});
    std::cout << "\n" << train::format_cross_validation(result);
    return 0;
  }

  if (search_command->parsed()) {
    train::Spec spec = train::load_spec(search_spec);
    train::Json grid = train::parse_json(read_file(grid_file, "--grid"), grid_file);
    train::SearchResult result = train::search(
        spec, grid, {.run = search_flags.run_options(), .validation_fraction = search_fraction});
    std::cout << "\n" << train::format_search(result);
    return 0;
  }
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  // Training frees and reallocates the same large activation buffers every step. glibc's defaults
  // return blocks over 128 KiB to the kernel at once (mmap) and fault them back in on the next
  // step, which cost ~3 s of system time per 100 steps of the Fashion-MNIST CNN. Keeping freed
  // memory in the heap makes steady-state steps reuse it (docs/performance.md).
  mallopt(M_MMAP_THRESHOLD, 256 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  try {
    return run(argc, argv);
  } catch (const std::bad_alloc&) {
    std::cerr << "error: out of memory (a requested size is too large for this machine)\n";
  } catch (const std::exception& error) {
    std::cerr << "error: " << error.what() << "\n";
  }
  return 1;
}
