"""Golden values for the reductions (src/ops/reduction.cpp).

Run: /usr/bin/python3 tools/golden/reduction.py  ->  tests/golden/reduction.json
Each case's params say which cajal call reproduces it (tests/ops/reduction_test.cpp):
  op: sum | mean | var | std | max | min | max_dim | min_dim | amax | amin | argmax | argmin
      | argmax_dim | argmin_dim | logsumexp | norm
  dims: the dims list (absent: the overload without dims, i.e. over everything)
  dim, keepdim (0/1), correction, p ("1", "2", "inf", "3", ...)
"""
import torch

from golden import GoldenFile

torch.manual_seed(4321)
f64 = torch.float64
f32 = torch.float32
DTYPES = [(f64, "f64"), (f32, "f32")]


def randn(*shape, dtype=f64):
    return torch.round(torch.randn(shape, dtype=f64) * 1000).div(1000).to(dtype)


def distinct(*shape, dtype=f64):
    """Random values without ties, so max/min gradients are well defined."""
    n = 1
    for s in shape:
        n *= s
    values = torch.randperm(n, dtype=f64) * 0.375 - n * 0.125 + torch.randint(0, 100, (n,)) / 1024
    return values.reshape(shape).to(dtype)


def tag_dims(dims):
    return "all" if dims is None else "d" + "_".join(str(d).replace("-", "m") for d in dims)


g = GoldenFile("reduction")

# (dims, keepdim) on a [2, 3, 4] input: one dim, negative dims, several dims, all dims listed.
COMBOS = {
    f64: [(None, False), ([0], False), ([-1], False), ([-1], True), ([1], False), ([0, 2], False),
          ([0, 2], True), ([-1, 0], False), ([0, 1, 2], True)],
    f32: [(None, False), ([-1], True), ([0, 2], False)],
}

