"""Golden values for the elementwise binary ops (src/ops/arithmetic.cpp).

Run: /usr/bin/python3 tools/golden/arithmetic.py  ->  tests/golden/arithmetic.json
The C++ test (tests/ops/arithmetic_test.cpp) maps each case name to the same computation.
"""
import torch

from golden import GoldenFile

torch.manual_seed(1234)
f64 = torch.float64
f32 = torch.float32


def randn(*shape, dtype=f64):
    return torch.randn(shape, dtype=dtype)


def positive(*shape, dtype=f64):
    return torch.rand(shape, dtype=dtype) * 2 + 0.5  # in [0.5, 2.5)


g = GoldenFile("arithmetic")

# add / sub / mul / div with broadcasting ([3, 1, 4] with [2, 1] -> [3, 2, 4]).
for dtype, tag in [(f64, "f64"), (f32, "f32")]:
    a, b = randn(3, 1, 4, dtype=dtype), randn(2, 1, dtype=dtype)
    g.add(f"add_broadcast_{tag}", lambda x, y: x + y, [a, b])
    g.add(f"sub_broadcast_{tag}", lambda x, y: x - y, [a, b])
    g.add(f"mul_broadcast_{tag}", lambda x, y: x * y, [a, b])
    g.add(f"div_broadcast_{tag}", lambda x, y: x / y, [a, positive(2, 1, dtype=dtype)])
g.add("add_alpha", lambda x, y: torch.add(x, y, alpha=2.5), [randn(3, 1, 4), randn(2, 1)])
g.add("sub_alpha", lambda x, y: torch.sub(x, y, alpha=-1.5), [randn(2, 3), randn(3)])
g.add("add_0dim", lambda x, y: x + y, [randn(4), randn()])
g.add("mul_0dim", lambda x, y: x * y, [randn(2, 3), randn()])
g.add("mul_same", lambda x, y: x * y, [randn(2, 3), randn(2, 3)])
g.add("mul_self", lambda x: x * x, [randn(5)])
g.add("div_both_broadcast", lambda x, y: x / y, [randn(4, 1), positive(1, 3)])
g.add("add_one_requires_grad", lambda x, y: x + y, [randn(2, 3), randn(3)], requires_grad=[True, False])
g.add("mul_one_requires_grad", lambda x, y: x * y, [randn(2, 3), randn(3)], requires_grad=[False, True])

# Tensor-scalar forms.
g.add("add_scalar", lambda x: x + 2, [randn(2, 3)])
g.add("sub_scalar", lambda x: x - 0.5, [randn(2, 3)])
g.add("rsub_scalar", lambda x: 3 - x, [randn(2, 3)])
g.add("mul_scalar", lambda x: x * -1.5, [randn(2, 3)])
g.add("rmul_scalar", lambda x: 2 * x, [randn(2, 3)])
g.add("div_scalar", lambda x: x / 2.5, [randn(2, 3)])
g.add("rdiv_scalar", lambda x: 2.5 / x, [positive(2, 3)])
g.add("add_scalar_f32", lambda x: x + 0.1, [randn(2, 3, dtype=f32)])
g.add("neg", lambda x: -x, [randn(2, 3)])
g.add("neg_f32", lambda x: torch.neg(x), [randn(4, dtype=f32)])

# pow: tensor ^ scalar.
for e, tag in [(0.5, "half"), (2, "2"), (3, "3"), (-1, "minus1"), (0, "0"), (1, "1"),
               (2.5, "2_5"), (-0.5, "minus_half")]:
    base = positive(2, 3) if e != int(e) or e < 0 else randn(2, 3)
    g.add(f"pow_scalar_{tag}", lambda x, e=e: torch.pow(x, e), [base], params={"exponent": e})
