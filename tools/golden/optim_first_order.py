"""Golden trajectories for the classic first-order optimizers (src/optim/{sgd,adagrad,adadelta,
rmsprop,adam,adamw,adamax}.cpp).

Run: /usr/bin/python3 tools/golden/optim_first_order.py  ->  tests/golden/optim_first_order.json

Every case trains the same float64 model, a 3 -> 4 -> 2 perceptron with tanh and a mean squared
error on five fixed samples, for STEPS steps with PyTorch's single-tensor (foreach=False) update.
Its inputs are the data and the initial parameters:
    x [5, 3], y [5, 2], w1 [4, 3], b1 [4], w2 [2, 4], b2 [2], unused [3]
`unused` takes no part in the loss, so it never has a gradient and must never move. The outputs
are one trajectory per parameter, [STEPS, *shape]: the parameters after every step. The case's
params give the optimizer ("optimizer"), its groups ("groups": parameter indices into
[w1, b1, w2, b2, unused] and PyTorch-named options), the number of steps ("steps"), and an
optional learning-rate change ("set_lr": [after_step, group, lr]) that exercises set_lr.
"""
import torch

from golden import GoldenFile

torch.manual_seed(31)
f64 = torch.float64
STEPS = 12

g = GoldenFile("optim_first_order")

DATA = [torch.randn(5, 3, dtype=f64), torch.randn(5, 2, dtype=f64) * 0.5,
        torch.randn(4, 3, dtype=f64) * 0.6, torch.randn(4, dtype=f64) * 0.1,
        torch.randn(2, 4, dtype=f64) * 0.5, torch.randn(2, dtype=f64) * 0.1,
        torch.randn(3, dtype=f64)]

OPTIMIZERS = {
    "SGD": torch.optim.SGD,
    "Adagrad": torch.optim.Adagrad,
    "Adadelta": torch.optim.Adadelta,
    "RMSprop": torch.optim.RMSprop,
    "Adam": torch.optim.Adam,
    "AdamW": torch.optim.AdamW,
    "Adamax": torch.optim.Adamax,
}

ALL = [0, 1, 2, 3, 4]
TRUNK, HEAD = [0, 1], [2, 3, 4]


def loss_fn(x, y, w1, b1, w2, b2):
    hidden = torch.tanh(x @ w1.t() + b1)
    return ((hidden @ w2.t() + b2 - y) ** 2).mean()


def add(name, optimizer, groups, set_lr=None):
    """groups: list of (parameter indices, options)."""

    def run(x, y, *initial):
        params = [p.detach().clone().requires_grad_(True) for p in initial]
        torch_groups = []
        for indices, options in groups:
            options = {k: tuple(v) if isinstance(v, list) else v for k, v in options.items()}
            torch_groups.append(dict(params=[params[i] for i in indices], **options))
        defaults = {}
        if optimizer == "Adagrad":
            # torch 1.13 fills every group's "sum" with the constructor's
            # initial_accumulator_value, ignoring a group's own; cajal honours the group's. Cases
            # give all groups the same value, passed to the constructor too.
            values = {o.get("initial_accumulator_value", 0.0) for _, o in groups}
            assert len(values) == 1, "Adagrad cases need one initial_accumulator_value"
            defaults["initial_accumulator_value"] = values.pop()
        opt = OPTIMIZERS[optimizer](torch_groups, foreach=False, **defaults)
        trajectory = [[] for _ in params]
        for step in range(STEPS):
            opt.zero_grad(set_to_none=True)
            loss_fn(x, y, *params[:4]).backward()
            opt.step()
            for p, t in zip(params, trajectory):
                t.append(p.detach().clone())
            if set_lr is not None and step + 1 == set_lr[0]:
                opt.param_groups[set_lr[1]]["lr"] = set_lr[2]
        assert params[4].grad is None and torch.equal(params[4].detach(), initial[4])
        return tuple(torch.stack(t) for t in trajectory)

    params = {"optimizer": optimizer, "steps": STEPS,
              "groups": [{"params": indices, "options": options} for indices, options in groups]}
    if set_lr is not None:
        params["set_lr"] = list(set_lr)
    g.add(name, run, DATA, requires_grad=[False] * len(DATA), params=params)


