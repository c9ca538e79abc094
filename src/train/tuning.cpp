// Cross-validation and hyperparameter search over model specs.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "cajal/core/error.h"
#include "cajal/core/random.h"
#include "cajal/core/threads.h"
#include "cajal/data/split.h"
#include "cajal/train/callbacks.h"
#include "cajal/train/run.h"
#include "run_internal.h"

namespace cajal::train {

using namespace detail;

namespace {

// The last epoch's validation values ("val_..."), or its training values without validation.
Logs last_validation(const History& history) {
  Logs result;
  if (history.epochs.empty()) return result;
  for (const auto& [key, value] : history.epochs.back()) {
    if (key.rfind("val_", 0) == 0) result.insert(key, value);
  }
  return result;
}

std::string format_cell(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.4f", value);
  return buffer;
}

std::string pad(const std::string& text, size_t width) {
  return text.size() >= width ? text : text + std::string(width - text.size(), ' ');
}

void set_threads(int threads) {
  if (threads < 0) throw ValueError("--threads must be >= 0, got " + std::to_string(threads));
  if (threads > 0) set_num_threads(threads);
}

}  // namespace

CrossValidationResult cross_validate(const Spec& spec, const CrossValidationOptions& options) {
  if (options.folds < 2) {
    throw ValueError("cv: --folds must be at least 2, got " + std::to_string(options.folds));
  }
  set_threads(options.run.threads);
  const TrainingSpec training = effective_training(spec, options.run);
  const uint64_t seed = run_seed(spec, options.run);
  std::ostream& log = log_stream(options.run);
  manual_seed(seed);
  PreparedData data = prepare_data(spec, {.limit = options.run.limit});
  const std::vector<std::string> metrics = metrics_for(training, data);

  std::vector<data::Fold> folds;
  if (data.classification) {
    folds = data::StratifiedKFold({.folds = options.folds, .shuffle = true, .seed = seed})
                .split(*data.train);
  } else {
    folds = data::KFold({.folds = options.folds, .shuffle = true, .seed = seed}).split(*data.train);
  }
  CrossValidationResult result;
  for (size_t i = 0; i < folds.size(); ++i) {
    auto train_part = std::make_shared<data::Subset>(data.train, folds[i].train);
    auto validation_part = std::make_shared<data::Subset>(data.train, folds[i].validation);
    Built built = build_all(spec, data, training, train_part->size(), seed);
    FitOptions fit_options =
        fit_options_for(training, metrics, built.scheduler, seed, options.run.verbose);
    fit_options.validation = validation_part;
    fit_options.transform = data.augmentation;
    if (training.early_stopping) {
      fit_options.callbacks.push_back(std::make_shared<EarlyStopping>(*training.early_stopping));
    }
    if (options.run.verbose > 0) {
      log << "fold " << i + 1 << "/" << folds.size() << ": training on " << train_part->size()
          << ", validating on " << validation_part->size() << "\n";
    }
    History history = fit(*built.model, *built.loss, *built.optimizer, train_part, fit_options);
    if (history.diverged) {
      throw Error("cv: fold " + std::to_string(i + 1) + " diverged: " + history.stop_reason);
    }
    result.folds.push_back(last_validation(history));
  }
  // Mean and sample standard deviation of every key.
  for (const auto& [key, value] : result.folds.front()) {
    double sum = 0;
    for (const Logs& fold : result.folds) sum += fold.at(key);
    double mean = sum / double(result.folds.size());
    double squares = 0;
    for (const Logs& fold : result.folds) squares += (fold.at(key) - mean) * (fold.at(key) - mean);
    result.mean.insert(key, mean);
    result.std.insert(key, std::sqrt(squares / double(result.folds.size() - 1)));
  }
  return result;
}

std::string format_cross_validation(const CrossValidationResult& result) {
  std::ostringstream out;
  std::vector<std::string> keys = result.mean.keys();
  const size_t width = 16;
  out << pad("fold", 8);
  for (const std::string& key : keys) out << pad(key, width);
  out << "\n";
  for (size_t i = 0; i < result.folds.size(); ++i) {
    out << pad(std::to_string(i + 1), 8);
    for (const std::string& key : keys) out << pad(format_cell(result.folds[i].at(key)), width);
    out << "\n";
  }
  out << pad("mean", 8);
  for (const std::string& key : keys) out << pad(format_cell(result.mean.at(key)), width);
  out << "\n" << pad("std", 8);
  for (const std::string& key : keys) out << pad(format_cell(result.std.at(key)), width);
  out << "\n";
  return out.str();
}

namespace {

using Assignment = std::vector<std::pair<std::string, Json>>;

std::vector<Assignment> grid_assignments(const Json& grid, const std::string& pointer) {
  if (!grid.is_object() || grid.empty()) {
    throw SpecError(pointer + ": expected an object of JSON pointers to arrays of values, got " +
                    describe_json(grid));
  }
  std::vector<Assignment> assignments = {{}};
  for (const auto& [target, values] : grid.items()) {
    std::string where = pointer + "/" + pointer_token(target);
    if (!values.is_array() || values.empty()) {
      throw SpecError(where + ": expected a non-empty array of values, got " +
                      describe_json(values));
    }
    std::vector<Assignment> next;
    for (const Assignment& partial : assignments) {
      for (const Json& value : values) {
        Assignment extended = partial;
        extended.emplace_back(target, value);
        next.push_back(std::move(extended));
      }
    }
    assignments = std::move(next);
    if (assignments.size() > 10000) {
      throw SpecError(pointer + ": the grid has more than 10000 combinations");
    }
  }
  return assignments;
}

std::vector<Assignment> random_assignments(const Json& random, const std::string& pointer) {
  SpecReader reader(random, pointer);
  int64_t trials = reader.positive_integer("trials");
  if (trials > 10000)
    reader.fail("trials", "expected at most 10000 trials, got " + std::to_string(trials));
  Generator generator(uint64_t(reader.integer("seed", 0, 0)));
  const Json& params = reader.value("params");
  std::string params_pointer = reader.child_pointer("params");
  reader.finish();
  if (!params.is_object() || params.empty()) {
    throw SpecError(params_pointer +
                    ": expected an object of JSON pointers to distributions, got " +
                    describe_json(params));
  }
  // Validate every distribution before drawing.
  struct Distribution {
    std::string target;
    std::string kind;
    std::vector<Json> values;
    double low = 0, high = 0;
  };
  std::vector<Distribution> distributions;
  for (const auto& [target, spec] : params.items()) {
    std::string where = params_pointer + "/" + pointer_token(target);
    SpecReader d(spec, where);
    Distribution distribution;
    distribution.target = target;
    int kinds = 0;
    for (const char* kind : {"uniform", "log_uniform", "int_uniform", "choice"}) {
      if (d.has(kind)) {
        distribution.kind = kind;
        ++kinds;
      }
    }
    if (kinds != 1) {
      throw SpecError(where +
                      ": expected exactly one of uniform, log_uniform, int_uniform, choice");
    }
    const Json& value = d.value(distribution.kind);
    std::string value_pointer = d.child_pointer(distribution.kind);
    d.finish();
    if (distribution.kind == "choice") {
      if (!value.is_array() || value.empty()) {
        throw SpecError(value_pointer + ": expected a non-empty array, got " +
                        describe_json(value));
      }
      distribution.values.assign(value.begin(), value.end());
    } else {
      if (!value.is_array() || value.size() != 2) {
        throw SpecError(value_pointer + ": expected [low, high], got " + describe_json(value));
      }
      distribution.low = json_number(value[0], value_pointer + "/0");
      distribution.high = json_number(value[1], value_pointer + "/1");
      if (!(distribution.low < distribution.high)) {
        throw SpecError(value_pointer + ": expected low < high, got [" + describe_json(value[0]) +
                        ", " + describe_json(value[1]) + "]");
      }
      if (distribution.kind == "log_uniform" && !(distribution.low > 0)) {
        throw SpecError(value_pointer + "/0: expected a positive number for log_uniform, got " +
                        describe_json(value[0]));
      }
    }
    distributions.push_back(std::move(distribution));
  }
  std::vector<Assignment> assignments;
  for (int64_t t = 0; t < trials; ++t) {
    Assignment assignment;
    for (const Distribution& d : distributions) {
      Json value;
      if (d.kind == "choice") {
        value = d.values[size_t(generator.integer(0, int64_t(d.values.size())))];
      } else if (d.kind == "uniform") {
        value = d.low + (d.high - d.low) * generator.uniform();
      } else if (d.kind == "log_uniform") {
        value =
            std::exp(std::log(d.low) + (std::log(d.high) - std::log(d.low)) * generator.uniform());
      } else {
        value = generator.integer(int64_t(std::ceil(d.low)), int64_t(std::floor(d.high)) + 1);
      }
      assignment.emplace_back(d.target, value);
    }
    assignments.push_back(std::move(assignment));
  }
  return assignments;
}

}  // namespace

SearchResult search(const Spec& spec, const Json& document, const SearchOptions& options) {
  if (!(options.validation_fraction > 0 && options.validation_fraction < 1)) {
    throw ValueError("search: validation_fraction must be in (0, 1), got " +
                     std::to_string(options.validation_fraction));
  }
  SpecReader reader(document, "");
  std::vector<Assignment> assignments;
  if (reader.has("grid") == reader.has("random")) {
    throw SpecError("/: expected exactly one of \"grid\" and \"random\"");
  }
  if (reader.has("grid")) {
    assignments = grid_assignments(reader.value("grid"), "/grid");
  } else {
    assignments = random_assignments(reader.value("random"), "/random");
  }
  SearchResult result;
  result.monitor = reader.string("monitor", spec.training.monitor);
  reader.finish();
  if (result.monitor.rfind("val_", 0) != 0) {
    throw SpecError("/monitor: expected a validation value (val_loss, val_accuracy, ...), got \"" +
                    result.monitor + "\"");
  }
  result.higher_is_better = resolve_mode(Mode::automatic, result.monitor) == Mode::max;
  // Every trial's spec is built and validated before any training starts.
  std::vector<Spec> specs;
  for (const Assignment& assignment : assignments) {
    Spec trial = spec;
    for (const auto& [target, value] : assignment) trial = with_override(trial, target, value);
    specs.push_back(std::move(trial));
  }

  set_threads(options.run.threads);
  std::ostream& log = log_stream(options.run);
  const uint64_t seed = run_seed(spec, options.run);
  for (size_t i = 0; i < specs.size(); ++i) {
    const Spec& trial_spec = specs[i];
    const TrainingSpec training = effective_training(trial_spec, options.run);
    manual_seed(seed);
    PreparedData data = prepare_data(trial_spec, {.limit = options.run.limit});
    Parts parts = split_validation(
        data, data.validation_fraction > 0 ? data.validation_fraction : options.validation_fraction,
        seed);
    Built built = build_all(trial_spec, data, training, parts.train->size(), seed);
    std::vector<std::string> metrics = metrics_for(training, data);
    FitOptions fit_options =
        fit_options_for(training, metrics, built.scheduler, seed, options.run.verbose);
    fit_options.validation = parts.validation;
    fit_options.transform = data.augmentation;
    if (training.early_stopping) {
      fit_options.callbacks.push_back(std::make_shared<EarlyStopping>(*training.early_stopping));
    }
    if (options.run.verbose > 0) {
      log << "trial " << i + 1 << "/" << specs.size() << ":";
      for (const auto& [target, value] : assignments[i])
        log << " " << target << "=" << value.dump();
      log << "\n";
    }
    History history = fit(*built.model, *built.loss, *built.optimizer, parts.train, fit_options);
    Trial trial;
    trial.values = assignments[i];
    trial.logs = history.epochs.empty() ? Logs() : history.epochs.back();
    const double* score = trial.logs.find(result.monitor);
    if (history.diverged || score == nullptr) {
      trial.score = std::nan("");
    } else {
      trial.score = *score;
    }
    result.trials.push_back(std::move(trial));
  }
  // Best first; diverged trials (NaN) last.
  std::stable_sort(result.trials.begin(), result.trials.end(), [&](const Trial& a, const Trial& b) {
    if (std::isnan(a.score)) return false;
    if (std::isnan(b.score)) return true;
    return result.higher_is_better ? a.score > b.score : a.score < b.score;
  });
  return result;
}

std::string format_search(const SearchResult& result) {
  std::ostringstream out;
  out << pad("rank", 6) << pad(result.monitor, 16) << "values\n";
  for (size_t i = 0; i < result.trials.size(); ++i) {
    const Trial& trial = result.trials[i];
    out << pad(std::to_string(i + 1), 6)
        << pad(std::isnan(trial.score) ? "diverged" : format_cell(trial.score), 16);
    for (size_t j = 0; j < trial.values.size(); ++j) {
      out << (j ? "  " : "") << trial.values[j].first << "=" << trial.values[j].second.dump();
    }
    out << "\n";
  }
  return out.str();
}

}  // namespace cajal::train
