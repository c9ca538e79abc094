"""Golden values for conv1d, conv2d and conv_transpose2d (tests/ops/convolution_test.cpp).

Run: /usr/bin/python3 tools/golden/convolution.py
"""
import torch
import torch.nn.functional as F

from golden import GoldenFile

torch.manual_seed(0)
out = GoldenFile("convolution")


def randn(shape, dtype):
    # Multiples of 1/64: exact in both dtypes and short in the JSON.
    return (torch.randn(shape, dtype=torch.float64) * 64).round().div(64).to(dtype)


def pair(v):
    return list(v) if isinstance(v, (tuple, list)) else [v, v]


def add_conv(name, dims, x_shape, w_shape, bias=True, stride=1, padding=0, dilation=1, groups=1,
             dtype=torch.float64):
    x = randn(x_shape, dtype)
    w = randn(w_shape, dtype)
    inputs = [x, w]
    if bias:
        inputs.append(randn(w_shape[0], dtype))
    fn = F.conv1d if dims == 1 else F.conv2d
    size = (lambda v: [v] if not isinstance(v, (tuple, list)) else list(v)) if dims == 1 else pair
    params = {"op": f"conv{dims}d", "stride": size(stride), "dilation": size(dilation),
              "groups": groups}
    if isinstance(padding, str):
        params["padding_mode"] = padding
        params["padding"] = [0] * dims
    else:
        params["padding_mode"] = "numbers"
        params["padding"] = size(padding)
    out.add(name, lambda *t: fn(t[0], t[1], t[2] if bias else None, stride=stride, padding=padding,
                                dilation=dilation, groups=groups),
            inputs, params=params)


def add_transpose(name, x_shape, w_shape, bias=True, stride=1, padding=0, output_padding=0,
                  dilation=1, groups=1, dtype=torch.float64):
    x = randn(x_shape, dtype)
    w = randn(w_shape, dtype)
    inputs = [x, w]
    if bias:
        inputs.append(randn(w_shape[1] * groups, dtype))
    params = {"op": "conv_transpose2d", "stride": pair(stride), "padding": pair(padding),
              "output_padding": pair(output_padding), "dilation": pair(dilation),
              "groups": groups}
    out.add(name, lambda *t: F.conv_transpose2d(t[0], t[1], t[2] if bias else None, stride=stride,
                                                padding=padding, output_padding=output_padding,
                                                dilation=dilation, groups=groups),
            inputs, params=params)


for dtype, tag in [(torch.float64, "f64"), (torch.float32, "f32")]:
    add_conv(f"conv2d_basic_{tag}", 2, [2, 3, 5, 6], [4, 3, 3, 3], dtype=dtype)
    add_conv(f"conv1d_basic_{tag}", 1, [2, 3, 11], [4, 3, 3], dtype=dtype)
    add_transpose(f"conv_transpose2d_stride2_{tag}", [1, 3, 4, 5], [3, 2, 3, 3], stride=2,
                  padding=1, output_padding=1, dtype=dtype)

add_conv("conv2d_stride2_pad1", 2, [1, 3, 7, 8], [4, 3, 3, 3], stride=2, padding=1)
add_conv("conv2d_groups2", 2, [1, 4, 6, 5], [4, 2, 3, 3], groups=2, padding=1)
add_conv("conv2d_dilation2", 2, [1, 2, 7, 7], [3, 2, 3, 3], dilation=2, padding=2)
add_conv("conv2d_depthwise", 2, [2, 3, 5, 5], [3, 1, 3, 3], groups=3, padding=1)
add_conv("conv2d_same_even_kernel", 2, [1, 2, 7, 6], [3, 2, 4, 2], padding="same")
add_conv("conv1d_stride2_pad1", 1, [2, 3, 10], [4, 3, 3], stride=2, padding=1)
add_transpose("conv_transpose2d_basic", [2, 3, 4, 5], [3, 2, 3, 3])
add_conv("conv2d_depthwise_multiplier", 2, [2, 2, 5, 6], [6, 1, 3, 3], groups=2, stride=2,
         padding=1)
add_conv("conv2d_same_dilation2", 2, [1, 2, 6, 7], [3, 2, 3, 3], padding="same", dilation=2)
add_conv("conv2d_same_odd_total_dilated", 2, [1, 2, 6, 5], [2, 2, 2, 4], padding="same",
         dilation=[3, 1])
add_conv("conv2d_valid", 2, [1, 2, 6, 5], [3, 2, 3, 2], padding="valid")
add_conv("conv2d_mixed", 2, [1, 3, 9, 8], [4, 3, 3, 2], stride=[2, 1], padding=[1, 0],
         dilation=[1, 2])
add_conv("conv2d_no_bias", 2, [1, 3, 6, 6], [2, 3, 3, 3], bias=False, stride=2, padding=1)
add_conv("conv2d_row_kernel", 2, [1, 2, 4, 9], [3, 2, 1, 5], padding=[0, 2])
add_conv("conv2d_groups2_stride2_dilation2", 2, [1, 4, 9, 8], [4, 2, 3, 3], groups=2, stride=2,
         dilation=2, padding=1)
add_conv("conv1d_dilation2", 1, [2, 2, 12], [3, 2, 3], dilation=2, padding=2)
add_conv("conv1d_groups2", 1, [2, 4, 9], [6, 2, 3], groups=2, padding=1)
add_conv("conv1d_same_even_kernel", 1, [2, 2, 9], [3, 2, 4], padding="same")
add_conv("conv1d_no_bias", 1, [1, 3, 8], [2, 3, 5], bias=False)
add_transpose("conv_transpose2d_groups2", [1, 4, 3, 4], [4, 2, 3, 2], groups=2, stride=2)
add_transpose("conv_transpose2d_dilation2", [1, 2, 4, 4], [2, 3, 3, 3], dilation=2, padding=1)
add_transpose("conv_transpose2d_mixed", [1, 2, 3, 4], [2, 2, 2, 3], stride=[2, 3],
              padding=[0, 1], output_padding=[1, 2], dilation=[2, 1])
add_transpose("conv_transpose2d_dilated_output_padding", [1, 2, 3, 3], [2, 2, 3, 3], stride=1,
              output_padding=1, dilation=2)
add_transpose("conv_transpose2d_no_bias", [2, 3, 3, 3], [3, 2, 2, 2], bias=False, stride=2)
out.write()