for dtype, dt in DTYPES:
    x = randn(2, 3, 4, dtype=dtype)
    for dims, keepdim in COMBOS[dtype]:
        params = {"keepdim": int(keepdim)}
        if dims is not None:
            params["dims"] = dims
        name = f"{tag_dims(dims)}{'_keep' if keepdim else ''}_{dt}"
        g.add(f"sum_{name}", (lambda t: t.sum()) if dims is None else
              (lambda t, d=dims, k=keepdim: t.sum(d, keepdim=k)), [x], params={**params, "op": "sum"})
        g.add(f"mean_{name}", (lambda t: t.mean()) if dims is None else
              (lambda t, d=dims, k=keepdim: t.mean(d, keepdim=k)), [x], params={**params, "op": "mean"})
        corrections = [0, 1, 2] if dims in ([-1], [0, 2]) and not keepdim else [1]
        for correction in corrections:
            for op in ["var", "std"]:
                fn = getattr(torch, op)
                if dims is None:
                    f = lambda t, fn=fn, c=correction: fn(t, None, correction=c)
                else:
                    f = lambda t, fn=fn, c=correction, d=dims, k=keepdim: fn(t, d, correction=c, keepdim=k)
                g.add(f"{op}_c{correction}_{name}", f, [x],
                      params={**params, "op": op, "correction": correction})
        if dims is not None:
            g.add(f"logsumexp_{name}", lambda t, d=dims, k=keepdim: torch.logsumexp(t, d, keepdim=k),
                  [x * 3], params={**params, "op": "logsumexp"})
            xd = distinct(2, 3, 4, dtype=dtype)
            g.add(f"amax_{name}", lambda t, d=dims, k=keepdim: torch.amax(t, d, keepdim=k), [xd],
                  params={**params, "op": "amax"})
            g.add(f"amin_{name}", lambda t, d=dims, k=keepdim: torch.amin(t, d, keepdim=k), [xd],
                  params={**params, "op": "amin"})
        for p, ptag in [(1, "1"), (2, "2"), (float("inf"), "inf"), (3, "3")]:
            if p == 3 and dims not in (None, [0, 2]):
                continue
            if dims is None:
                f = lambda t, p=p: torch.norm(t, p)
            else:
                f = lambda t, p=p, d=dims, k=keepdim: torch.norm(t, p, d, keepdim=k)
            xn = distinct(2, 3, 4, dtype=dtype) if p == float("inf") else x
            g.add(f"norm_p{ptag}_{name}", f, [xn], params={**params, "op": "norm", "p": ptag})

    # max/min over everything and along one dim; argmax/argmin.
    xd = distinct(3, 4, dtype=dtype)
    g.add(f"max_all_{dt}", lambda t: t.max(), [xd], params={"op": "max"})
    g.add(f"min_all_{dt}", lambda t: t.min(), [xd], params={"op": "min"})
    g.add(f"argmax_all_{dt}", lambda t: t.argmax(), [xd], params={"op": "argmax"})
    g.add(f"argmin_all_{dt}", lambda t: t.argmin(), [xd], params={"op": "argmin"})
    for dim in [0, 1, -1]:
        for keepdim in [False, True]:
            kd = "_keep" if keepdim else ""
            params = {"dim": dim, "keepdim": int(keepdim)}
            dtag = str(dim).replace("-", "m")
            for op in ["max", "min"]:
                g.add(f"{op}_dim{dtag}{kd}_{dt}",
                      lambda t, op=op, d=dim, k=keepdim: getattr(torch, op)(t, d, keepdim=k), [xd],
                      params={**params, "op": op + "_dim"})
                g.add(f"arg{op}_dim{dtag}{kd}_{dt}",
                      lambda t, op=op, d=dim, k=keepdim: getattr(torch, "arg" + op)(t, d, keepdim=k), [xd],
                      params={**params, "op": "arg" + op + "_dim"})

    # A 0-dim input.
    s = randn(dtype=dtype)
    g.add(f"sum_0dim_{dt}", lambda t: t.sum(), [s], params={"op": "sum"})
    g.add(f"sum_0dim_d0_{dt}", lambda t: t.sum([0]), [s], params={"op": "sum", "dims": [0], "keepdim": 0})
    g.add(f"mean_0dim_{dt}", lambda t: t.mean(), [s], params={"op": "mean"})
    g.add(f"var_0dim_c0_{dt}", lambda t: torch.var(t, None, correction=0), [s], params={"op": "var", "correction": 0})
    g.add(f"max_0dim_{dt}", lambda t: t.max(), [s], params={"op": "max"})
    g.add(f"max_dim0_0dim_{dt}", lambda t: torch.max(t, 0), [s], params={"op": "max_dim", "dim": 0, "keepdim": 0})
    g.add(f"amax_0dim_{dt}", lambda t: torch.amax(t, []), [s], params={"op": "amax", "dims": [], "keepdim": 0})
    g.add(f"argmax_0dim_{dt}", lambda t: t.argmax(), [s], params={"op": "argmax"})
    g.add(f"logsumexp_0dim_{dt}", lambda t: torch.logsumexp(t, [0]), [s],
          params={"op": "logsumexp", "dims": [0], "keepdim": 0})
    g.add(f"norm_p2_0dim_{dt}", lambda t: torch.norm(t), [s], params={"op": "norm", "p": "2"})

# Ties: max/min over everything and amax/amin split the gradient evenly; max along a dim sends
# it to the first maximum only. The inf-norm splits among the largest |x|, signed.
ties = torch.tensor([[1.0, 3.0, 3.0, -2.0], [3.0, 0.5, -2.0, -2.0], [0.0, 0.0, 0.0, 0.0]], dtype=f64)
g.add("max_all_ties", lambda t: t.max(), [ties], params={"op": "max"})
g.add("min_all_ties", lambda t: t.min(), [ties], params={"op": "min"})
g.add("amax_d1_ties", lambda t: torch.amax(t, [1]), [ties], params={"op": "amax", "dims": [1], "keepdim": 0})
g.add("amin_d1_ties", lambda t: torch.amin(t, [1]), [ties], params={"op": "amin", "dims": [1], "keepdim": 0})
g.add("amax_d0_ties", lambda t: torch.amax(t, [0], keepdim=True), [ties],
      params={"op": "amax", "dims": [0], "keepdim": 1})
