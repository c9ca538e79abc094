// Learning XOR with a two-layer perceptron: a Sequential network, a loss module, an optimizer and a
// learning-rate schedule, the way every later example trains.
#include <cstdio>
#include <iostream>

#include "cajal/cajal.h"

using namespace cajal;

int main() {
  manual_seed(7);
  Tensor inputs = tensor({{0, 0}, {0, 1}, {1, 0}, {1, 1}});
  Tensor targets = tensor({0, 1, 1, 0}).reshape({4, 1});

  // 2 -> 4 (tanh) -> 1. The last layer gives a logit; the loss applies the sigmoid itself, which is
  // numerically safer than a sigmoid layer followed by binary cross-entropy.
  nn::Sequential net{nn::Linear({.in_features = 2, .out_features = 4}), nn::Tanh(),
                     nn::Linear({.in_features = 4, .out_features = 1})};
  nn::BCEWithLogitsLoss loss_fn;
  optim::SGD optimizer(net.parameters(), {.lr = 0.5, .momentum = 0.9});
  optim::StepLR schedule(optimizer, {.step_size = 200, .gamma = 0.5});

  std::cout << nn::summary(net, {4, 2}) << "\n";
  std::printf("SGD with momentum 0.9, learning rate 0.5 halved every 200 epochs\n\n");
  std::printf("%6s  %12s  %s\n", "epoch", "lr", "binary cross-entropy");
  for (int epoch = 0; epoch <= 1000; ++epoch) {
    optimizer.zero_grad();
    Tensor loss = loss_fn(net(inputs), targets);
    loss.backward();
    if (epoch % 100 == 0) std::printf("%6d  %12.6f  %.6f\n", epoch, optimizer.lr(0), loss.item());
    optimizer.step();
    schedule.step();
  }

  std::printf("\n  x1  x2  target  prediction\n");
  net.eval();
  no_grad guard;
  Tensor predictions = sigmoid(net(inputs));
  int correct = 0;
  for (int64_t i = 0; i < 4; ++i) {
    double p = predictions.at<float>({i, 0});
    double t = targets.at<float>({i, 0});
    correct += (p > 0.5) == (t > 0.5);
    std::printf("  %2.0f  %2.0f  %6.0f  %10.4f\n", inputs.at<float>({i, 0}),
                inputs.at<float>({i, 1}), t, p);
  }
  std::printf("\n%d of 4 correct\n", correct);
  return correct == 4 ? 0 : 1;
}
