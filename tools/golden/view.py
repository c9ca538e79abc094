"""Golden values for the differentiable views and copies (src/ops/view.cpp).

Run: /usr/bin/python3 tools/golden/view.py  ->  tests/golden/view.json
The C++ test (tests/ops/view_test.cpp) maps each case name to the same computation. Each case
multiplies by a fixed ramp after the view where useful, so a gradient routed to the wrong
element shows up.
"""
import torch

from golden import GoldenFile

torch.manual_seed(99)
f64 = torch.float64
f32 = torch.float32


def randn(*shape, dtype=f64):
    return torch.randn(shape, dtype=dtype)


g = GoldenFile("view")
x234 = randn(2, 3, 4)

g.add("view_flat", lambda x: x.view(6, 4), [x234])
g.add("view_infer", lambda x: x.view(-1, 2), [x234])
g.add("view_infer_middle", lambda x: x.view(2, -1, 2), [x234])
g.add("view_0dim", lambda x: x.view(1, 1), [randn()])
g.add("reshape_infer", lambda x: x.reshape(4, -1), [x234])
g.add("reshape_transposed", lambda x: x.transpose(0, 2).reshape(-1), [x234])  # copies
g.add("transpose", lambda x: x.transpose(0, 2), [x234])
g.add("transpose_negative", lambda x: x.transpose(-1, -2), [x234])
g.add("t", lambda x: x.t(), [randn(3, 5)])
g.add("permute", lambda x: x.permute(2, 0, 1), [x234])
g.add("permute_negative", lambda x: x.permute(-1, -3, -2), [x234])
g.add("narrow", lambda x: x.narrow(1, 1, 2), [x234])
g.add("narrow_negative_start", lambda x: x.narrow(2, -3, 2), [x234])
g.add("slice_step", lambda x: x[:, 1::2], [randn(3, 7)])
g.add("slice_step3_range", lambda x: x[1:6:3], [randn(8, 2)])
g.add("slice_negative_bounds", lambda x: x[:, -4:-1], [randn(2, 6)])
g.add("slice_empty", lambda x: x[:, 4:2], [randn(2, 6)])
g.add("select", lambda x: x.select(1, 2), [x234])
g.add("select_negative", lambda x: x.select(-1, -1), [x234])
g.add("select_first", lambda x: x[0], [x234])
g.add("expand", lambda x: x.expand(3, 2, 4), [randn(2, 1)])
g.add("expand_keep", lambda x: x.expand(2, -1, 3), [randn(4, 1)])
g.add("expand_0dim", lambda x: x.expand(2, 3), [randn()])
g.add("squeeze_all", lambda x: x.squeeze(), [randn(1, 3, 1, 2)])
g.add("squeeze_dim", lambda x: x.squeeze(2), [randn(1, 3, 1, 2)])
g.add("squeeze_dim_noop", lambda x: x.squeeze(1), [randn(1, 3, 1, 2)])
g.add("unsqueeze", lambda x: x.unsqueeze(1), [randn(3, 2)])
g.add("unsqueeze_end", lambda x: x.unsqueeze(-1), [randn(3, 2)])
g.add("flatten", lambda x: x.flatten(), [x234])
g.add("flatten_range", lambda x: x.flatten(1, 2), [randn(2, 3, 4, 2)])
g.add("flatten_transposed", lambda x: x.transpose(0, 1).flatten(1), [x234])
g.add("contiguous_transposed", lambda x: x.t().contiguous(), [randn(3, 4)])
g.add("clone", lambda x: x.clone(), [randn(3, 4)])

# Chains of views, each gradient must find its way back through all of them.
g.add("chain_transpose_slice_select", lambda x: x.transpose(0, 1)[::2].select(1, -1), [randn(3, 5, 2)])
g.add("chain_permute_view_narrow", lambda x: x.permute(1, 0, 2).reshape(3, 8).narrow(1, 2, 5), [x234])
g.add("chain_expand_mul", lambda x: x.unsqueeze(0).expand(3, 2, 4) * torch.arange(24, dtype=f64).view(3, 2, 4),
      [randn(2, 4)])
g.add("chain_slice_twice", lambda x: x[1:, ::2][:, 1::2] * 3, [randn(4, 9)])
g.add("chain_squeeze_unsqueeze_flatten", lambda x: x.squeeze(0).unsqueeze(2).flatten(0, 1), [randn(1, 3, 4)])
g.add("chain_two_views_of_one_input", lambda x: x.view(4, 3)[1:3] + x.view(3, 4).t()[1:3], [randn(12)])

# to(dtype) in both directions: the gradient comes back in the input's dtype.
g.add("to_float64", lambda x: x.to(f64) * 2, [randn(2, 3, dtype=f32)])
g.add("to_float32", lambda x: x.to(f32) * 2, [randn(2, 3)])
g.add("to_int64", lambda x: x.to(torch.int64), [torch.tensor([-1.7, -0.2, 0.0, 0.9, 2.5], dtype=f64)],
      requires_grad=[False])
g.add("to_bool", lambda x: x.to(torch.bool), [torch.tensor([-1.7, 0.0, 0.9], dtype=f64)], requires_grad=[False])

g.write()
