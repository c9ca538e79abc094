"""Golden values for the elementwise unary math ops (src/ops/math.cpp).

Run: /usr/bin/python3 tools/golden/math.py  ->  tests/golden/math.json
Case names are "<op>_<dtype>" (plus a suffix for special inputs); the C++ test
(tests/ops/math_test.cpp) looks the op up by the part before the dtype tag.
"""
import torch

from golden import GoldenFile

torch.manual_seed(4321)
f64 = torch.float64
f32 = torch.float32


def randn(shape, dtype):
    return torch.randn(shape, dtype=dtype)


def positive(shape, dtype):
    return torch.rand(shape, dtype=dtype) * 2 + 0.2  # [0.2, 2.2)


def above_minus_one(shape, dtype):
    return torch.rand(shape, dtype=dtype) * 3 - 0.9  # (-0.9, 2.1)


def tan_domain(shape, dtype):
    return torch.rand(shape, dtype=dtype) * 2.4 - 1.2  # away from +-pi/2


def away_from_integers(shape, dtype):
    # Values with fractional part in [0.1, 0.9] (floor/ceil/round are flat there).
    whole = torch.randint(-3, 4, shape).to(dtype)
    return whole + torch.rand(shape, dtype=dtype) * 0.8 + 0.1


OPS = {
    "exp": (torch.exp, randn),
    "log": (torch.log, positive),
    "log1p": (torch.log1p, above_minus_one),
    "expm1": (torch.expm1, randn),
    "sqrt": (torch.sqrt, positive),
    "rsqrt": (torch.rsqrt, positive),
    "square": (torch.square, randn),
    "reciprocal": (torch.reciprocal, positive),
    "abs": (torch.abs, randn),
    "sign": (torch.sign, randn),
    "sin": (torch.sin, randn),
    "cos": (torch.cos, randn),
    "tan": (torch.tan, tan_domain),
    "tanh": (torch.tanh, randn),
    "sigmoid": (torch.sigmoid, randn),
    "floor": (torch.floor, away_from_integers),
    "ceil": (torch.ceil, away_from_integers),
    "round": (torch.round, away_from_integers),
}

g = GoldenFile("math")
for name, (fn, make) in OPS.items():
    for dtype, tag in [(f64, "f64"), (f32, "f32")]:
        g.add(f"{name}_{tag}", fn, [make((3, 5), dtype)], params={"op": name})

# Special inputs.
g.add("abs_f64_zeros", torch.abs, [torch.tensor([-1.5, -0.0, 0.0, 2.0], dtype=f64)],
      params={"op": "abs"})  # gradient 0 at 0
g.add("sign_f64_zeros", torch.sign, [torch.tensor([-1.5, 0.0, 2.0], dtype=f64)], params={"op": "sign"})
g.add("round_f64_halves", torch.round, [torch.tensor([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5], dtype=f64)],
      params={"op": "round"})  # halves round to even
g.add("floor_f64_negative", torch.floor, [torch.tensor([-1.5, -1.0, -0.2, 0.0, 0.7], dtype=f64)],
      params={"op": "floor"})
g.add("ceil_f64_negative", torch.ceil, [torch.tensor([-1.5, -1.0, -0.2, 0.0, 0.7], dtype=f64)],
      params={"op": "ceil"})
g.add("sigmoid_f64_extreme", torch.sigmoid, [torch.tensor([-800.0, -40.0, -5.0, 0.0, 5.0, 40.0, 800.0],
                                                           dtype=f64)], params={"op": "sigmoid"})
g.add("sigmoid_f32_extreme", torch.sigmoid, [torch.tensor([-200.0, -30.0, 0.0, 30.0, 200.0], dtype=f32)],
      params={"op": "sigmoid"})
g.add("tanh_f64_extreme", torch.tanh, [torch.tensor([-50.0, -1e-8, 0.0, 20.0], dtype=f64)],
      params={"op": "tanh"})
g.add("log1p_f64_tiny", torch.log1p, [torch.tensor([1e-12, -1e-10, 1e-5], dtype=f64)], params={"op": "log1p"})
g.add("expm1_f64_tiny", torch.expm1, [torch.tensor([1e-12, -1e-10, 1e-5], dtype=f64)], params={"op": "expm1"})
g.add("exp_f64_0dim", torch.exp, [torch.tensor(0.7, dtype=f64)], params={"op": "exp"})
# Non-finite values in the forward pass (no gradient).
g.add("log_f64_nonpositive", torch.log, [torch.tensor([0.0, -1.0, 1.0], dtype=f64)],
      requires_grad=[False], params={"op": "log"})
g.add("sqrt_f64_negative", torch.sqrt, [torch.tensor([-1.0, 0.0, 4.0], dtype=f64)],
      requires_grad=[False], params={"op": "sqrt"})
g.add("reciprocal_f64_zero", torch.reciprocal, [torch.tensor([0.0, -0.0, 2.0], dtype=f64)],
      requires_grad=[False], params={"op": "reciprocal"})
g.add("exp_f32_overflow", torch.exp, [torch.tensor([100.0, -200.0, 0.0], dtype=f32)],
      requires_grad=[False], params={"op": "exp"})
# Integer inputs compute in float32 (exp, sqrt, ...) or keep their dtype (abs, sign, square, floor).
ints = torch.tensor([-3, -1, 0, 2, 5])
for name in ["exp", "sin", "sigmoid", "abs", "sign", "square", "floor", "ceil", "round"]:
    g.add(f"{name}_int64", OPS[name][0], [ints], requires_grad=[False], params={"op": name})
g.add("sqrt_int64", torch.sqrt, [torch.tensor([0, 1, 4, 9])], requires_grad=[False], params={"op": "sqrt"})
g.add("log_int64", torch.log, [torch.tensor([1, 2, 10])], requires_grad=[False], params={"op": "log"})

g.write()
