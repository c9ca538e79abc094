"""Golden values for the activation functions (src/ops/activation.cpp).

Run: /usr/bin/python3 tools/golden/activation.py  ->  tests/golden/activation.json
Each case's params hold "op" (cajal's name) and its arguments; the C++ test
(tests/ops/activation_test.cpp) maps "op" to the same call.
"""
import torch
import torch.nn.functional as F

from golden import GoldenFile

torch.manual_seed(2024)
f64 = torch.float64
f32 = torch.float32

g = GoldenFile("activation")


def randn(*shape, dtype=f64, scale=2.0):
    return torch.randn(shape, dtype=dtype) * scale


def with_points(points, extra=12, dtype=f64):
    """Random values plus the given points (kinks, limits), as one [rows, 6] tensor."""
    values = torch.cat([torch.tensor(points, dtype=f64), randn(extra)])
    pad = (-values.numel()) % 6
    if pad:
        values = torch.cat([values, randn(pad)])
    return values.reshape(-1, 6).to(dtype)


# Values where a stable implementation matters: exp(x) overflows float64 beyond ~709.
BIG = [-1000.0, -200.0, -50.0, -20.0, -1.0, 0.0, 1.0, 20.0, 50.0, 200.0, 1000.0, 3.0]


# op name -> (torch function of (x, **params), kink points, params variants)
ELEMENTWISE = {
    "relu": (lambda x: F.relu(x), [0.0], [{}]),
    "relu6": (lambda x: F.relu6(x), [0.0, 6.0, 5.5, 6.5], [{}]),
    "leaky_relu": (lambda x, negative_slope=0.01: F.leaky_relu(x, negative_slope), [0.0],
                   [{}, {"negative_slope": 0.2}, {"negative_slope": -0.5}]),
    "elu": (lambda x, alpha=1.0: F.elu(x, alpha), [0.0], [{}, {"alpha": 0.5}, {"alpha": -1.5}]),
    "selu": (lambda x: F.selu(x), [0.0], [{}]),
    "celu": (lambda x, alpha=1.0: F.celu(x, alpha), [0.0], [{}, {"alpha": 2.0}, {"alpha": 0.5}]),
    "gelu": (lambda x, approximate="none": F.gelu(x, approximate=approximate), [0.0],
             [{"approximate": "none"}, {"approximate": "tanh"}]),
    "softplus": (lambda x, beta=1.0, threshold=20.0: F.softplus(x, beta, threshold),
                 [0.0, 20.0, 20.5, 19.5],
                 [{}, {"beta": 2.0, "threshold": 5.0}, {"beta": 0.5}]),
    "softsign": (lambda x: F.softsign(x), [0.0], [{}]),
    "silu": (lambda x: F.silu(x), [0.0], [{}]),
    "mish": (lambda x: F.mish(x), [0.0], [{}]),
    # PyTorch's convention at the limits: zero gradient.
    "hardtanh": (lambda x, min_val=-1.0, max_val=1.0: F.hardtanh(x, min_val, max_val),
                 [-1.0, 1.0, -2.0, 3.0], [{}, {"min_val": -2.0, "max_val": 3.0}]),
    "hard_sigmoid": (lambda x: F.hardsigmoid(x), [-3.0, 3.0, 0.0], [{}]),
    # Not exactly 3: torch 1.13's scalar kernel gives slope 1.5 there, its vectorized one 1.
    "hard_swish": (lambda x: F.hardswish(x), [-3.0, 2.999, 3.001, 0.0], [{}]),
    "log_sigmoid": (lambda x: F.logsigmoid(x), [0.0], [{}]),
    "sigmoid": (lambda x: torch.sigmoid(x), [0.0], [{}]),
}


def case_name(op, params):
    return op + "".join(f"_{k}={v}" for k, v in params.items())


