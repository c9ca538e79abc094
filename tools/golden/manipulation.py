"""Golden values for cat, stack, split, chunk, pad, repeat, flip and roll (src/ops/manipulation.cpp).

Run with Debian's interpreter: /usr/bin/python3 tools/golden/manipulation.py
"""
import torch
import torch.nn.functional as F

from golden import GoldenFile

torch.manual_seed(0)
g = GoldenFile("manipulation")


def rnd(*shape, dtype=torch.float64):
    return torch.randn(*shape, dtype=dtype)


for dt, tag in [(torch.float32, "f32"), (torch.float64, "f64")]:
    # cat
    for dim in [0, 1, -1]:
        a, b, c = rnd(2, 3, 4, dtype=dt), rnd(2, 3, 4, dtype=dt), rnd(2, 3, 4, dtype=dt)
        if dim == 0:
            b = rnd(1, 3, 4, dtype=dt)
        elif dim == 1:
            c = rnd(2, 2, 4, dtype=dt)
        else:
            a = rnd(2, 3, 1, dtype=dt)
        g.add(f"cat_dim{dim}_{tag}", lambda a, b, c, dim=dim: torch.cat([a, b, c], dim), [a, b, c],
              params={"dim": dim})
    # stack
    for dim in [0, 2, -1]:
        a, b = rnd(3, 4, dtype=dt), rnd(3, 4, dtype=dt)
        g.add(f"stack_dim{dim}_{tag}", lambda a, b, dim=dim: torch.stack([a, b], dim), [a, b],
              params={"dim": dim})
    # split by size / by sizes, chunk: one case per piece
    x = rnd(5, 7, dtype=dt)
    for dim in ([0, -1] if dt == torch.float64 else []):
        pieces = len(x.split(2, dim))
        for k in range(pieces):
            g.add(f"split_size2_dim{dim}_piece{k}_{tag}", lambda x, dim=dim, k=k: x.split(2, dim)[k],
                  [x], params={"dim": dim, "piece": k})
        sizes = [1, 3, 1] if dim == 0 else [4, 0, 3]
        for k in range(len(sizes)):
            g.add(f"split_sizes_dim{dim}_piece{k}_{tag}",
                  lambda x, dim=dim, k=k, sizes=sizes: x.split(sizes, dim)[k], [x],
                  params={"dim": dim, "piece": k, "sizes": sizes})
        for chunks in [2, 3, 4]:
            n = len(x.chunk(chunks, dim))
            for k in range(n):
                g.add(f"chunk{chunks}_dim{dim}_piece{k}_{tag}",
                      lambda x, dim=dim, k=k, chunks=chunks: x.chunk(chunks, dim)[k], [x],
                      params={"dim": dim, "piece": k, "chunks": chunks, "count": n})
    g.add(f"split_size3_dim1_piece2_{tag}", lambda x: x.split(3, 1)[2], [x],
          params={"dim": 1, "piece": 2})
    # pad
    x3 = rnd(2, 3, 5, dtype=dt)
    x4 = rnd(1, 2, 4, 4, dtype=dt)
    pad_cases = [
        ("constant_last", x3, [1, 2], "constant", 0.0),
        ("constant_value", x3, [2, 0, 1, 1], "constant", 1.5),
        ("constant_all_dims", x3, [1, 1, 0, 2, 1, 0], "constant", -2.0),
        ("constant_negative", x3, [-1, 2, 1, -2], "constant", 0.5),
        ("reflect_1d", x3, [2, 4], "reflect", 0.0),
        ("reflect_2d", x4, [1, 3, 3, 2], "reflect", 0.0),
        ("replicate_2d", x4, [2, 1, 0, 3], "replicate", 0.0),
        ("circular_1d", x3, [3, 5], "circular", 0.0),
    ]
    for name, x, pads, mode, value in pad_cases:
        if mode == "constant":
            fn = lambda x, pads=pads, value=value: F.pad(x, pads, "constant", value)
        else:
            fn = lambda x, pads=pads, mode=mode: F.pad(x, pads, mode)
        g.add(f"pad_{name}_{tag}", fn, [x], params={"pads": pads, "mode": mode, "value": value})
    # repeat
    for i, reps in enumerate([[2, 1, 3], [1, 2], [3, 2, 1, 2]]):
        x = rnd(2, 3, dtype=dt) if len(reps) != 3 or i != 0 else rnd(3, 2, dtype=dt)
        g.add(f"repeat{i}_{tag}", lambda x, reps=reps: x.repeat(*reps), [x], params={"repeats": reps})
    # flip
    x = rnd(2, 3, 4, dtype=dt)
    for i, dims in enumerate([[0], [-1, 0], [1, 2], [0, 1, 2]]):
        g.add(f"flip{i}_{tag}", lambda x, dims=dims: torch.flip(x, dims), [x], params={"dims": dims})
    # roll
    for i, (shifts, dims) in enumerate([([1], [0]), ([-2, 5], [2, 1]), ([7], []), ([-3], []),
                                        ([1, 2], [1, 1])]):
        if dims:
            fn = lambda x, s=shifts, d=dims: torch.roll(x, s, d)
        else:
            fn = lambda x, s=shifts: torch.roll(x, s)
        g.add(f"roll{i}_{tag}", fn, [x], params={"shifts": shifts, "dims": dims})

# dtype promotion in cat: float32 with float64, and int64 (no gradient) with float32.
g.add("cat_promote_f32_f64", lambda a, b: torch.cat([a, b], 1),
      [rnd(2, 2, dtype=torch.float32), rnd(2, 3)])
g.add("cat_promote_i64_f32", lambda a, b: torch.cat([a, b], 0),
      [torch.randint(-5, 5, (1, 3)), rnd(2, 3, dtype=torch.float32)])
g.add("cat_skips_empty_1d", lambda a, b: torch.cat([a, b], 0), [rnd(0), rnd(2, 3)])
g.add("pad_int64_constant", lambda x: F.pad(x, [1, 1], "constant", 7), [torch.randint(0, 9, (2, 3))])
g.add("repeat_int64", lambda x: x.repeat(2, 2), [torch.randint(0, 9, (2, 3))])
g.write()
