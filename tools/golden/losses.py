"""Golden values for the loss functions (src/nn/functional/loss_*.cpp).

Run: /usr/bin/python3 tools/golden/losses.py  ->  tests/golden/losses_<family>.json for the
families regression, classification, margin and distribution.

Each case's params hold "op" (cajal's function name), the options with PyTorch's names
("reduction" as a string) and "extras": the names of the option tensors (weight, pos_weight) that
follow input and target (or the third tensor) among the case's inputs. The C++ tests
(tests/nn/loss_<family>_test.cpp) map them to the same call.

Losses PyTorch lacks (quantile, log-cosh, focal, dice, IoU, Tversky, hinge, squared hinge,
contrastive) are checked in the C++ tests against their formulas instead; the binary focal loss is
here too, against torchvision's definition written out below (torchvision is not installed).
"""
import json
import os

import torch
import torch.nn.functional as F

from golden import GoldenFile, ROOT

torch.manual_seed(31)
f64 = torch.float64
f32 = torch.float32
REDUCTIONS = ["mean", "sum", "none"]


class LossGolden(GoldenFile):
    """GoldenFile whose generator is this script (one script writes several families)."""

    def write(self):
        path = os.path.join(ROOT, "tests", "golden", f"{self.family}.json")
        with open(path, "w") as f:
            json.dump({"generator": "tools/golden/losses.py", "torch_version": torch.__version__,
                       "cases": self.cases}, f)
            f.write("\n")
        print(f"wrote {len(self.cases)} cases to {os.path.relpath(path, ROOT)}")


def randn(*shape, dtype=f64, scale=1.0):
    return torch.randn(shape, dtype=dtype) * scale


def add_all_reductions(g, name, fn, inputs, requires_grad, params, reductions=REDUCTIONS):
    """One case per reduction; fn(*inputs, reduction=...)."""
    for r in reductions:
        g.add(f"{name}/{r}", lambda *xs, r=r: fn(*xs, reduction=r), inputs, requires_grad,
              params={**params, "reduction": r})


# ---- regression -------------------------------------------------------------------------------
g = LossGolden("losses_regression")
x, t = randn(4, 5, scale=2.0), randn(4, 5, scale=2.0)
add_all_reductions(g, "mse", F.mse_loss, [x, t], [True, True], {"op": "mse_loss"})
add_all_reductions(g, "l1", F.l1_loss, [x, t], [True, True], {"op": "l1_loss"})
for delta in [1.0, 0.5, 2.5]:
    add_all_reductions(g, f"huber_delta={delta}",
                       lambda a, b, reduction, d=delta: F.huber_loss(a, b, reduction=reduction, delta=d),
                       [x, t], [True, True], {"op": "huber_loss", "delta": delta})
for beta in [1.0, 0.5, 3.0, 0.0]:
    add_all_reductions(g, f"smooth_l1_beta={beta}",
                       lambda a, b, reduction, be=beta: F.smooth_l1_loss(a, b, reduction=reduction, beta=be),
                       [x, t], [True, True], {"op": "smooth_l1_loss", "beta": beta})
# Shapes of other ranks, and float32.
x3, t3 = randn(2, 3, 4, scale=2.0), randn(2, 3, 4, scale=2.0)
for op, fn in [("mse_loss", F.mse_loss), ("l1_loss", F.l1_loss), ("huber_loss", F.huber_loss),
               ("smooth_l1_loss", F.smooth_l1_loss)]:
    g.add(f"{op}/3d", fn, [x3, t3], [True, True], params={"op": op, "reduction": "mean"})
    g.add(f"{op}/0d", fn, [randn(), randn()], [True, True], params={"op": op, "reduction": "mean"})
    g.add(f"{op}/f32", fn, [randn(6, 7, dtype=f32, scale=2.0), randn(6, 7, dtype=f32, scale=2.0)],
          [True, True], params={"op": op, "reduction": "mean"})
g.write()

# ---- classification ---------------------------------------------------------------------------
g = LossGolden("losses_classification")


