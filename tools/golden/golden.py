"""Shared writer for cajal's golden files: reference values computed with PyTorch.

Each family script (tools/golden/<family>.py) builds cases with GoldenFile.add and writes
tests/golden/<family>.json. Run with Debian's interpreter, which has torch:
    /usr/bin/python3 tools/golden/<family>.py
A case stores its inputs, a random upstream gradient, the outputs, and the gradients of
sum(output[0] * grad_output) with respect to each input that requires grad.
"""
import json
import math
import os
import zlib

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DTYPES = {torch.float32: "float32", torch.float64: "float64", torch.int64: "int64",
          torch.bool: "bool", torch.uint8: "uint8"}


def encode(t):
    t = t.detach().contiguous()
    values = t.reshape(-1).tolist()
    if t.is_floating_point():
        values = [v if math.isfinite(v) else ("nan" if math.isnan(v) else ("inf" if v > 0 else "-inf"))
                  for v in values]
    return {"shape": list(t.shape), "dtype": DTYPES[t.dtype], "data": values}


class GoldenFile:
    def __init__(self, family):
        self.family = family
        self.cases = []
        self.names = set()

    def add(self, name, fn, inputs, requires_grad=None, params=None):
        """fn(*inputs) -> tensor or tuple of tensors. requires_grad: one flag per input
        (default: floating-point inputs)."""
        if name in self.names:
            raise ValueError(f"duplicate case {name}")
        self.names.add(name)
        if requires_grad is None:
            requires_grad = [t.is_floating_point() for t in inputs]
        xs = [t.detach().clone().requires_grad_(bool(rg)) for t, rg in zip(inputs, requires_grad)]
        out = fn(*xs)
        outs = list(out) if isinstance(out, (tuple, list)) else [out]
        first = outs[0]
        grads = [None] * len(xs)
        grad_outputs = []
        if first.is_floating_point() and first.requires_grad:
            g = torch.Generator().manual_seed(zlib.crc32(name.encode()))
            go = torch.randn(first.shape, generator=g, dtype=first.dtype)
            grad_outputs.append(go)
            wrt = [x for x in xs if x.requires_grad]
            got = torch.autograd.grad(first, wrt, go, allow_unused=True)
            it = iter(got)
            for i, x in enumerate(xs):
                if x.requires_grad:
                    gi = next(it)
                    grads[i] = gi if gi is not None else torch.zeros_like(x)
        self.cases.append({
            "name": name,
            "inputs": [encode(x) for x in xs],
            "requires_grad": [bool(x.requires_grad) for x in xs],
            "outputs": [encode(o) for o in outs],
            "grad_outputs": [encode(g) for g in grad_outputs],
            "grads": [None if g is None else encode(g) for g in grads],
            "params": params or {},
        })

    def write(self):
        path = os.path.join(ROOT, "tests", "golden", f"{self.family}.json")
        with open(path, "w") as f:
            json.dump({"generator": f"tools/golden/{self.family}.py",
                       "torch_version": torch.__version__, "cases": self.cases}, f)
            f.write("\n")
        print(f"wrote {len(self.cases)} cases to {os.path.relpath(path, ROOT)}")
