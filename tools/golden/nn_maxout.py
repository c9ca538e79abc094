"""Golden values for the Maxout layer (tests/nn/maxout_test.cpp). PyTorch has no Maxout; the
reference is Goodfellow et al. (2013) written with torch ops: z = F.linear(x, W, b), then the
maximum over each group of `pieces` consecutive features of z. Inputs are random, so there are no
ties and the gradient path is unambiguous.

  inputs = [x, weight, bias]; params = {"in_features", "out_features", "pieces"}

Run: /usr/bin/python3 tools/golden/nn_maxout.py
"""
import torch
import torch.nn.functional as F

from golden import GoldenFile

torch.manual_seed(41)
f64 = torch.float64
f32 = torch.float32
out = GoldenFile("nn_maxout")


def maxout_layer(x, weight, bias, pieces):
    z = F.linear(x, weight, bias)
    return z.unflatten(-1, (z.shape[-1] // pieces, pieces)).max(dim=-1).values


def add(name, x_shape, in_features, out_features, pieces, dtype=f64):
    x = torch.randn(x_shape, dtype=f64).to(dtype)
    bound = 1 / in_features ** 0.5
    weight = torch.empty(out_features * pieces, in_features, dtype=f64).uniform_(-bound, bound)
    bias = torch.empty(out_features * pieces, dtype=f64).uniform_(-bound, bound)
    out.add(name, lambda x, w, b: maxout_layer(x, w, b, pieces),
            [x, weight.to(dtype), bias.to(dtype)],
            params={"in_features": in_features, "out_features": out_features, "pieces": pieces})


add("2d", (5, 4), 4, 3, 2)
add("pieces_5", (6, 3), 3, 2, 5)
add("one_piece", (4, 3), 3, 4, 1)
add("3d_input", (2, 3, 4), 4, 2, 3)
add("1d_input", (6,), 6, 3, 4)
add("f32", (8, 10), 10, 6, 3, dtype=f32)

out.write()
