"""Golden values for max/avg pooling and adaptive average pooling (tests/ops/pooling_test.cpp).

Run: /usr/bin/python3 tools/golden/pooling.py
"""
import torch
import torch.nn.functional as F

from golden import GoldenFile

torch.manual_seed(0)
out = GoldenFile("pooling")


def randn(shape, dtype):
    # Multiples of 1/64: exact in both dtypes and short in the JSON (ties are made on purpose only).
    return (torch.randn(shape, dtype=torch.float64) * 64).round().div(64).to(dtype)


def size(v, dims):
    return list(v) if isinstance(v, (tuple, list)) else [v] * dims


def add_pool(name, kind, dims, shape, kernel, stride=None, padding=0, ceil_mode=False,
             count_include_pad=True, dtype=torch.float64, x=None):
    if x is None:
        x = randn(shape, dtype)
    fn = getattr(F, f"{kind}_pool{dims}d")
    kwargs = {"kernel_size": kernel, "stride": stride, "padding": padding, "ceil_mode": ceil_mode}
    if kind == "avg":
        kwargs["count_include_pad"] = count_include_pad
    params = {"op": f"{kind}_pool{dims}d", "kernel_size": size(kernel, dims),
              "stride": size(stride if stride is not None else kernel, dims),
              "padding": size(padding, dims), "ceil_mode": int(ceil_mode),
              "count_include_pad": int(count_include_pad)}
    out.add(name, lambda t: fn(t, **kwargs), [x], params=params)


def add_adaptive(name, shape, output_size, dtype=torch.float64):
    x = randn(shape, dtype)
    out.add(name, lambda t: F.adaptive_avg_pool2d(t, output_size), [x],
            params={"op": "adaptive_avg_pool2d", "output_size": size(output_size, 2)})


for kind in ["max", "avg"]:
    add_pool(f"{kind}_pool2d_k2", kind, 2, [2, 3, 6, 7], 2)
    add_pool(f"{kind}_pool2d_k2_f32", kind, 2, [2, 3, 6, 7], 2, dtype=torch.float32)
    add_pool(f"{kind}_pool2d_k3_s2_p1", kind, 2, [2, 2, 7, 8], 3, stride=2, padding=1)
    add_pool(f"{kind}_pool2d_ceil", kind, 2, [1, 2, 7, 6], 3, stride=2, ceil_mode=True)
    add_pool(f"{kind}_pool2d_ceil_pad", kind, 2, [1, 2, 8, 7], 3, stride=2, padding=1,
             ceil_mode=True)
    add_pool(f"{kind}_pool2d_rect", kind, 2, [2, 2, 5, 9], [2, 3], stride=[1, 2], padding=[1, 1])
    add_pool(f"{kind}_pool1d_k2", kind, 1, [2, 3, 9], 2)
    add_pool(f"{kind}_pool1d_k3_s2_p1_ceil", kind, 1, [2, 2, 10], 3, stride=2, padding=1,
             ceil_mode=True)
    add_pool(f"{kind}_pool1d_f32", kind, 1, [2, 3, 8], 3, stride=1, dtype=torch.float32)

add_pool("avg_pool2d_exclude_pad", "avg", 2, [2, 2, 7, 8], 3, stride=2, padding=1,
         count_include_pad=False)
add_pool("avg_pool2d_ceil_pad_exclude", "avg", 2, [1, 2, 8, 7], 3, stride=2, padding=1,
         ceil_mode=True, count_include_pad=False)
add_pool("avg_pool2d_ceil_past_padding", "avg", 2, [1, 1, 6, 6], 4, stride=3, padding=2,
         ceil_mode=True)
add_pool("avg_pool1d_exclude_pad", "avg", 1, [2, 2, 9], 4, stride=3, padding=2,
         count_include_pad=False)
# Ties: small integers make equal maxima; the gradient goes to the first one.
add_pool("max_pool2d_ties", "max", 2, None, 2, x=torch.randint(0, 3, [1, 2, 6, 6]).double())
add_pool("max_pool2d_overlap_ties", "max", 2, None, 3, stride=1, padding=1,
         x=torch.randint(0, 2, [1, 1, 5, 5]).double())

add_adaptive("adaptive_avg_pool2d_7_to_3", [2, 3, 7, 7], 3)
add_adaptive("adaptive_avg_pool2d_7x5_to_3x2", [2, 2, 7, 5], [3, 2])
add_adaptive("adaptive_avg_pool2d_upsample", [1, 2, 3, 4], [5, 6])
add_adaptive("adaptive_avg_pool2d_global", [2, 3, 6, 5], 1)
add_adaptive("adaptive_avg_pool2d_identity", [1, 2, 4, 4], 4)
add_adaptive("adaptive_avg_pool2d_f32", [2, 2, 9, 7], [4, 3], dtype=torch.float32)
out.write()
