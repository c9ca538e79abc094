"""Golden values for the activation modules (tests/nn/activation_layers_test.cpp): each torch.nn
activation with default and non-default options, run as a module (functional_call for PReLU's
weight), so the module's defaults and option handling are what is recorded.

  inputs = [x] (PReLU: [x, weight]); params = {"module": name, options...}

Run: /usr/bin/python3 tools/golden/nn_activation_layers.py
"""
import torch
from torch import nn
from torch.nn.utils import stateless

from golden import GoldenFile

torch.manual_seed(11)
f64 = torch.float64
f32 = torch.float32
out = GoldenFile("nn_activation_layers")


def randn(*shape, dtype=f64, scale=3.0):
    return (torch.randn(shape, dtype=f64) * scale).to(dtype)


def add(name, module, options, shape=(3, 4), dtype=f64):
    x = randn(*shape, dtype=dtype)
    module = module.to(dtype)
    names = [n for n, _ in module.named_parameters()]
    params = [p.detach().clone() for _, p in module.named_parameters()]

    def run(x, *ps):
        return stateless.functional_call(module, dict(zip(names, ps)), (x,))

    out.add(name, run, [x, *params],
            params={"module": type(module).__name__, **options, "param_names": names})


# Defaults: each module built without arguments.
for cls in [nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.PReLU, nn.ELU, nn.SELU, nn.CELU, nn.GELU,
            nn.Softplus, nn.Softsign, nn.SiLU, nn.Mish, nn.Hardtanh, nn.Hardsigmoid, nn.Hardswish,
            nn.LogSigmoid, nn.Sigmoid, nn.Tanh]:
    add(f"{cls.__name__}/default", cls(), {})
    add(f"{cls.__name__}/f32", cls(), {}, shape=(2, 5), dtype=f32)

# Options.
add("LeakyReLU/slope", nn.LeakyReLU(0.2), {"negative_slope": 0.2})
add("ELU/alpha", nn.ELU(alpha=0.5), {"alpha": 0.5})
add("CELU/alpha", nn.CELU(alpha=2.0), {"alpha": 2.0})
add("GELU/tanh", nn.GELU(approximate="tanh"), {"approximate": "tanh"})
add("Softplus/beta_threshold", nn.Softplus(beta=2.0, threshold=5.0),
    {"beta": 2.0, "threshold": 5.0})
add("Hardtanh/range", nn.Hardtanh(-2.0, 3.0), {"min_val": -2.0, "max_val": 3.0})
add("PReLU/init", nn.PReLU(init=0.1), {"init": 0.1})
# PReLU with one slope per channel (dim 1); random slopes so each channel's gradient differs.
for shape in [(4, 3), (2, 3, 5), (2, 3, 2, 2)]:
    module = nn.PReLU(num_parameters=3)
    with torch.no_grad():
        module.weight.copy_(torch.tensor([0.1, -0.3, 0.6]))
    add(f"PReLU/channels_{len(shape)}d", module, {"num_parameters": 3}, shape=shape)

# Softmax family: the dim option.
for cls in [nn.Softmax, nn.LogSoftmax, nn.Softmin]:
    for dim in [0, 1, -1]:
        add(f"{cls.__name__}/dim{dim}", cls(dim=dim), {"dim": dim}, shape=(3, 4, 2))
    add(f"{cls.__name__}/f32", cls(dim=-1), {"dim": -1}, shape=(4, 6), dtype=f32)

out.write()
