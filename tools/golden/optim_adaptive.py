"""Golden trajectories for NAdam and RAdam (src/optim/nadam.cpp, src/optim/radam.cpp).

Run: /usr/bin/python3 tools/golden/optim_adaptive.py  ->  tests/golden/optim_adaptive.json
Each case trains a small float64 model, tanh(x W1^T + b1) W2^T + b2 fitted to y with mean squared
error, for STEPS steps. inputs: x, y, W1, b1, W2, b2 (initial values); outputs: one tensor per
parameter holding its value after every step, [STEPS, *shape]. params: "optimizer" and "groups",
a list of {"params": [indices into W1, b1, W2, b2], option: value, ...} in group order.

NAdam runs with foreach=True: torch 1.13's default single-tensor path multiplies mu_t into
prod mu_i twice when forming prod_{i<=t+1} mu_i; the foreach path, the documented equations and
PyTorch >= 2.0 use prod_{i<=t} mu_i * mu_{t+1}, as cajal does.
"""
import torch

from golden import GoldenFile

torch.set_default_dtype(torch.float64)  # so the step and mu_product state is float64 too
torch.manual_seed(31)
STEPS = 12

g = GoldenFile("optim_adaptive")

x = torch.randn(6, 4)
y = torch.randn(6, 2)
W1 = torch.randn(3, 4) * 0.5
b1 = torch.randn(3) * 0.1
W2 = torch.randn(2, 3) * 0.5
b2 = torch.randn(2) * 0.1


def loss_fn(x, y, params):
    w1, c1, w2, c2 = params
    out = torch.nn.functional.linear(torch.tanh(torch.nn.functional.linear(x, w1, c1)), w2, c2)
    return ((out - y) ** 2).mean()


def add_case(name, optimizer, groups, **extra):
    def run(x, y, *initial):
        params = [p.detach().clone().requires_grad_(True) for p in initial]
        torch_groups = []
        for group in groups:
            options = {k: (tuple(v) if k == "betas" else v) for k, v in group.items()
                       if k != "params"}
            torch_groups.append({"params": [params[i] for i in group["params"]], **options})
        opt = optimizer(torch_groups, **extra)
        history = [[] for _ in params]
        for _ in range(STEPS):
            opt.zero_grad()
            loss_fn(x, y, params).backward()
            opt.step()
            for h, p in zip(history, params):
                h.append(p.detach().clone())
        return tuple(torch.stack(h) for h in history)

    g.add(name, run, [x, y, W1, b1, W2, b2], requires_grad=[False] * 6,
          params={"optimizer": optimizer.__name__, "groups": groups})


def nadam(groups, **extra):
    return torch.optim.NAdam(groups, foreach=True, **extra)


nadam.__name__ = "NAdam"

add_case("nadam/one_group", nadam, [{"params": [0, 1, 2, 3], "lr": 0.05}])
add_case("nadam/two_groups", nadam, [
    {"params": [0, 1], "lr": 0.03, "weight_decay": 0.1, "betas": [0.8, 0.99]},
    {"params": [2, 3], "lr": 0.01, "momentum_decay": 0.02, "eps": 1e-6}])
add_case("radam/one_group", torch.optim.RAdam, [{"params": [0, 1, 2, 3], "lr": 0.05}])
add_case("radam/two_groups", torch.optim.RAdam, [
    {"params": [0, 1], "lr": 0.03, "weight_decay": 0.1, "betas": [0.85, 0.99]},
    {"params": [2, 3], "lr": 0.01, "eps": 1e-6}])
# beta2 = 0.9: rho_inf = 19, so the rectified branch starts at step 3 (with 0.999, at step 6).
add_case("radam/fast_rectification", torch.optim.RAdam, [
    {"params": [0, 1, 2, 3], "lr": 0.02, "betas": [0.9, 0.9], "weight_decay": 0.01}])

# Record how far 1.13's default NAdam path is from the one we test against (not stored).
a = [p.clone().requires_grad_(True) for p in (W1, b1, W2, b2)]
b = [p.clone().requires_grad_(True) for p in (W1, b1, W2, b2)]
opt_a = torch.optim.NAdam(a, lr=0.05, foreach=False)
opt_b = torch.optim.NAdam(b, lr=0.05, foreach=True)
for _ in range(STEPS):
    for params, opt in ((a, opt_a), (b, opt_b)):
        opt.zero_grad()
        loss_fn(x, y, params).backward()
        opt.step()
print("NAdam single-tensor vs foreach after", STEPS, "steps: max |diff| =",
      max((p - q).abs().max().item() for p, q in zip(a, b)))

g.write()
