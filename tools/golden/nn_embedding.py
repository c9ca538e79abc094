"""Golden values for nn.Embedding as a module (tests/nn/embedding_test.cpp): lookups of any index
shape, repeated ids (gradients accumulate), padding_idx (no gradient for its row), and max_norm
(the looked-up rows renormalized in place before the lookup, for several norm types).

  inputs  = [indices, weight]; params = {"num_embeddings", "embedding_dim", "padding_idx" (or
            absent), "max_norm" (or absent), "norm_type" (a number or "inf")}
  outputs = [y, weight after the forward pass (renormalized when max_norm is set)]
  grads   = [-, d sum(y * grad_output) / d weight]

Run: /usr/bin/python3 tools/golden/nn_embedding.py
"""
import torch
from torch import nn
from torch.nn.utils import stateless

from golden import GoldenFile

torch.manual_seed(21)
f64 = torch.float64
f32 = torch.float32
out = GoldenFile("nn_embedding")


def add(name, indices, num_embeddings, embedding_dim, padding_idx=None, max_norm=None,
        norm_type=2.0, dtype=f64, scale=1.0):
    module = nn.Embedding(num_embeddings, embedding_dim, padding_idx=padding_idx,
                          max_norm=max_norm, norm_type=norm_type).to(dtype)
    weight = (torch.randn(num_embeddings, embedding_dim, dtype=f64) * scale).to(dtype)
    if padding_idx is not None:
        weight[padding_idx] = 0.0

    def run(indices, weight):
        # max_norm rewrites the weight in place: work on a copy (gradients still reach `weight`).
        current = weight.clone()
        y = stateless.functional_call(module, {"weight": current}, (indices,))
        return y, current.detach().clone()

    # JSON has no infinity: an infinite norm_type is written as the string "inf".
    options = {"num_embeddings": num_embeddings, "embedding_dim": embedding_dim,
               "norm_type": "inf" if norm_type == float("inf") else norm_type}
    if padding_idx is not None:
        options["padding_idx"] = padding_idx
    if max_norm is not None:
        options["max_norm"] = max_norm
    out.add(name, run, [torch.tensor(indices, dtype=torch.int64), weight],
            requires_grad=[False, True], params=options)


add("plain/1d", [3, 0, 7, 2], 10, 4)
add("plain/2d_repeats", [[1, 2, 1], [4, 1, 0]], 6, 3)
add("plain/3d", [[[0, 1], [2, 3]], [[3, 3], [1, 0]]], 5, 2)
add("plain/scalar_index", 2, 4, 3)
add("padding/zero", [[0, 2, 0], [1, 0, 3]], 5, 3, padding_idx=0)
add("padding/negative", [[4, 2, 4], [1, 4, 3]], 5, 3, padding_idx=-1)
add("max_norm/l2", [[0, 2, 5], [2, 7, 0]], 8, 4, max_norm=1.0, scale=2.0)
add("max_norm/l1", [1, 3, 3, 6], 8, 4, max_norm=1.5, norm_type=1.0, scale=2.0)
add("max_norm/p3", [0, 4, 2], 6, 5, max_norm=0.8, norm_type=3.0, scale=2.0)
add("max_norm/inf", [5, 1, 5], 6, 3, max_norm=0.5, norm_type=float("inf"), scale=2.0)
add("max_norm/with_padding", [[0, 1, 2], [2, 0, 3]], 4, 3, padding_idx=0, max_norm=1.2,
    scale=2.0)
add("f32/plain", [[1, 5, 2], [0, 5, 5]], 7, 6, dtype=f32)
add("f32/max_norm", [[1, 5, 2], [0, 5, 5]], 7, 6, max_norm=1.0, dtype=f32, scale=2.0)

out.write()