def cross_entropy(x, t, *extras, reduction, names=(), **kw):
    kw.update(dict(zip(names, extras)))
    return F.cross_entropy(x, t, reduction=reduction, **kw)


def nll(x, t, *extras, reduction, names=(), **kw):
    kw.update(dict(zip(names, extras)))
    return F.nll_loss(x, t, reduction=reduction, **kw)


N, C = 6, 5
logits = randn(N, C, scale=2.0)
labels = torch.randint(0, C, (N,))
weight = torch.rand(C, dtype=f64) + 0.2
labels_ignored = labels.clone()
labels_ignored[[1, 4]] = -100
labels_ignored_2 = labels.clone()
labels_ignored_2[[0, 3]] = 2  # ignore_index = 2: a valid class index
soft = torch.softmax(randn(N, C, scale=2.0), 1)

ce_variants = [
    ("plain", labels, {}, False),
    ("weight", labels, {}, True),
    ("ignore", labels_ignored, {}, False),
    ("ignore_weight", labels_ignored, {}, True),
    ("ignore_index=2", labels_ignored_2, {"ignore_index": 2}, True),
    ("smoothing", labels, {"label_smoothing": 0.1}, False),
    ("smoothing_weight_ignore", labels_ignored, {"label_smoothing": 0.25}, True),
    ("smoothing=1", labels, {"label_smoothing": 1.0}, True),
]
for tag, target, kw, weighted in ce_variants:
    inputs = [logits, target] + ([weight] if weighted else [])
    names = ("weight",) if weighted else ()
    add_all_reductions(g, f"cross_entropy/{tag}",
                       lambda *xs, reduction, kw=kw, names=names: cross_entropy(
                           *xs, reduction=reduction, names=names, **kw),
                       inputs, [True, False] + [False] * weighted,
                       {"op": "cross_entropy", "extras": list(names), **kw})
# Probabilistic (soft) targets: differentiable in the target too.
for tag, kw, weighted in [("soft", {}, False), ("soft_weight", {}, True),
                          ("soft_smoothing_weight", {"label_smoothing": 0.2}, True)]:
    inputs = [logits, soft] + ([weight] if weighted else [])
    names = ("weight",) if weighted else ()
    add_all_reductions(g, f"cross_entropy/{tag}",
                       lambda *xs, reduction, kw=kw, names=names: cross_entropy(
                           *xs, reduction=reduction, names=names, **kw),
                       inputs, [True, True] + [False] * weighted,
                       {"op": "cross_entropy", "extras": list(names), **kw})
# [N, C, d1, d2] inputs.
logits4 = randn(2, 4, 3, 2, scale=2.0)
labels4 = torch.randint(0, 4, (2, 3, 2))
labels4[0, 1, 1] = -100
weight4 = torch.rand(4, dtype=f64) + 0.5
soft4 = torch.softmax(randn(2, 4, 3, 2), 1)
add_all_reductions(g, "cross_entropy/4d", lambda x, t, reduction: F.cross_entropy(x, t, reduction=reduction),
                   [logits4, labels4], [True, False], {"op": "cross_entropy"})
add_all_reductions(g, "cross_entropy/4d_weight_smoothing",
                   lambda x, t, w, reduction: F.cross_entropy(x, t, weight=w, label_smoothing=0.15,
                                                              reduction=reduction),
                   [logits4, labels4, weight4], [True, False, False],
                   {"op": "cross_entropy", "extras": ["weight"], "label_smoothing": 0.15})
add_all_reductions(g, "cross_entropy/4d_soft",
                   lambda x, t, reduction: F.cross_entropy(x, t, reduction=reduction),
                   [logits4, soft4], [True, True], {"op": "cross_entropy"})
add_all_reductions(g, "cross_entropy/3d",
                   lambda x, t, reduction: F.cross_entropy(x, t, reduction=reduction),
                   [randn(3, 4, 5, scale=2.0), torch.randint(0, 4, (3, 5))], [True, False],
                   {"op": "cross_entropy"})
