"""Golden values for the learning-rate schedules (src/optim/lr_scheduler.cpp and friends).

Run: /usr/bin/python3 tools/golden/lr_schedules.py  ->  tests/golden/lr_schedules.json
Every case runs a PyTorch scheduler on an optimizer with two parameter groups and records, after
construction and after each step, every group's learning rate (outputs[0]: float64 [steps + 1,
groups]) and, where the schedule cycles it, the momentum or Adam's beta1 (outputs[1]). Each case's
params say how to build the same schedule in C++ (tests/optim/lr_scheduler_test.cpp): "schedule"
names the class, "options" hold its arguments, "optimizer" is "sgd" or "adam", "base_lrs" the
groups' learning rates, "steps" the number of step() calls. ReduceLROnPlateau cases add the
metric sequence ("metrics"); CosineAnnealingWarmRestarts cases may give explicit (fractional)
epochs ("epochs"). Composite schedules (SequentialLR, ChainedScheduler) list their children.
"""
import math

import torch
from torch.optim import lr_scheduler as S

from golden import GoldenFile

f64 = torch.float64
BASE_LRS = [0.1, 0.03]
g = GoldenFile("lr_schedules")


def make_optimizer(kind, base_lrs=BASE_LRS, momentum=0.9, betas=(0.9, 0.999)):
    groups = [{"params": [torch.zeros(2, requires_grad=True)], "lr": lr} for lr in base_lrs]
    if kind == "sgd":
        return torch.optim.SGD(groups, lr=base_lrs[0], momentum=momentum)
    if kind == "adam":
        return torch.optim.Adam(groups, lr=base_lrs[0], betas=betas)
    raise ValueError(kind)


# Lambdas by name, written the same way in the C++ test.
LAMBDAS = {
    "pow095": lambda e: 0.95 ** e,
    "inverse": lambda e: 1.0 / (1.0 + e),
    "warmup10": lambda e: min(1.0, (e + 1) / 10.0),
    "const09": lambda e: 0.9,
    "linear_decay": lambda e: 1.0 - 0.01 * e,
}


def build(opt, spec):
    kind = spec["schedule"]
    o = dict(spec.get("options", {}))
    if kind == "LambdaLR":
        return S.LambdaLR(opt, [LAMBDAS[name] for name in o["lambdas"]])
    if kind == "MultiplicativeLR":
        return S.MultiplicativeLR(opt, [LAMBDAS[name] for name in o["lambdas"]])
    if kind == "SequentialLR":
        children = [build(opt, child) for child in spec["children"]]
        return S.SequentialLR(opt, children, milestones=o["milestones"])
    if kind == "ChainedScheduler":
        return S.ChainedScheduler([build(opt, child) for child in spec["children"]])
    return getattr(S, kind)(opt, **o)


def momentum_of(opt, kind):
    if kind == "sgd":
        return [group["momentum"] for group in opt.param_groups]
    return [group["betas"][0] for group in opt.param_groups]


def add(name, spec, steps, optimizer="sgd", base_lrs=BASE_LRS, record_momentum=False,
        metrics=None, epochs=None):
    opt = make_optimizer(optimizer, base_lrs)
    sched = build(opt, spec)
    lrs = [[group["lr"] for group in opt.param_groups]]
    moms = [momentum_of(opt, optimizer)]
    for i in range(steps):
        if metrics is not None:
            sched.step(metrics[i])
        elif epochs is not None:
            sched.step(epochs[i])
        else:
            sched.step()
        lrs.append([group["lr"] for group in opt.param_groups])
        moms.append(momentum_of(opt, optimizer))
        if metrics is None:
            # get_last_lr must agree with the optimizer.
            assert sched.get_last_lr() == lrs[-1], (name, sched.get_last_lr(), lrs[-1])
    outputs = [torch.tensor(lrs, dtype=f64)]
    if record_momentum:
        outputs.append(torch.tensor(moms, dtype=f64))
    params = dict(spec)
    params.update({"optimizer": optimizer, "base_lrs": list(base_lrs), "steps": steps})
    if metrics is not None:
        params["metrics"] = list(metrics)
    if epochs is not None:
        params["epochs"] = list(epochs)
    g.add(name, lambda: tuple(outputs), [], params=params)


