"""Golden values for gather, scatter_add, index_select, masked_fill, one_hot, embedding and
Tensor::index (src/ops/indexing.cpp).

Run with Debian's interpreter: /usr/bin/python3 tools/golden/indexing.py
"""
import torch
import torch.nn.functional as F

from golden import GoldenFile

torch.manual_seed(0)
g = GoldenFile("indexing")


def rnd(*shape, dtype=torch.float64):
    return torch.randn(*shape, dtype=dtype)


for dt, tag in [(torch.float32, "f32"), (torch.float64, "f64")]:
    # gather: index with repeated entries; smaller than x off the gather dim.
    x = rnd(4, 5, dtype=dt)
    g.add(f"gather_dim0_{tag}", lambda x, i: torch.gather(x, 0, i),
          [x, torch.tensor([[3, 0, 0, 1, 3], [3, 3, 2, 0, 1]])], params={"dim": 0})
    g.add(f"gather_dim1_smaller_{tag}", lambda x, i: torch.gather(x, 1, i),
          [x, torch.tensor([[4, 4, 0, 1, 2, 2, 0], [1, 1, 1, 3, 0, 0, 0], [2, 3, 4, 4, 4, 0, 1]])],
          params={"dim": 1})
    x3 = rnd(2, 3, 4, dtype=dt)
    g.add(f"gather_dim-1_3d_{tag}", lambda x, i: torch.gather(x, -1, i),
          [x3, torch.randint(0, 4, (2, 3, 6))], params={"dim": -1})
    # scatter_add: repeated indices; index smaller than src.
    g.add(f"scatter_add_dim0_{tag}", lambda x, i, s: torch.scatter_add(x, 0, i, s),
          [rnd(3, 4, dtype=dt), torch.tensor([[0, 2, 2, 1], [2, 2, 0, 1]]), rnd(2, 4, dtype=dt)],
          params={"dim": 0})
    g.add(f"scatter_add_dim1_smaller_{tag}", lambda x, i, s: torch.scatter_add(x, 1, i, s),
          [rnd(3, 4, dtype=dt), torch.tensor([[3, 3, 3], [0, 1, 0]]), rnd(3, 5, dtype=dt)],
          requires_grad=[True, False, False], params={"dim": 1})
    # (torch 1.13 cannot differentiate src when the index is smaller; the C++ test gradchecks it.)
    g.add(f"scatter_add_dim-2_3d_{tag}", lambda x, i, s: torch.scatter_add(x, -2, i, s),
          [rnd(2, 3, 2, dtype=dt), torch.randint(0, 3, (2, 5, 2)), rnd(2, 5, 2, dtype=dt)],
          params={"dim": -2})
    # index_select
    g.add(f"index_select_dim0_{tag}", lambda x, i: torch.index_select(x, 0, i),
          [rnd(4, 3, dtype=dt), torch.tensor([3, 0, 3, 3, 1])], params={"dim": 0})
    g.add(f"index_select_dim-1_{tag}", lambda x, i: torch.index_select(x, -1, i),
          [rnd(2, 3, 4, dtype=dt), torch.tensor([1, 1, 2])], params={"dim": -1})
    g.add(f"index_select_dim1_{tag}", lambda x, i: torch.index_select(x, 1, i),
          [rnd(2, 3, 4, dtype=dt), torch.tensor([2, 0])], params={"dim": 1})
    # masked_fill (mask broadcasts over x)
    g.add(f"masked_fill_{tag}", lambda x, m: x.masked_fill(m, -1.5),
          [rnd(3, 4, dtype=dt), torch.rand(3, 4) > 0.5], params={"value": -1.5})
    g.add(f"masked_fill_broadcast_{tag}", lambda x, m: x.masked_fill(m, 2.0),
          [rnd(2, 3, 4, dtype=dt), torch.tensor([True, False, False, True])], params={"value": 2.0})
    # embedding
    w = rnd(6, 3, dtype=dt)
    idx = torch.tensor([[0, 5, 2], [2, 2, 1]])
    g.add(f"embedding_{tag}", lambda i, w: F.embedding(i, w), [idx, w])
    g.add(f"embedding_padding_{tag}", lambda i, w: F.embedding(i, w, padding_idx=2), [idx, w],
          params={"padding_idx": 2})
    g.add(f"embedding_padding_negative_{tag}", lambda i, w: F.embedding(i, w, padding_idx=-1),
          [torch.tensor([5, 0, 5, 3]), w], params={"padding_idx": -1})
    # Tensor::index; the C++ test spells out the same index per case name.
    x = rnd(4, 5, 3, dtype=dt)
    g.add(f"index_int_slice_{tag}", lambda x: x[1, 0:5:2], [x])
    g.add(f"index_negative_int_open_slices_{tag}", lambda x: x[-1, 1:, :-1], [x])
    g.add(f"index_newaxis_{tag}", lambda x: x[:, None, 2], [x])
    g.add(f"index_tensor_{tag}", lambda x, i: x[:, i], [x, torch.tensor([[4, -1], [0, 0]])])
    g.add(f"index_int_then_tensor_{tag}", lambda x, i: x[2, :, i], [x, torch.tensor([2, 0, 2])])
    g.add(f"index_mask_full_{tag}", lambda x, m: x[m], [x, torch.rand(4, 5, 3) > 0.6])
    g.add(f"index_mask_partial_{tag}", lambda x, m: x[1:3, m], [x, torch.rand(5, 3) > 0.5])

g.add("masked_fill_int64", lambda x, m: x.masked_fill(m, 9),
      [torch.randint(0, 5, (2, 3)), torch.tensor([[True, False, True], [False, False, True]])],
      params={"value": 9})
g.add("one_hot", lambda t: F.one_hot(t, 5), [torch.tensor([[0, 4, 2], [1, 1, 3]])],
      params={"num_classes": 5})
g.add("one_hot_infer", lambda t: F.one_hot(t), [torch.tensor([3, 0, 1])],
      params={"num_classes": -1})
g.add("gather_int64", lambda x, i: torch.gather(x, 1, i),
      [torch.randint(0, 9, (3, 4)), torch.tensor([[0, 3], [1, 1], [2, 0]])], params={"dim": 1})
g.write()