# One unbatched sample: input [C], target [].
add_all_reductions(g, "cross_entropy/unbatched",
                   lambda x, t, reduction: F.cross_entropy(x, t, reduction=reduction, label_smoothing=0.1),
                   [randn(C, scale=2.0), torch.tensor(3)], [True, False],
                   {"op": "cross_entropy", "label_smoothing": 0.1})
g.add("cross_entropy/unbatched_soft", lambda x, t: F.cross_entropy(x, t), [randn(C), soft[0]],
      [True, True], params={"op": "cross_entropy", "reduction": "mean"})
# Huge logits (stability) and float32.
big = torch.tensor([[1000.0, -1000.0, 0.0], [-1000.0, -999.0, -1001.0], [1e4, 0.0, -1e4]], dtype=f64)
g.add("cross_entropy/big", lambda x, t: F.cross_entropy(x, t), [big, torch.tensor([1, 0, 2])],
      [True, False], params={"op": "cross_entropy", "reduction": "mean"})
g.add("cross_entropy/f32", lambda x, t, w: F.cross_entropy(x, t, weight=w, label_smoothing=0.05),
      [logits.to(f32), labels, weight.to(f32)], [True, False, False],
      params={"op": "cross_entropy", "reduction": "mean", "extras": ["weight"],
              "label_smoothing": 0.05})

log_probs = torch.log_softmax(randn(N, C, scale=2.0), 1)
for tag, target, kw, weighted in ce_variants[:5]:
    inputs = [log_probs, target] + ([weight] if weighted else [])
    names = ("weight",) if weighted else ()
    add_all_reductions(g, f"nll/{tag}",
                       lambda *xs, reduction, kw=kw, names=names: nll(*xs, reduction=reduction, names=names, **kw),
                       inputs, [True, False] + [False] * weighted,
                       {"op": "nll_loss", "extras": list(names), **kw})
add_all_reductions(g, "nll/4d_weight",
                   lambda x, t, w, reduction: F.nll_loss(x, t, weight=w, reduction=reduction),
                   [torch.log_softmax(logits4, 1), labels4, weight4], [True, False, False],
                   {"op": "nll_loss", "extras": ["weight"]})
g.add("nll/unbatched", lambda x, t: F.nll_loss(x, t), [log_probs[0], torch.tensor(2)], [True, False],
      params={"op": "nll_loss", "reduction": "mean"})

# binary_cross_entropy: probabilities away from 0 and 1, soft targets (differentiable).
probs = torch.rand(4, 3, dtype=f64) * 0.9 + 0.05
targets01 = torch.rand(4, 3, dtype=f64)
bce_weight = torch.rand(3, dtype=f64) + 0.5
add_all_reductions(g, "bce", lambda x, t, reduction: F.binary_cross_entropy(x, t, reduction=reduction),
                   [probs, targets01], [True, True], {"op": "binary_cross_entropy"})
add_all_reductions(g, "bce/weight",
                   lambda x, t, w, reduction: F.binary_cross_entropy(x, t, weight=w, reduction=reduction),
                   [probs, targets01, bce_weight], [True, True, False],
                   {"op": "binary_cross_entropy", "extras": ["weight"]})
# Exactly 0 and 1: the log is clamped at -100, the input gradient uses max(x (1 - x), 1e-12).
edge = torch.tensor([0.0, 1.0, 0.0, 1.0, 1e-50, 0.5], dtype=f64)
edge_t = torch.tensor([1.0, 0.0, 0.0, 1.0, 1.0, 0.3], dtype=f64)
g.add("bce/edges", lambda x, t: F.binary_cross_entropy(x, t, reduction="none"), [edge, edge_t],
      [True, False], params={"op": "binary_cross_entropy", "reduction": "none"})
g.add("bce/f32", lambda x, t: F.binary_cross_entropy(x, t), [probs.to(f32), targets01.to(f32)],
      [True, True], params={"op": "binary_cross_entropy", "reduction": "mean"})

