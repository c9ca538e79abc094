// Time-series forecasting on a sliding window: an LSTM reads the last 48 hours of a synthetic
// hourly load curve and predicts the next hour, compared with the naive forecasts a forecaster
// must beat: "the same as the last hour" and "the same as this hour yesterday".
//
//   build/forecast [--epochs 20] [--seed 1]
//
// The series is made here from a stated formula (below), so anyone can regenerate it:
//   load(t) = 10 + 3 sin(2 pi t / 24) + 1.5 sin(2 pi t / 168) + 0.002 t + e(t),
//   e(t) = 0.8 e(t - 1) + u(t),  u(t) ~ N(0, 0.5^2)   (t in hours: a daily and a weekly cycle,
//   a slow trend and autocorrelated noise). 2 years of hours; the first 70% train, the next 15%
//   validate, the last 15% test, in time order (no future leaks into training).
// Even a perfect model cannot beat the noise: the best one-step forecast knows everything but
// u(t + 1), so its RMSE is 0.5.
#include <cmath>
#include <cstdio>
#include <numbers>
#include <string>
#include <vector>

#include "cajal/cajal.h"

using namespace cajal;
namespace text = cajal::data::text;

namespace {

constexpr int64_t kHours = 2 * 365 * 24;
constexpr int64_t kWindow = 48;

std::vector<double> make_series(uint64_t seed) {
  Generator generator(seed);
  std::vector<double> series(kHours);
  double noise = 0;
  for (int64_t t = 0; t < kHours; ++t) {
    noise = 0.8 * noise + 0.5 * generator.normal();
    const double day = 2 * std::numbers::pi * static_cast<double>(t) / 24;
    const double week = 2 * std::numbers::pi * static_cast<double>(t) / 168;
    series[t] =
        10 + 3 * std::sin(day) + 1.5 * std::sin(week) + 0.002 * static_cast<double>(t) + noise;
  }
  return series;
}

// The LSTM reads the window relative to its last value and predicts the change from it, so a
// level the training years never reached (the trend carries the test years above them) looks
// like any other: forecast = last value + f(window - last value).
class Forecaster : public nn::Module {
 public:
  Forecaster() : Module("Forecaster") {
    lstm = register_module("lstm",
                           nn::LSTM({.input_size = 1, .hidden_size = 64, .batch_first = true}));
    head = register_module("head", nn::Linear({.in_features = 64, .out_features = 1}));
  }
  // window [N, kWindow] -> [N, 1]
  Tensor forward(const Tensor& window) override {
    Tensor last = window.narrow(1, kWindow - 1, 1);
    nn::RecurrentOutput out = lstm->forward((window - last).unsqueeze(-1), {});
    return last + (*head)(out.h_n.select(0, 0));
  }
  std::shared_ptr<nn::LSTM> lstm;
  std::shared_ptr<nn::Linear> head;
};

struct Scores {
  double rmse = 0;
  double mae = 0;
};

Scores score(const std::vector<double>& predicted, const std::vector<double>& actual) {
  Scores s;
  for (size_t i = 0; i < actual.size(); ++i) {
    const double error = predicted[i] - actual[i];
    s.rmse += error * error;
    s.mae += std::abs(error);
  }
  s.rmse = std::sqrt(s.rmse / static_cast<double>(actual.size()));
  s.mae /= static_cast<double>(actual.size());
  return s;
}

}  // namespace

int main(int argc, char** argv) try {
  int64_t epochs = 20;
  uint64_t seed = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string key = argv[i];
    if (key == "--epochs") {
      epochs = std::stoll(argv[i + 1]);
    } else if (key == "--seed") {
      seed = std::stoull(argv[i + 1]);
    } else {
      throw ValueError("forecast: unknown option " + key + " (options: --epochs, --seed)");
    }
  }
  if (epochs < 1) throw ValueError("forecast: --epochs must be positive");
  manual_seed(seed);

  const std::vector<double> series = make_series(seed);
  const int64_t train_end = kHours * 70 / 100;
  const int64_t validation_end = kHours * 85 / 100;
  // Standardize with the training part's statistics only.
  double mean = 0, variance = 0;
  for (int64_t t = 0; t < train_end; ++t) mean += series[t];
  mean /= static_cast<double>(train_end);
  for (int64_t t = 0; t < train_end; ++t) variance += (series[t] - mean) * (series[t] - mean);
  const double scale = std::sqrt(variance / static_cast<double>(train_end));
  std::vector<float> scaled(series.size());
  for (size_t t = 0; t < series.size(); ++t) {
    scaled[t] = static_cast<float>((series[t] - mean) / scale);
  }
  Tensor all = from_vector(scaled);

  // Windows inside each part; a window's target is the hour after it, in the same part.
  auto windows = [&](int64_t begin, int64_t end) {
    return text::sliding_windows(all.narrow(0, begin, end - begin),
                                 {.window = kWindow, .horizon = 1});
  };
  data::TensorDataset train_set = windows(0, train_end);
  data::TensorDataset validation_set = windows(train_end - kWindow, validation_end);
  data::TensorDataset test_set = windows(validation_end - kWindow, kHours);

  Forecaster model;
  optim::Adam optimizer(model.parameters(), {.lr = 3e-3});
  train::fit(model, nn::MSELoss(), optimizer, train_set,
             {.epochs = epochs,
              .batch_size = 64,
              .validation = validation_set,
              .callbacks = {std::make_shared<train::EarlyStopping>(
                  train::EarlyStoppingOptions{.patience = 4, .restore_best_weights = true})},
              .seed = seed});

  // Forecasts on the test hours, back in the series' units.
  Tensor predicted = train::predict(model, test_set, {.batch_size = 256});
  std::vector<float> predicted_scaled = to_vector<float>(predicted.reshape({-1}));
  std::vector<double> actual, lstm, last_value, same_hour_yesterday;
  for (int64_t i = 0; i < static_cast<int64_t>(predicted_scaled.size()); ++i) {
    const int64_t t = validation_end + i;  // the hour being forecast
    actual.push_back(series[t]);
    lstm.push_back(predicted_scaled[i] * scale + mean);
    last_value.push_back(series[t - 1]);
    same_hour_yesterday.push_back(series[t - 24]);
  }
  const Scores naive = score(last_value, actual);
  const Scores seasonal = score(same_hour_yesterday, actual);
  const Scores model_scores = score(lstm, actual);
  std::printf("test forecasts of the next hour (%zu hours)\n", actual.size());
  std::printf("  %-28s RMSE %.3f  MAE %.3f\n", "naive (last value)", naive.rmse, naive.mae);
  std::printf("  %-28s RMSE %.3f  MAE %.3f\n", "seasonal naive (24 h ago)", seasonal.rmse,
              seasonal.mae);
  std::printf("  %-28s RMSE %.3f  MAE %.3f\n", "LSTM on a 48 h window", model_scores.rmse,
              model_scores.mae);
  std::printf("  %-28s RMSE %.3f\n", "noise floor", 0.5);
  std::printf("LSTM RMSE / naive RMSE = %.3f\n", model_scores.rmse / naive.rmse);
  return 0;
} catch (const std::exception& error) {
  std::fprintf(stderr, "error: %s\n", error.what());
  return 1;
}
