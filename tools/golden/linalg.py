"""Golden values for the matrix products (src/ops/linalg.cpp).

Run: /usr/bin/python3 tools/golden/linalg.py  ->  tests/golden/linalg.json
Each case's params name the op ("matmul", "mm", "bmm", "dot", "outer", "linear") and list the
inputs to transpose (last two dims) before the op, so the C++ test (tests/ops/linalg_test.cpp)
replays the same call on non-contiguous views.
"""
import torch

from golden import GoldenFile

torch.manual_seed(2718)
f64 = torch.float64
f32 = torch.float32
DTYPES = {"float32": f32, "float64": f64}

OPS = {
    "matmul": torch.matmul,
    "mm": torch.mm,
    "bmm": torch.bmm,
    "dot": torch.dot,
    "outer": torch.outer,
    "linear": torch.nn.functional.linear,
}

# (name, op, input shapes as stored, inputs to transpose before the op)
CASES = [
    ("matmul_1d_1d", "matmul", [[5], [5]], []),
    ("matmul_1d_2d", "matmul", [[4], [4, 3]], []),
    ("matmul_2d_1d", "matmul", [[3, 4], [4]], []),
    ("matmul_2d_2d", "matmul", [[3, 4], [4, 5]], []),
    ("matmul_3d_2d", "matmul", [[2, 3, 4], [4, 5]], []),
    ("matmul_2d_3d", "matmul", [[3, 4], [2, 4, 5]], []),
    ("matmul_1d_3d", "matmul", [[4], [2, 4, 3]], []),
    ("matmul_3d_1d", "matmul", [[2, 3, 4], [4]], []),
    ("matmul_3d_3d", "matmul", [[2, 3, 4], [2, 4, 5]], []),
    ("matmul_broadcast_batch", "matmul", [[2, 1, 3, 4], [5, 4, 2]], []),
    ("matmul_broadcast_both", "matmul", [[3, 1, 2, 4], [1, 2, 4, 3]], []),
    ("matmul_transposed_a", "matmul", [[4, 3], [4, 5]], [0]),
    ("matmul_transposed_b", "matmul", [[3, 4], [5, 4]], [1]),
    ("matmul_transposed_both", "matmul", [[4, 3], [5, 4]], [0, 1]),
    ("matmul_transposed_batch", "matmul", [[2, 4, 3], [2, 5, 4]], [0, 1]),
    ("matmul_transposed_3d_2d", "matmul", [[2, 4, 3], [4, 5]], [0]),
    ("mm", "mm", [[6, 4], [4, 7]], []),
    ("mm_transposed", "mm", [[4, 6], [7, 4]], [0, 1]),
    ("bmm", "bmm", [[3, 2, 4], [3, 4, 5]], []),
    ("bmm_transposed", "bmm", [[3, 4, 2], [3, 4, 5]], [0]),
    ("dot", "dot", [[7], [7]], []),
    ("outer", "outer", [[4], [3]], []),
    ("linear_bias", "linear", [[5, 4], [3, 4], [3]], []),
    ("linear_no_bias", "linear", [[5, 4], [3, 4]], []),
    ("linear_3d_bias", "linear", [[2, 5, 4], [3, 4], [3]], []),
    ("linear_1d_bias", "linear", [[4], [3, 4], [3]], []),
    ("linear_transposed_weight", "linear", [[5, 4], [4, 3], [3]], [1]),
    ("linear_transposed_input", "linear", [[4, 5], [3, 4]], [0]),
]


def make_fn(op, transpose):
    def fn(*xs):
        xs = [x.transpose(-1, -2) if i in transpose else x for i, x in enumerate(xs)]
        return OPS[op](*xs)
    return fn


def main():
    g = GoldenFile("linalg")
    for dtype_name, dtype in DTYPES.items():
        for name, op, shapes, transpose in CASES:
            inputs = [torch.randn(s, dtype=dtype) for s in shapes]
            g.add(f"{name}_{dtype_name}", make_fn(op, transpose), inputs,
                  params={"op": op, "transpose": transpose})
    # float32 and float64 operands promote to float64; gradients come back in each input's dtype.
    # (torch.matmul refuses mixed dtypes, so the promotion is written out.)
    a, b = torch.randn(3, 4, dtype=f32), torch.randn(4, 2, dtype=f64)
    g.add("matmul_mixed_float32_float64", lambda x, y: torch.matmul(x.double(), y), [a, b],
          params={"op": "matmul", "transpose": []})
    g.write()


if __name__ == "__main__":
    main()