g.add("pow_scalar_2_f32", lambda x: x ** 2, [randn(5, dtype=f32)])
g.add("pow_scalar_half_f32", lambda x: x ** 0.5, [positive(5, dtype=f32)])
# pow: tensor ^ tensor (with broadcasting; base positive so log(base) is defined).
g.add("pow_tensor", lambda x, y: torch.pow(x, y), [positive(3, 1, 4), randn(2, 1)])
g.add("pow_tensor_same", lambda x, y: torch.pow(x, y), [positive(2, 3), randn(2, 3)])
g.add("pow_tensor_base_only", lambda x, y: torch.pow(x, y), [randn(2, 3), torch.tensor([1., 2., 3.], dtype=f64)],
      requires_grad=[True, False])
# pow: scalar ^ tensor.
g.add("pow_scalar_base", lambda y: torch.pow(2.5, y), [randn(2, 3)])
g.add("pow_scalar_base_half", lambda y: torch.pow(0.5, y), [randn(4)])

# minimum / maximum, including ties (PyTorch splits the gradient 0.5 / 0.5 on ties).
ta = torch.tensor([[1.0, 2.0, 3.0, -1.0], [0.5, 0.5, -2.0, 4.0]], dtype=f64)
tb = torch.tensor([[1.0, 3.0, 2.0, -1.0], [0.5, 0.25, -2.0, 5.0]], dtype=f64)
g.add("maximum_ties", lambda x, y: torch.maximum(x, y), [ta, tb])
g.add("minimum_ties", lambda x, y: torch.minimum(x, y), [ta, tb])
tc = torch.tensor([[0.5], [-2.0]], dtype=f64)  # broadcast against ta, ties at some places
g.add("maximum_broadcast_ties", lambda x, y: torch.maximum(x, y), [ta, tc])
g.add("minimum_broadcast_ties", lambda x, y: torch.minimum(x, y), [ta, tc])
g.add("maximum_random", lambda x, y: torch.maximum(x, y), [randn(3, 1, 4), randn(2, 1)])
g.add("minimum_random_f32", lambda x, y: torch.minimum(x, y), [randn(3, 4, dtype=f32), randn(4, dtype=f32)])

# clamp: both bounds, one bound, values exactly at a bound (PyTorch passes the gradient there).
tx = torch.tensor([-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 3.0], dtype=f64)
g.add("clamp_both", lambda x: torch.clamp(x, -1.0, 1.0), [tx], params={"min": -1.0, "max": 1.0})
g.add("clamp_min", lambda x: torch.clamp(x, min=-0.5), [tx], params={"min": -0.5})
g.add("clamp_max", lambda x: torch.clamp(x, max=0.5), [tx], params={"max": 0.5})
g.add("clamp_min_fn", lambda x: torch.clamp_min(x, 0.0), [tx], params={"min": 0.0})
g.add("clamp_max_fn", lambda x: torch.clamp_max(x, 1.5), [tx], params={"max": 1.5})
g.add("clamp_random_f32", lambda x: torch.clamp(x, -0.3, 0.7), [randn(3, 5, dtype=f32)])
g.add("clamp_inverted", lambda x: torch.clamp(x, 1.0, -1.0), [tx])

# where: condition broadcast against both branches.
cond = torch.tensor([[True, False, True, False]])
g.add("where_broadcast", lambda c, x, y: torch.where(c, x, y), [cond, randn(3, 1), randn(3, 4)])
g.add("where_same", lambda c, x, y: torch.where(c, x, y),
      [torch.tensor([True, False, False, True, True]), randn(5), randn(5)])
g.add("where_scalar_other", lambda c, x: torch.where(c, x, torch.tensor(0.5, dtype=f64)),
      [cond, randn(2, 4)])
g.add("where_scalar_self", lambda c, y: torch.where(c, torch.tensor(-1.0, dtype=f64), y),
      [cond, randn(2, 4)])

# A composite expression: the gradients meet at shared inputs.
g.add("composite", lambda x, y: (x * y + x / (y * y + 1) - 2 * x) ** 2,
      [randn(3, 4), randn(4)])

g.write()