z = randn(4, 3, scale=3.0)
labels01 = (torch.rand(4, 3) > 0.5).to(f64)
pos_weight = torch.tensor([3.0, 0.5, 1.5], dtype=f64)
add_all_reductions(g, "bce_logits",
                   lambda x, t, reduction: F.binary_cross_entropy_with_logits(x, t, reduction=reduction),
                   [z, targets01], [True, True], {"op": "binary_cross_entropy_with_logits"})
add_all_reductions(g, "bce_logits/weight_pos_weight",
                   lambda x, t, w, pw, reduction: F.binary_cross_entropy_with_logits(
                       x, t, weight=w, pos_weight=pw, reduction=reduction),
                   [z, labels01, bce_weight, pos_weight], [True, True, False, False],
                   {"op": "binary_cross_entropy_with_logits", "extras": ["weight", "pos_weight"]})
add_all_reductions(g, "bce_logits/pos_weight",
                   lambda x, t, pw, reduction: F.binary_cross_entropy_with_logits(
                       x, t, pos_weight=pw, reduction=reduction),
                   [z, targets01, pos_weight], [True, True, False],
                   {"op": "binary_cross_entropy_with_logits", "extras": ["pos_weight"]})
big_z = torch.tensor([[-1000.0, -100.0, -20.0], [0.0, 20.0, 100.0], [1000.0, 35.0, -35.0]], dtype=f64)
g.add("bce_logits/big", lambda x, t: F.binary_cross_entropy_with_logits(x, t, reduction="none"),
      [big_z, torch.tensor([[1.0, 0.0, 1.0], [0.5, 0.0, 1.0], [0.0, 1.0, 1.0]], dtype=f64)],
      [True, True], params={"op": "binary_cross_entropy_with_logits", "reduction": "none"})
g.add("bce_logits/f32", lambda x, t, pw: F.binary_cross_entropy_with_logits(x, t, pos_weight=pw),
      [z.to(f32), labels01.to(f32), pos_weight.to(f32)], [True, True, False],
      params={"op": "binary_cross_entropy_with_logits", "reduction": "mean", "extras": ["pos_weight"]})


# torchvision.ops.sigmoid_focal_loss, written out from its definition (Lin et al. 2017).
def sigmoid_focal(x, t, alpha, gamma, reduction):
    p = torch.sigmoid(x)
    ce = F.binary_cross_entropy_with_logits(x, t, reduction="none")
    p_t = p * t + (1 - p) * (1 - t)
    loss = ce * ((1 - p_t) ** gamma)
    if alpha >= 0:
        loss = (alpha * t + (1 - alpha) * (1 - t)) * loss
    return {"mean": loss.mean, "sum": loss.sum, "none": lambda: loss}[reduction]()


zf = randn(5, 3, scale=2.0)
for alpha, gamma in [(0.25, 2.0), (-1.0, 2.0), (0.5, 0.0), (0.75, 1.5)]:
    add_all_reductions(g, f"sigmoid_focal/alpha={alpha}_gamma={gamma}",
                       lambda x, t, reduction, a=alpha, gm=gamma: sigmoid_focal(x, t, a, gm, reduction),
                       [zf, labels01[:, :3].repeat(2, 1)[:5]], [True, False],
                       {"op": "sigmoid_focal_loss", "alpha": alpha, "gamma": gamma})
g.write()

# ---- margin -----------------------------------------------------------------------------------
g = LossGolden("losses_margin")
scores = randn(5, 4, scale=1.5)
classes = torch.randint(0, 4, (5,))
mm_weight = torch.rand(4, dtype=f64) + 0.5
for p in [1, 2]:
    for margin in [1.0, 0.5]:
        add_all_reductions(g, f"multi_margin/p={p}_margin={margin}",
                           lambda x, t, reduction, p=p, m=margin: F.multi_margin_loss(
                               x, t, p=p, margin=m, reduction=reduction),
                           [scores, classes], [True, False],
                           {"op": "multi_margin_loss", "p": p, "margin": margin})
    add_all_reductions(g, f"multi_margin/p={p}_weight",
                       lambda x, t, w, reduction, p=p: F.multi_margin_loss(x, t, p=p, weight=w,
                                                                           reduction=reduction),
                       [scores, classes, mm_weight], [True, False, False],
                       {"op": "multi_margin_loss", "p": p, "extras": ["weight"]})