def spec(schedule, **options):
    return {"schedule": schedule, "options": options}


# --- Epoch-wise, chainable schedules -----------------------------------------------------------
add("StepLR", spec("StepLR", step_size=3, gamma=0.5), 35)
add("StepLR/default_gamma", spec("StepLR", step_size=7), 30)
add("MultiStepLR", spec("MultiStepLR", milestones=[2, 5, 5, 11, 20], gamma=0.3), 30)
add("MultiStepLR/unsorted", spec("MultiStepLR", milestones=[15, 4, 9]), 30)
add("ConstantLR", spec("ConstantLR", factor=0.25, total_iters=4), 30)
add("ConstantLR/default", spec("ConstantLR"), 30)
add("LinearLR/default", spec("LinearLR"), 30)
add("LinearLR", spec("LinearLR", start_factor=0.2, end_factor=0.6, total_iters=7), 30)
add("LinearLR/decay", spec("LinearLR", start_factor=1.0, end_factor=0.05, total_iters=20), 30)
add("ExponentialLR", spec("ExponentialLR", gamma=0.9), 35)
add("PolynomialLR", spec("PolynomialLR", total_iters=20, power=2.0), 30)
add("PolynomialLR/sqrt", spec("PolynomialLR", total_iters=25, power=0.5), 30)
add("CosineAnnealingLR", spec("CosineAnnealingLR", T_max=10, eta_min=0.001), 45)
add("CosineAnnealingLR/zero_min", spec("CosineAnnealingLR", T_max=7), 30)
add("LambdaLR", {"schedule": "LambdaLR", "options": {"lambdas": ["pow095", "inverse"]}}, 30)
add("LambdaLR/warmup", {"schedule": "LambdaLR", "options": {"lambdas": ["warmup10", "warmup10"]}},
    30)
add("MultiplicativeLR",
    {"schedule": "MultiplicativeLR", "options": {"lambdas": ["const09", "linear_decay"]}}, 30)

# --- Closed-form schedules ---------------------------------------------------------------------
add("CosineAnnealingWarmRestarts", spec("CosineAnnealingWarmRestarts", T_0=5, T_mult=2,
                                        eta_min=0.01), 45)
add("CosineAnnealingWarmRestarts/T_mult=1", spec("CosineAnnealingWarmRestarts", T_0=6), 30)
add("CosineAnnealingWarmRestarts/epochs",
    spec("CosineAnnealingWarmRestarts", T_0=3, T_mult=2, eta_min=0.001), 32,
    epochs=[i * 0.7 for i in range(1, 31)] + [4.0, 1.5])

# --- Per-batch schedules with momentum ---------------------------------------------------------
add("OneCycleLR/sgd", spec("OneCycleLR", max_lr=[0.5, 0.2], total_steps=40), 40,
    record_momentum=True)
add("OneCycleLR/adam", spec("OneCycleLR", max_lr=0.01, total_steps=35), 35, optimizer="adam",
    record_momentum=True)
add("OneCycleLR/linear_three_phase",
    spec("OneCycleLR", max_lr=[1.0, 0.4], epochs=6, steps_per_epoch=7, pct_start=0.25,
         anneal_strategy="linear", three_phase=True, base_momentum=[0.8, 0.7],
         max_momentum=[0.9, 0.95], div_factor=10.0, final_div_factor=100.0), 42,
    record_momentum=True)
add("OneCycleLR/cos_three_phase",
    spec("OneCycleLR", max_lr=0.3, total_steps=31, pct_start=0.4, three_phase=True), 31,
    record_momentum=True)
add("OneCycleLR/no_momentum",
    spec("OneCycleLR", max_lr=0.3, total_steps=30, cycle_momentum=False), 30,
    record_momentum=True)
add("CyclicLR/triangular",
    spec("CyclicLR", base_lr=[0.01, 0.002], max_lr=[0.1, 0.02], step_size_up=4,
         step_size_down=6), 35, record_momentum=True)
