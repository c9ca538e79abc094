"""Golden values for the basic layers as modules: Linear, Conv1d, Conv2d, ConvTranspose2d, the
pooling layers, Flatten and Unflatten (tests/nn/*_test.cpp).

Each case runs the torch.nn module itself (functional_call with the case's parameters), so the
module's own handling of its options (padding_mode, "same" padding, ...) is what is recorded.
inputs = [x, *parameters] with params["param_names"] naming the parameters in order; the module's
options are in params. Booleans are written as 0/1.

Run: /usr/bin/python3 tools/golden/nn_layers.py
"""
import torch
from torch import nn
from torch.nn.utils import stateless

from golden import GoldenFile

torch.manual_seed(0)
out = GoldenFile("nn_layers")


def randn(shape, dtype):
    # Multiples of 1/64: exact in both dtypes and short in the JSON.
    return (torch.randn(shape, dtype=torch.float64) * 64).round().div(64).to(dtype)


def distinct(shape, dtype):
    # Distinct values (a shuffled ramp), so max pooling has no ties and one clear gradient path.
    n = 1
    for s in shape:
        n *= s
    return (torch.randperm(n, dtype=torch.float64) / 8 - n / 16).reshape(shape).to(dtype)


def as_list(v, dims):
    return list(v) if isinstance(v, (tuple, list)) else [v] * dims


def add_module(name, module, x, options, dtype):
    module = module.to(dtype)
    names = [n for n, _ in module.named_parameters()]
    params = [randn(p.shape, dtype) for _, p in module.named_parameters()]

    def run(x, *ps):
        return stateless.functional_call(module, dict(zip(names, ps)), (x,))

    out.add(name, run, [x, *params], params={**options, "param_names": names})


def add_linear(name, in_features, out_features, x_shape, bias=True, dtype=torch.float64):
    module = nn.Linear(in_features, out_features, bias=bias)
    add_module(name, module, randn(x_shape, dtype),
               {"module": "Linear", "in_features": in_features, "out_features": out_features,
                "bias": int(bias)}, dtype)


def add_conv(name, dims, in_channels, out_channels, kernel_size, x_shape, stride=1, padding=0,
             dilation=1, groups=1, bias=True, padding_mode="zeros", dtype=torch.float64):
    cls = nn.Conv1d if dims == 1 else nn.Conv2d
    module = cls(in_channels, out_channels, kernel_size, stride=stride, padding=padding,
                 dilation=dilation, groups=groups, bias=bias, padding_mode=padding_mode)
    options = {"module": f"Conv{dims}d", "in_channels": in_channels,
               "out_channels": out_channels, "kernel_size": as_list(kernel_size, dims),
               "stride": as_list(stride, dims), "dilation": as_list(dilation, dims),
               "groups": groups, "bias": int(bias), "padding_mode": padding_mode}
    if isinstance(padding, str):
        options["padding_text"] = padding
        options["padding"] = [0] * dims
    else:
        options["padding_text"] = ""
        options["padding"] = as_list(padding, dims)
    add_module(name, module, randn(x_shape, dtype), options, dtype)


def add_transpose(name, in_channels, out_channels, kernel_size, x_shape, stride=1, padding=0,
                  output_padding=0, dilation=1, groups=1, bias=True, dtype=torch.float64):
    module = nn.ConvTranspose2d(in_channels, out_channels, kernel_size, stride=stride,
                                padding=padding, output_padding=output_padding, groups=groups,
                                bias=bias, dilation=dilation)
    options = {"module": "ConvTranspose2d", "in_channels": in_channels,
               "out_channels": out_channels, "kernel_size": as_list(kernel_size, 2),
               "stride": as_list(stride, 2), "padding": as_list(padding, 2),
               "output_padding": as_list(output_padding, 2), "dilation": as_list(dilation, 2),
               "groups": groups, "bias": int(bias)}
    add_module(name, module, randn(x_shape, dtype), options, dtype)


def add_pool(name, kind, dims, x_shape, kernel_size, stride=None, padding=0, ceil_mode=False,
             count_include_pad=True, dtype=torch.float64):
    cls = getattr(nn, f"{kind}Pool{dims}d")
    kwargs = {"kernel_size": kernel_size, "stride": stride, "padding": padding,
              "ceil_mode": ceil_mode}
    if kind == "Avg":
        kwargs["count_include_pad"] = count_include_pad
    module = cls(**kwargs)
    options = {"module": f"{kind}Pool{dims}d", "kernel_size": as_list(kernel_size, dims),
               "stride": as_list(stride if stride is not None else kernel_size, dims),
               "padding": as_list(padding, dims), "ceil_mode": int(ceil_mode),
               "count_include_pad": int(count_include_pad)}
    x = distinct(x_shape, dtype) if kind == "Max" else randn(x_shape, dtype)
    add_module(name, module, x, options, dtype)