g.add("multi_margin/unbatched", lambda x, t: F.multi_margin_loss(x, t, reduction="none"),
      [scores[0], torch.tensor(2)], [True, False],
      params={"op": "multi_margin_loss", "reduction": "none"})

x1, x2 = randn(6), randn(6)
y = torch.tensor([1.0, -1.0, 1.0, 1.0, -1.0, -1.0], dtype=f64)
for margin in [0.0, 0.5]:
    add_all_reductions(g, f"margin_ranking/margin={margin}",
                       lambda a, b, t, reduction, m=margin: F.margin_ranking_loss(
                           a, b, t, margin=m, reduction=reduction),
                       [x1, x2, y], [True, True, False], {"op": "margin_ranking_loss", "margin": margin})

anchor, positive, negative = randn(5, 4), randn(5, 4), randn(5, 4)
for tag, kw in [("default", {}), ("p=1", {"p": 1.0}), ("p=3", {"p": 3.0}),
                ("swap", {"swap": True}), ("margin=2_eps=0.01", {"margin": 2.0, "eps": 0.01})]:
    add_all_reductions(g, f"triplet/{tag}",
                       lambda a, p, n, reduction, kw=kw: F.triplet_margin_loss(a, p, n, reduction=reduction, **kw),
                       [anchor, positive, negative], [True, True, True],
                       {"op": "triplet_margin_loss", **kw})
g.add("triplet/unbatched", lambda a, p, n: F.triplet_margin_loss(a, p, n, margin=3.0),
      [anchor[0], positive[0], negative[0]], [True, True, True],
      params={"op": "triplet_margin_loss", "margin": 3.0, "reduction": "mean"})

e1, e2 = randn(6, 4), randn(6, 4)
e2[0] = e1[0] * 0.7 + 0.1  # a similar pair
ce_y = torch.tensor([1, -1, 1, -1, -1, 1])
for margin in [0.0, 0.3, -0.2]:
    add_all_reductions(g, f"cosine_embedding/margin={margin}",
                       lambda a, b, t, reduction, m=margin: F.cosine_embedding_loss(
                           a, b, t, margin=m, reduction=reduction),
                       [e1, e2, ce_y], [True, True, False],
                       {"op": "cosine_embedding_loss", "margin": margin})
g.add("cosine_embedding/unbatched", lambda a, b, t: F.cosine_embedding_loss(a, b, t, reduction="none"),
      [e1[1], e2[1], torch.tensor(-1)], [True, True, False],
      params={"op": "cosine_embedding_loss", "reduction": "none"})
g.add("cosine_embedding/f32", lambda a, b, t: F.cosine_embedding_loss(a, b, t),
      [e1.to(f32), e2.to(f32), ce_y], [True, True, False],
      params={"op": "cosine_embedding_loss", "reduction": "mean"})
g.write()

# ---- distribution -----------------------------------------------------------------------------
g = LossGolden("losses_distribution")
log_q = torch.log_softmax(randn(4, 5), 1)
p_dist = torch.softmax(randn(4, 5), 1)
for r in REDUCTIONS + ["batchmean"]:
    g.add(f"kl_div/{r}", lambda a, b, r=r: F.kl_div(a, b, reduction=r), [log_q, p_dist], [True, True],
          params={"op": "kl_div", "reduction": r})
    g.add(f"kl_div/log_target/{r}", lambda a, b, r=r: F.kl_div(a, b, reduction=r, log_target=True),
          [log_q, torch.log(p_dist)], [True, True],
          params={"op": "kl_div", "reduction": r, "log_target": True})