g.add("max_dim1_ties", lambda t: torch.max(t, 1), [ties], params={"op": "max_dim", "dim": 1, "keepdim": 0})
g.add("min_dim1_ties", lambda t: torch.min(t, 1), [ties], params={"op": "min_dim", "dim": 1, "keepdim": 0})
g.add("max_dim0_ties", lambda t: torch.max(t, 0), [ties], params={"op": "max_dim", "dim": 0, "keepdim": 0})
g.add("argmax_dim1_ties", lambda t: torch.argmax(t, 1), [ties], params={"op": "argmax_dim", "dim": 1, "keepdim": 0})
g.add("argmin_dim1_ties", lambda t: torch.argmin(t, 1), [ties], params={"op": "argmin_dim", "dim": 1, "keepdim": 0})
g.add("argmax_all_ties", lambda t: t.argmax(), [ties], params={"op": "argmax"})
g.add("argmin_all_ties", lambda t: t.argmin(), [ties], params={"op": "argmin"})
signed_ties = torch.tensor([[1.0, -3.0, 3.0, 2.0], [0.0, 0.0, 0.0, 0.0]], dtype=f64)
g.add("norm_pinf_all_ties", lambda t: torch.norm(t, float("inf")), [signed_ties], params={"op": "norm", "p": "inf"})
g.add("norm_pinf_d1_ties", lambda t: torch.norm(t, float("inf"), [1]), [signed_ties],
      params={"op": "norm", "p": "inf", "dims": [1], "keepdim": 0})
# Zeros: the 2-norm's gradient is 0 where the norm is 0; std's where std is 0.
zero_rows = torch.tensor([[0.0, 0.0, 0.0], [1.0, -2.0, 2.0]], dtype=f64)
g.add("norm_p2_d1_zero_row", lambda t: torch.norm(t, 2, [1]), [zero_rows],
      params={"op": "norm", "p": "2", "dims": [1], "keepdim": 0})
g.add("norm_p1_d1_zero_row", lambda t: torch.norm(t, 1, [1]), [zero_rows],
      params={"op": "norm", "p": "1", "dims": [1], "keepdim": 0})
const_rows = torch.tensor([[0.7, 0.7, 0.7], [1.0, -2.0, 2.0]], dtype=f64)
g.add("std_d1_const_row", lambda t: torch.std(t, [1]), [const_rows],
      params={"op": "std", "dims": [1], "keepdim": 0, "correction": 1})
# General p by composition.
g.add("norm_p0_5_d1", lambda t: torch.norm(t, 0.5, [1]), [distinct(3, 4)],
      params={"op": "norm", "p": "0.5", "dims": [1], "keepdim": 0})
g.add("norm_p1_5_all", lambda t: torch.norm(t, 1.5), [randn(3, 4)], params={"op": "norm", "p": "1.5"})

# NaN propagates through max/min/amax/logsumexp; argmax/argmin point at the first NaN.
nan = float("nan")
xnan = torch.tensor([[1.0, nan, 3.0, nan], [2.0, 5.0, -1.0, 0.0]], dtype=f64)
g.add("max_all_nan", lambda t: t.max(), [xnan], params={"op": "max"})
g.add("min_all_nan", lambda t: t.min(), [xnan], params={"op": "min"})
g.add("argmax_all_nan", lambda t: t.argmax(), [xnan], params={"op": "argmax"})
g.add("argmin_all_nan", lambda t: t.argmin(), [xnan], params={"op": "argmin"})
g.add("max_dim1_nan", lambda t: torch.max(t, 1), [xnan], params={"op": "max_dim", "dim": 1, "keepdim": 0})
g.add("min_dim1_nan", lambda t: torch.min(t, 1), [xnan], params={"op": "min_dim", "dim": 1, "keepdim": 0})
g.add("argmax_dim1_nan", lambda t: torch.argmax(t, 1), [xnan], params={"op": "argmax_dim", "dim": 1, "keepdim": 0})
g.add("amax_d1_nan", lambda t: torch.amax(t, [1]), [xnan], params={"op": "amax", "dims": [1], "keepdim": 0},
      requires_grad=[False])