# SGD
add("sgd_plain", "SGD", [(ALL, {"lr": 0.1})])
add("sgd_momentum", "SGD", [(ALL, {"lr": 0.05, "momentum": 0.9})], set_lr=(6, 0, 0.02))
add("sgd_dampening", "SGD", [(ALL, {"lr": 0.05, "momentum": 0.8, "dampening": 0.5})])
add("sgd_nesterov", "SGD", [(ALL, {"lr": 0.05, "momentum": 0.9, "nesterov": True})])
add("sgd_groups_weight_decay", "SGD",
    [(TRUNK, {"lr": 0.1, "momentum": 0.5, "weight_decay": 0.1}),
     (HEAD, {"lr": 0.03, "momentum": 0.9, "weight_decay": 0.01, "nesterov": True})])
add("sgd_maximize", "SGD", [(ALL, {"lr": 0.02, "momentum": 0.9, "maximize": True})])

# Adagrad
add("adagrad_default", "Adagrad", [(ALL, {})])
add("adagrad_groups", "Adagrad",
    [(TRUNK, {"lr": 0.1, "lr_decay": 0.1, "weight_decay": 0.05,
              "initial_accumulator_value": 0.1}),
     (HEAD, {"lr": 0.05, "eps": 1e-6, "initial_accumulator_value": 0.1})])
add("adagrad_maximize", "Adagrad", [(ALL, {"lr": 0.05, "maximize": True, "lr_decay": 0.01})])

# Adadelta
add("adadelta_default", "Adadelta", [(ALL, {})])
add("adadelta_groups", "Adadelta",
    [(TRUNK, {"lr": 0.5, "rho": 0.8, "eps": 1e-4, "weight_decay": 0.1}),
     (HEAD, {"lr": 2.0, "rho": 0.95})])
add("adadelta_maximize", "Adadelta", [(ALL, {"lr": 1.0, "maximize": True})])

# RMSprop
add("rmsprop_plain", "RMSprop", [(ALL, {"lr": 0.01})])
add("rmsprop_momentum", "RMSprop", [(ALL, {"lr": 0.005, "momentum": 0.9})])
add("rmsprop_centered", "RMSprop", [(ALL, {"lr": 0.005, "centered": True, "alpha": 0.9})])
add("rmsprop_groups", "RMSprop",
    [(TRUNK, {"lr": 0.01, "centered": True, "momentum": 0.5, "weight_decay": 0.1}),
     (HEAD, {"lr": 0.002, "alpha": 0.95, "eps": 1e-6})], set_lr=(4, 1, 0.004))
add("rmsprop_maximize", "RMSprop", [(ALL, {"lr": 0.01, "maximize": True, "momentum": 0.3})])

# Adam
add("adam_plain", "Adam", [(ALL, {"lr": 0.05})])
add("adam_amsgrad", "Adam", [(ALL, {"lr": 0.05, "amsgrad": True, "betas": [0.9, 0.9]})])
add("adam_groups", "Adam",
    [(TRUNK, {"lr": 0.05, "weight_decay": 0.1, "amsgrad": True}),
     (HEAD, {"lr": 0.01, "betas": [0.8, 0.99], "eps": 1e-6})], set_lr=(6, 0, 0.01))
add("adam_maximize", "Adam", [(ALL, {"lr": 0.02, "maximize": True, "weight_decay": 0.01})])

# AdamW
add("adamw_default", "AdamW", [(ALL, {})])
add("adamw_amsgrad", "AdamW", [(ALL, {"lr": 0.05, "amsgrad": True, "weight_decay": 0.5,
                                      "betas": [0.9, 0.9]})])
add("adamw_groups", "AdamW",
    [(TRUNK, {"lr": 0.05, "weight_decay": 0.0}),
     (HEAD, {"lr": 0.02, "weight_decay": 0.2, "betas": [0.85, 0.98]})])
add("adamw_maximize", "AdamW", [(ALL, {"lr": 0.02, "maximize": True})])

# Adamax
add("adamax_plain", "Adamax", [(ALL, {"lr": 0.05})])
add("adamax_groups", "Adamax",
    [(TRUNK, {"lr": 0.05, "weight_decay": 0.1}),
     (HEAD, {"lr": 0.02, "betas": [0.8, 0.99], "eps": 1e-4})])
add("adamax_maximize", "Adamax", [(ALL, {"lr": 0.02, "maximize": True})])

g.write()