p_zeros = p_dist.clone()
p_zeros[0, 1] = 0.0
p_zeros[2, 3] = 0.0
g.add("kl_div/zero_targets", lambda a, b: F.kl_div(a, b, reduction="none"), [log_q, p_zeros],
      [True, False], params={"op": "kl_div", "reduction": "none"})
g.add("kl_div/3d_batchmean", lambda a, b: F.kl_div(a, b, reduction="batchmean"),
      [torch.log_softmax(randn(2, 3, 4), 2), torch.softmax(randn(2, 3, 4), 2)], [True, True],
      params={"op": "kl_div", "reduction": "batchmean"})
g.add("kl_div/f32", lambda a, b: F.kl_div(a, b, reduction="batchmean"), [log_q.to(f32), p_dist.to(f32)],
      [True, True], params={"op": "kl_div", "reduction": "batchmean"})

rate_log = randn(4, 5)
rate = torch.rand(4, 5, dtype=f64) * 3 + 0.1
counts = torch.randint(0, 6, (4, 5)).to(f64)
counts_positive = torch.rand(4, 5, dtype=f64) * 5 + 0.5  # target gradient is finite everywhere
for log_input in [True, False]:
    for full in [False, True]:
        x = rate_log if log_input else rate
        add_all_reductions(g, f"poisson_nll/log_input={log_input}_full={full}",
                           lambda a, b, reduction, li=log_input, fu=full: F.poisson_nll_loss(
                               a, b, log_input=li, full=fu, reduction=reduction),
                           [x, counts], [True, False],
                           {"op": "poisson_nll_loss", "log_input": log_input, "full": full})
        g.add(f"poisson_nll/log_input={log_input}_full={full}/target_grad",
              lambda a, b, li=log_input, fu=full: F.poisson_nll_loss(a, b, log_input=li, full=fu),
              [x, counts_positive], [True, True],
              params={"op": "poisson_nll_loss", "log_input": log_input, "full": full,
                      "reduction": "mean"})
g.add("poisson_nll/eps", lambda a, b: F.poisson_nll_loss(a, b, log_input=False, eps=0.1, reduction="none"),
      [torch.tensor([0.0, 0.5, 2.0], dtype=f64), torch.tensor([1.0, 2.0, 0.0], dtype=f64)], [True, True],
      params={"op": "poisson_nll_loss", "log_input": False, "eps": 0.1, "reduction": "none"})

mu, sample = randn(4, 3), randn(4, 3)
var_full = torch.rand(4, 3, dtype=f64) + 0.1
for tag, var in [("same_shape", var_full), ("last_dim_1", var_full[:, :1].clone()),
                 ("one_dim_less", var_full[:, 0].clone())]:
    add_all_reductions(g, f"gaussian_nll/{tag}",
                       lambda a, b, v, reduction: F.gaussian_nll_loss(a, b, v, reduction=reduction),
                       [mu, sample, var], [True, True, True], {"op": "gaussian_nll_loss"})
g.add("gaussian_nll/full", lambda a, b, v: F.gaussian_nll_loss(a, b, v, full=True), [mu, sample, var_full],
      [True, True, True], params={"op": "gaussian_nll_loss", "full": True, "reduction": "mean"})
# Entries below eps are clamped; the gradient passes through the clamp unchanged.
var_small = var_full.clone()
var_small[0, 0] = 0.0
var_small[1, 2] = 1e-9
g.add("gaussian_nll/clamped", lambda a, b, v: F.gaussian_nll_loss(a, b, v, eps=1e-3, reduction="none"),
      [mu, sample, var_small], [True, True, True],
      params={"op": "gaussian_nll_loss", "eps": 1e-3, "reduction": "none"})
g.add("gaussian_nll/f32", lambda a, b, v: F.gaussian_nll_loss(a, b, v),
      [mu.to(f32), sample.to(f32), var_full.to(f32)], [True, True, True],
      params={"op": "gaussian_nll_loss", "reduction": "mean"})
g.write()
