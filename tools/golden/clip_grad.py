"""Golden values for gradient clipping (src/nn/clip_grad.cpp).

Run: /usr/bin/python3 tools/golden/clip_grad.py  ->  tests/golden/clip_grad.json
Each case's inputs are the gradients of a list of parameters (requires_grad false: nothing is
differentiated here). Outputs: for "clip_grad_norm_", the returned total norm followed by the
clipped gradients; for "clip_grad_value_", the clipped gradients. Params: "op", "max_norm" and
"norm_type" (a string: "2", "1", "3", "inf") or "clip_value". The C++ test
(tests/nn/clip_grad_test.cpp) sets the same gradients and compares.
"""
import torch
from torch.nn.utils import clip_grad_norm_, clip_grad_value_

from golden import GoldenFile

torch.manual_seed(2024)
f64 = torch.float64
f32 = torch.float32

g = GoldenFile("clip_grad")


def parameters_with(grads):
    params = []
    for grad in grads:
        p = torch.zeros_like(grad).requires_grad_()
        p.grad = grad.clone()
        params.append(p)
    return params


def norm_case(name, grads, max_norm, norm_type):
    def fn(*gs):
        params = parameters_with(gs)
        total = clip_grad_norm_(params, max_norm, norm_type)
        return (total, *[p.grad for p in params])

    g.add(name, fn, grads, requires_grad=[False] * len(grads),
          params={"op": "clip_grad_norm_", "max_norm": max_norm, "norm_type": str(norm_type)})


def value_case(name, grads, clip_value):
    def fn(*gs):
        params = parameters_with(gs)
        clip_grad_value_(params, clip_value)
        return tuple(p.grad for p in params)

    g.add(name, fn, grads, requires_grad=[False] * len(grads),
          params={"op": "clip_grad_value_", "clip_value": clip_value})


def grads_of(dtype, scale=1.0):
    return [torch.randn(4, 3, dtype=dtype) * scale, torch.randn(3, dtype=dtype) * scale,
            torch.randn(2, 2, 2, dtype=dtype) * scale]


for dtype, tag in ((f32, "f32"), (f64, "f64")):
    grads = grads_of(dtype, scale=2.0)  # total 2-norm about 9: clipped by max_norm 1
    norm_case(f"norm2_clipped_{tag}", grads, 1.0, 2.0)
    norm_case(f"norm2_within_{tag}", grads, 100.0, 2.0)
    norm_case(f"norm1_clipped_{tag}", grads, 5.0, 1.0)
    norm_case(f"norm3_clipped_{tag}", grads, 0.5, 3.0)
    norm_case(f"inf_clipped_{tag}", grads, 0.25, float("inf"))
    norm_case(f"inf_within_{tag}", grads, 50.0, float("inf"))
    norm_case(f"inf_single_{tag}", grads[:1], 0.1, float("inf"))
    norm_case(f"norm2_single_{tag}", grads[1:2], 0.1, 2.0)
    value_case(f"value_{tag}", grads, 0.5)

# A zero max_norm zeroes the gradients; an infinite gradient makes the factor 0 and inf * 0 NaN.
norm_case("norm2_zero_max_f32", grads_of(f32), 0.0, 2.0)
with_inf = grads_of(f32)
with_inf[1][0] = float("inf")
norm_case("norm2_nonfinite_f32", with_inf, 1.0, 2.0)
value_case("value_zero_f32", grads_of(f32), 0.0)

g.write()