# Linear
add_linear("linear_f64", 5, 3, [4, 5])
add_linear("linear_batched_nobias_f64", 5, 2, [2, 3, 5], bias=False)
add_linear("linear_f32", 6, 4, [3, 6], dtype=torch.float32)

# Conv1d / Conv2d
add_conv("conv1d_stride2_pad1_f64", 1, 3, 4, 3, [2, 3, 10], stride=2, padding=1)
add_conv("conv1d_same_reflect_groups_f64", 1, 4, 6, 4, [2, 4, 9], padding="same", dilation=2,
         groups=2, padding_mode="reflect")
add_conv("conv1d_circular_f64", 1, 2, 3, 3, [1, 2, 7], padding=2, padding_mode="circular")
add_conv("conv1d_f32", 1, 3, 5, 3, [2, 3, 8], padding=1, dtype=torch.float32)
add_conv("conv2d_3to10_k5_f64", 2, 3, 10, 5, [2, 3, 8, 8])
add_conv("conv2d_groups_dilation_f64", 2, 4, 6, 3, [1, 4, 9, 8], stride=[2, 1], padding=2,
         dilation=2, groups=2)
add_conv("conv2d_same_replicate_f64", 2, 2, 3, [3, 2], [2, 2, 6, 5], padding="same",
         padding_mode="replicate")
add_conv("conv2d_reflect_stride2_f64", 2, 2, 2, 3, [1, 2, 7, 6], stride=2, padding=[1, 2],
         padding_mode="reflect")
add_conv("conv2d_valid_nobias_f64", 2, 3, 2, [2, 3], [2, 3, 5, 6], padding="valid", bias=False)
add_conv("conv2d_f32", 2, 3, 4, 3, [2, 3, 6, 6], padding=1, dtype=torch.float32)

# ConvTranspose2d
add_transpose("conv_transpose2d_stride2_f64", 3, 2, 3, [2, 3, 4, 5], stride=2, padding=1,
              output_padding=1)
add_transpose("conv_transpose2d_groups_dilation_nobias_f64", 4, 6, [2, 3], [1, 4, 3, 4],
              stride=[1, 2], dilation=2, groups=2, bias=False)
add_transpose("conv_transpose2d_f32", 2, 3, 3, [1, 2, 4, 4], stride=2, dtype=torch.float32)

# Pooling
add_pool("maxpool1d_k3_s2_p1_f64", "Max", 1, [2, 3, 10], 3, stride=2, padding=1)
add_pool("maxpool2d_k2_f64", "Max", 2, [2, 3, 6, 7], 2)
add_pool("maxpool2d_k3_s2_p1_ceil_f64", "Max", 2, [1, 2, 8, 7], 3, stride=2, padding=1,
         ceil_mode=True)
add_pool("maxpool2d_f32", "Max", 2, [1, 2, 6, 6], [2, 3], stride=[2, 1], dtype=torch.float32)
add_pool("avgpool1d_k3_s2_p1_exclude_f64", "Avg", 1, [2, 3, 10], 3, stride=2, padding=1,
         count_include_pad=False)
add_pool("avgpool2d_k2_f64", "Avg", 2, [2, 3, 6, 7], 2)
add_pool("avgpool2d_k3_s2_p1_ceil_f64", "Avg", 2, [1, 2, 8, 7], 3, stride=2, padding=1,
         ceil_mode=True)
add_pool("avgpool2d_f32", "Avg", 2, [1, 2, 6, 6], 3, stride=1, padding=1, dtype=torch.float32)
for output_size in [[3, 2], [1, 1], [4, 5]]:
    tag = f"{output_size[0]}x{output_size[1]}"
    add_module(f"adaptive_avgpool2d_{tag}_f64", nn.AdaptiveAvgPool2d(output_size),
               randn([2, 3, 7, 5], torch.float64),
               {"module": "AdaptiveAvgPool2d", "output_size": output_size}, torch.float64)

# Flatten / Unflatten
add_module("flatten_default_f64", nn.Flatten(), randn([2, 3, 2, 2], torch.float64),
           {"module": "Flatten", "start_dim": 1, "end_dim": -1}, torch.float64)
add_module("flatten_middle_f64", nn.Flatten(1, 2), randn([2, 3, 2, 2], torch.float64),
           {"module": "Flatten", "start_dim": 1, "end_dim": 2}, torch.float64)
add_module("unflatten_f64", nn.Unflatten(1, (2, -1)), randn([2, 6, 2], torch.float64),
           {"module": "Unflatten", "dim": 1, "sizes": [2, -1]}, torch.float64)

out.write()
