"""Reference values for cajal's evaluation metrics (tests/train/metrics_test.cpp).

sklearn is not installed, so every metric is written out here with numpy from its definition
(sklearn's conventions: confusion-matrix rows are true classes; F1 = 2TP / (2TP + FP + FN);
zero_division = 0; R^2 averaged uniformly over output columns). Run with Debian's interpreter:
    /usr/bin/python3 tools/golden/metrics.py
"""
import json
import os

import numpy as np
import torch

from golden import ROOT, encode


def confusion(pred, target, classes):
    m = np.zeros((classes, classes), dtype=np.int64)
    for p, t in zip(pred, target):
        m[t, p] += 1
    return m


def safe_div(num, den):
    return np.where(den == 0, 0.0, num / np.where(den == 0, 1, den))


def class_scores(m):
    tp = np.diag(m).astype(np.float64)
    fp = m.sum(axis=0) - tp
    fn = m.sum(axis=1) - tp
    support = m.sum(axis=1).astype(np.float64)
    precision = safe_div(tp, tp + fp)
    recall = safe_div(tp, tp + fn)
    f1 = safe_div(2 * tp, 2 * tp + fp + fn)
    out = {"precision_per_class": precision.tolist(), "recall_per_class": recall.tolist(),
           "f1_per_class": f1.tolist()}
    micro = safe_div(tp.sum(), tp.sum() + fp.sum())
    for name, values in (("precision", precision), ("recall", recall), ("f1", f1)):
        out[name + "_macro"] = float(values.mean())
        out[name + "_micro"] = float(micro)
        out[name + "_weighted"] = float((values * support).sum() / support.sum())
    if m.shape[0] == 2:
        out["precision_binary"] = float(precision[1])
        out["recall_binary"] = float(recall[1])
        out["f1_binary"] = float(f1[1])
    return out


def top_k(scores, target, k):
    order = np.argsort(-scores, axis=1, kind="stable")[:, :k]  # ties: lower index first
    return float(np.mean([t in row for row, t in zip(order, target)]))


def regression(pred, target):
    p = pred.reshape(pred.shape[0], -1).astype(np.float64)
    t = target.reshape(target.shape[0], -1).astype(np.float64)
    err = p - t
    ss_res = (err ** 2).sum(axis=0)
    ss_tot = ((t - t.mean(axis=0)) ** 2).sum(axis=0)
    r2 = np.where(ss_tot == 0, np.where(ss_res == 0, 1.0, 0.0),
                  1 - ss_res / np.where(ss_tot == 0, 1, ss_tot))
    mse = float((err ** 2).mean())
    return {"mse": mse, "mae": float(np.abs(err).mean()), "rmse": float(np.sqrt(mse)),
            "r2": float(r2.mean())}


def main():
    g = torch.Generator().manual_seed(20261124)
    cases = []

    # Multi-class: 5 classes; class 4 never occurs as a target (recall's zero division).
    logits = torch.randn(96, 5, generator=g, dtype=torch.float32)
    target = torch.randint(0, 4, (96,), generator=g)
    s = logits.double().numpy()
    pred = s.argmax(axis=1)
    m = confusion(pred, target.numpy(), 5)
    expected = {"accuracy": float((pred == target.numpy()).mean()),
                "top2_accuracy": top_k(s, target.numpy(), 2),
                "top3_accuracy": top_k(s, target.numpy(), 3),
                "confusion_matrix": m.tolist()}
    expected.update(class_scores(m))
    cases.append({"name": "multiclass_logits", "predictions": encode(logits),
                  "targets": encode(target), "params": {"num_classes": 5},
                  "expected": expected})

    # Binary logits [N] with float targets (binary_cross_entropy's form), threshold 0.5.
    logits = torch.randn(80, generator=g, dtype=torch.float64)
    target = (torch.rand(80, generator=g) < 0.4).double()
    pred = (torch.sigmoid(logits) > 0.5).long().numpy()
    t = target.long().numpy()
    m = confusion(pred, t, 2)
    expected = {"accuracy": float((pred == t).mean()), "confusion_matrix": m.tolist()}
    expected.update(class_scores(m))
    cases.append({"name": "binary_logits", "predictions": encode(logits),
                  "targets": encode(target), "params": {"threshold": 0.5, "from_logits": True},
                  "expected": expected})

    # Binary probabilities [N, 1] with int64 targets, threshold 0.3.
    probs = torch.rand(70, 1, generator=g, dtype=torch.float32)
    target = (torch.rand(70, generator=g) < 0.5).long()
    pred = (probs.double().numpy()[:, 0] > 0.3).astype(np.int64)
    t = target.numpy()
    m = confusion(pred, t, 2)
    expected = {"accuracy": float((pred == t).mean()), "confusion_matrix": m.tolist()}
    expected.update(class_scores(m))
    cases.append({"name": "binary_probabilities", "predictions": encode(probs),
                  "targets": encode(target), "params": {"threshold": 0.3, "from_logits": False},
                  "expected": expected})

    # Regression: one output (float32) and three outputs (float64).
    target = torch.randn(60, generator=g, dtype=torch.float32) * 3 + 1
    pred = target + 0.5 * torch.randn(60, generator=g, dtype=torch.float32)
    cases.append({"name": "regression_single", "predictions": encode(pred),
                  "targets": encode(target), "params": {},
                  "expected": regression(pred.numpy(), target.numpy())})
    target = torch.randn(50, 3, generator=g, dtype=torch.float64) * torch.tensor([1.0, 5.0, 0.1])
    pred = target + torch.randn(50, 3, generator=g, dtype=torch.float64)
    cases.append({"name": "regression_multi", "predictions": encode(pred),
                  "targets": encode(target), "params": {},
                  "expected": regression(pred.numpy(), target.numpy())})

    path = os.path.join(ROOT, "tests", "golden", "metrics.json")
    with open(path, "w") as f:
        json.dump({"generator": "tools/golden/metrics.py", "torch_version": torch.__version__,
                   "numpy_version": np.__version__, "cases": cases}, f)
        f.write("\n")
    print(f"wrote {len(cases)} cases to {os.path.relpath(path, ROOT)}")


if __name__ == "__main__":
    main()