for op, (fn, points, variants) in ELEMENTWISE.items():
    for params in variants:
        name = case_name(op, params)
        f = lambda x, fn=fn, params=params: fn(x, **params)
        g.add(name, f, [with_points(points)], params={"op": op, **params})
        g.add(name + "/big", f, [torch.tensor(BIG, dtype=f64).reshape(2, 6)],
              params={"op": op, **params})
    # float32: the first variant only, and away from kinks (kink values are exact in both).
    params = variants[0]
    f = lambda x, fn=fn, params=params: fn(x, **params)
    g.add(case_name(op, params) + "/f32", f, [randn(3, 5, dtype=f32)], params={"op": op, **params})

# prelu: weight [1] or [C] along dim 1.
g.add("prelu/scalar_weight", F.prelu, [with_points([0.0]), torch.tensor([0.25], dtype=f64)],
      params={"op": "prelu"})
g.add("prelu/channels_3d", F.prelu, [randn(2, 3, 4), torch.tensor([0.1, -0.3, 0.7], dtype=f64)],
      params={"op": "prelu"})
g.add("prelu/channels_2d", F.prelu, [randn(4, 3), torch.tensor([0.1, 0.2, 0.5], dtype=f64)],
      params={"op": "prelu"})
g.add("prelu/channels_4d", F.prelu, [randn(2, 3, 2, 2), torch.tensor([0.3, -0.2, 0.05], dtype=f64)],
      params={"op": "prelu"})
g.add("prelu/f32", F.prelu, [randn(2, 3, 4, dtype=f32), torch.tensor([0.1, 0.2, 0.3], dtype=f32)],
      params={"op": "prelu"})

# softmax family over every dim of a 3-D tensor.
SOFTMAX = {"softmax": F.softmax, "log_softmax": F.log_softmax, "softmin": F.softmin}
for op, fn in SOFTMAX.items():
    x = randn(3, 4, 5)
    for dim in [0, 1, 2, -1]:
        g.add(f"{op}/dim{dim}", lambda x, fn=fn, dim=dim: fn(x, dim=dim), [x],
              params={"op": op, "dim": dim})
    g.add(f"{op}/f32", lambda x, fn=fn: fn(x, dim=-1), [randn(4, 7, dtype=f32)],
          params={"op": op, "dim": -1})
    g.add(f"{op}/f32_dim0", lambda x, fn=fn: fn(x, dim=0), [randn(4, 7, dtype=f32)],
          params={"op": op, "dim": 0})
    big = torch.tensor([[1000.0, -1000.0, 0.0, 999.0], [-1000.0, -1000.0, -999.0, -1001.0],
                        [1e4, 0.0, -1e4, 1.0]], dtype=f64)
    g.add(f"{op}/big", lambda x, fn=fn: fn(x, dim=1), [big], params={"op": op, "dim": 1})
    g.add(f"{op}/big_f32", lambda x, fn=fn: fn(x, dim=1), [big.to(f32)], params={"op": op, "dim": 1})
    g.add(f"{op}/0dim", lambda x, fn=fn: fn(x, dim=0), [torch.tensor(1.5, dtype=f64)],
          params={"op": op, "dim": 0})


# maxout: PyTorch has none; reshape and max, which sends the gradient to the (unique) maximum.
def maxout(x, pieces, dim):
    dim = dim % x.dim()
    shape = list(x.shape)
    split = shape[:dim] + [shape[dim] // pieces, pieces] + shape[dim + 1:]
    return x.reshape(split).max(dim=dim + 1).values


for shape, pieces, dim in [((2, 6), 2, 1), ((2, 6, 3), 3, 1), ((4, 2, 3), 2, 0), ((3, 8), 4, -1),
                           ((2, 4, 2, 2), 2, 1)]:
    x = randn(*shape)
    g.add(f"maxout/{'x'.join(map(str, shape))}_p{pieces}_d{dim}",
          lambda x, pieces=pieces, dim=dim: maxout(x, pieces, dim), [x],
          params={"op": "maxout", "pieces": pieces, "dim": dim})
g.add("maxout/f32", lambda x: maxout(x, 3, 1), [randn(2, 9, dtype=f32)],
      params={"op": "maxout", "pieces": 3, "dim": 1})

g.write()