g.add("logsumexp_d1_nan", lambda t: torch.logsumexp(t, [1]), [xnan],
      params={"op": "logsumexp", "dims": [1], "keepdim": 0}, requires_grad=[False])
# Infinities in logsumexp: an all -inf row gives -inf; an inf entry gives inf.
inf = float("inf")
xinf = torch.tensor([[-inf, -inf, -inf], [inf, 1.0, 2.0], [-inf, 0.0, 1.0]], dtype=f64)
g.add("logsumexp_d1_inf", lambda t: torch.logsumexp(t, [1]), [xinf],
      params={"op": "logsumexp", "dims": [1], "keepdim": 0}, requires_grad=[False])
# Large values: the subtraction of the max keeps logsumexp finite.
g.add("logsumexp_d1_large", lambda t: torch.logsumexp(t, [1]),
      [torch.tensor([[1000.0, 1001.0, 999.0], [-1000.0, -1002.0, -1001.0]], dtype=f64)],
      params={"op": "logsumexp", "dims": [1], "keepdim": 0})
g.add("logsumexp_d1_large_f32", lambda t: torch.logsumexp(t, [1]),
      [torch.tensor([[100.0, 101.0, 99.0], [-100.0, -102.0, -101.0]], dtype=f32)],
      params={"op": "logsumexp", "dims": [1], "keepdim": 0})

# Integer inputs: sum gives int64; max/min/argmax keep working.
xi = torch.randint(-50, 50, (3, 4), dtype=torch.int64)
g.add("sum_all_int64", lambda t: t.sum(), [xi], params={"op": "sum"})
g.add("sum_d0_int64", lambda t: t.sum([0]), [xi], params={"op": "sum", "dims": [0], "keepdim": 0})
g.add("sum_dm1_keep_int64", lambda t: t.sum([-1], keepdim=True), [xi],
      params={"op": "sum", "dims": [-1], "keepdim": 1})
g.add("sum_big_int64", lambda t: t.sum(), [torch.full((5,), 2**40, dtype=torch.int64)], params={"op": "sum"})
g.add("max_all_int64", lambda t: t.max(), [xi], params={"op": "max"})
g.add("amin_d0_int64", lambda t: torch.amin(t, [0]), [xi], params={"op": "amin", "dims": [0], "keepdim": 0})
g.add("max_dim1_int64", lambda t: torch.max(t, 1), [xi], params={"op": "max_dim", "dim": 1, "keepdim": 0})
g.add("argmin_dim0_int64", lambda t: torch.argmin(t, 0), [xi], params={"op": "argmin_dim", "dim": 0, "keepdim": 0})
g.add("sum_all_bool", lambda t: t.sum(), [torch.tensor([True, False, True, True])], params={"op": "sum"})

# Empty reductions with an identity.
g.add("sum_empty", lambda t: t.sum([1]), [torch.zeros(2, 0, dtype=f64)], params={"op": "sum", "dims": [1], "keepdim": 0})
g.add("logsumexp_empty", lambda t: torch.logsumexp(t, [1]), [torch.zeros(2, 0, dtype=f64)],
      params={"op": "logsumexp", "dims": [1], "keepdim": 0})
g.add("amax_empty_kept", lambda t: torch.amax(t, [1]), [torch.zeros(0, 3, dtype=f64)],
      params={"op": "amax", "dims": [1], "keepdim": 0})

g.write()
