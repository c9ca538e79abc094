// Learning XOR with a two-layer perceptron, written directly against cajal's tensors and autograd:
// forward pass, binary cross-entropy, backward(), and a plain gradient-descent update.
#include <cmath>
#include <cstdio>

#include "cajal/cajal.h"

using namespace cajal;

int main() {
  manual_seed(7);
  Tensor inputs = tensor({{0, 0}, {0, 1}, {1, 0}, {1, 1}});
  Tensor targets = tensor({0, 1, 1, 0}).reshape({4, 1});

  // 2 -> 4 (tanh) -> 1 (sigmoid). Xavier-uniform weights: U(-a, a), a = sqrt(6 / (fan_in +
  // fan_out)).
  auto xavier = [](int64_t out, int64_t in) {
    double a = std::sqrt(6.0 / static_cast<double>(in + out));
    return ((rand({out, in}) * 2 - 1) * a).requires_grad_();
  };
  Tensor w1 = xavier(4, 2), b1 = zeros({4}, {.requires_grad = true});
  Tensor w2 = xavier(1, 4), b2 = zeros({1}, {.requires_grad = true});
  std::vector<Tensor> parameters{w1, b1, w2, b2};
  const double learning_rate = 0.5;

  auto forward = [&](const Tensor& x) {
    Tensor hidden = tanh(linear(x, w1, b1));
    return sigmoid(linear(hidden, w2, b2));
  };

  std::printf(
      "Learning XOR: 2-4-1 network, tanh hidden layer, sigmoid output, learning rate %.1f\n\n",
      learning_rate);
  std::printf("%6s  %s\n", "epoch", "binary cross-entropy");
  for (int epoch = 0; epoch <= 2000; ++epoch) {
    Tensor p = clamp(forward(inputs), 1e-7, 1 - 1e-7);
    Tensor loss = -mean(targets * log(p) + (1 - targets) * log(1 - p));
    for (Tensor& w : parameters) w.set_grad(Tensor());
    loss.backward();
    {
      no_grad guard;
      for (Tensor& w : parameters) w.sub_(w.grad(), learning_rate);
    }
    if (epoch % 200 == 0) std::printf("%6d  %.6f\n", epoch, loss.item());
  }

  std::printf("\n  x1  x2  target  prediction\n");
  no_grad guard;
  Tensor predictions = forward(inputs);
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