add("CyclicLR/triangular2",
    spec("CyclicLR", base_lr=0.01, max_lr=0.1, step_size_up=5, mode="triangular2",
         base_momentum=0.85, max_momentum=0.95), 40, record_momentum=True)
add("CyclicLR/exp_range",
    spec("CyclicLR", base_lr=[0.01, 0.005], max_lr=[0.1, 0.04], step_size_up=3, mode="exp_range",
         gamma=0.95, cycle_momentum=False), 30, record_momentum=True)

# --- ReduceLROnPlateau -------------------------------------------------------------------------
PLATEAU_METRICS = [1.0, 0.9, 0.85, 0.86, 0.849, 0.8499, 0.85, 0.8, 0.81, 0.82, 0.83, 0.84, 0.7,
                   0.7, 0.7, 0.7, 0.7, 0.69995, 0.7, 0.6, 0.6, 0.61, 0.62, 0.63, 0.64, 0.65, 0.5,
                   0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]
add("ReduceLROnPlateau/min_rel",
    spec("ReduceLROnPlateau", mode="min", factor=0.5, patience=2, cooldown=1,
         min_lr=[0.01, 0.001]), len(PLATEAU_METRICS), metrics=PLATEAU_METRICS)
add("ReduceLROnPlateau/default", spec("ReduceLROnPlateau"), len(PLATEAU_METRICS),
    metrics=PLATEAU_METRICS)
ACCURACY = [0.5, 0.6, 0.65, 0.7, 0.72, 0.71, 0.73, 0.73, 0.735, 0.74, 0.7, 0.75, 0.76, 0.76,
            0.761, 0.762, 0.8, 0.79, 0.8, 0.8, 0.805, 0.81, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9]
add("ReduceLROnPlateau/max_abs",
    spec("ReduceLROnPlateau", mode="max", factor=0.3, patience=1, threshold=0.02,
         threshold_mode="abs", cooldown=2, min_lr=1e-4), len(ACCURACY), metrics=ACCURACY)
# eps: reductions smaller than eps are skipped (the lr is already at its floor's neighbourhood).
add("ReduceLROnPlateau/eps",
    spec("ReduceLROnPlateau", factor=0.5, patience=0, eps=0.004, threshold_mode="abs"), 12,
    base_lrs=[0.1, 0.02], metrics=[1.0] * 12)

# --- Composition -------------------------------------------------------------------------------
add("SequentialLR/warmup_cosine",
    {"schedule": "SequentialLR", "options": {"milestones": [5]},
     "children": [spec("LinearLR", start_factor=0.1, total_iters=5),
                  spec("CosineAnnealingLR", T_max=25, eta_min=0.001)]}, 35)
add("SequentialLR/three",
    {"schedule": "SequentialLR", "options": {"milestones": [3, 10]},
     "children": [spec("ConstantLR", factor=0.5, total_iters=3), spec("ExponentialLR", gamma=0.8),
                  spec("StepLR", step_size=4, gamma=0.5)]}, 30)
add("SequentialLR/restarts",
    {"schedule": "SequentialLR", "options": {"milestones": [4]},
     "children": [spec("LinearLR", start_factor=0.25, total_iters=4),
                  spec("CosineAnnealingWarmRestarts", T_0=6, T_mult=2)]}, 30)
add("ChainedScheduler",
    {"schedule": "ChainedScheduler",
     "children": [spec("ConstantLR", factor=0.5, total_iters=4), spec("ExponentialLR", gamma=0.9)]},
    30)
add("ChainedScheduler/warmup_step",
    {"schedule": "ChainedScheduler",
     "children": [spec("LinearLR", start_factor=0.2, total_iters=6),
                  spec("StepLR", step_size=5, gamma=0.5),
                  spec("MultiStepLR", milestones=[12, 20], gamma=0.5)]}, 30)
add("ChainedScheduler/cosine",
    {"schedule": "ChainedScheduler",
     "children": [spec("LinearLR", start_factor=0.5, total_iters=5),
                  spec("CosineAnnealingLR", T_max=12, eta_min=0.002)]}, 30)

g.write()
