"""Golden trajectories for torch.optim.LBFGS (src/optim/lbfgs.cpp) and its strong-Wolfe line
search (src/optim/line_search.cpp).

Run: /usr/bin/python3 tools/golden/optim_lbfgs.py  ->  tests/golden/optim_lbfgs.json
Each case names a float64 problem ("rosenbrock" or "mlp"), the problem's data, the LBFGS options
and the initial parameters, then records after every step() the loss it returned, the parameters,
and the state counters func_evals and n_iter. The C++ test (tests/optim/lbfgs_test.cpp) rebuilds
the same problem with cajal ops and replays the steps. "line_search" holds single searches
of torch.optim.lbfgs._strong_wolfe along lines of the 2-D Rosenbrock function (tests/optim/
line_search_test.cpp).
"""
import json
import os

import torch
import torch.nn.functional as F
from torch.optim.lbfgs import _strong_wolfe

from golden import ROOT, encode

torch.manual_seed(31)
f64 = torch.float64
STEPS = 12


def rosenbrock(params, data):
    (p,) = params
    a = 1 - p[0]
    b = p[1] - p[0] * p[0]
    return a * a + 100 * b * b


def mlp(params, data):
    w1, b1, w2, b2 = params
    hidden = torch.tanh(F.linear(data["x"], w1, b1))
    diff = F.linear(hidden, w2, b2) - data["y"]
    return (diff * diff).mean()


def mlp_problem():
    x = torch.randn(16, 3, dtype=f64)
    y = torch.sin(x.sum(1, keepdim=True)) + 0.1 * torch.randn(16, 1, dtype=f64)
    params = [torch.randn(6, 3, dtype=f64) * 0.5, torch.randn(6, dtype=f64) * 0.1,
              torch.randn(1, 6, dtype=f64) * 0.5, torch.randn(1, dtype=f64) * 0.1]
    return {"x": x, "y": y}, params


PROBLEMS = {"rosenbrock": rosenbrock, "mlp": mlp}


def run(name, problem, data, initial, options):
    params = [p.detach().clone().requires_grad_(True) for p in initial]
    opt = torch.optim.LBFGS(params, **options)
    fn = PROBLEMS[problem]

    def closure():
        opt.zero_grad()
        loss = fn(params, data)
        loss.backward()
        return loss

    steps = []
    for _ in range(STEPS):
        loss = opt.step(closure)
        state = opt.state[params[0]]
        steps.append({"loss": float(loss), "params": [encode(p) for p in params],
                      "func_evals": int(state["func_evals"]), "n_iter": int(state["n_iter"])})
    options = dict(options)
    if options.get("line_search_fn") is None:
        options["line_search_fn"] = ""
    return {"name": name, "problem": problem, "options": options,
            "data": {k: encode(v) for k, v in data.items()},
            "initial": [encode(p) for p in initial], "steps": steps}


cases = []
start = [torch.tensor([-1.5, 2.0], dtype=f64)]
cases.append(run("rosenbrock_fixed_step", "rosenbrock", {}, start,
                 {"lr": 0.03, "max_iter": 6, "history_size": 4}))
cases.append(run("rosenbrock_strong_wolfe", "rosenbrock", {}, start,
                 {"max_iter": 4, "history_size": 10, "line_search_fn": "strong_wolfe"}))
cases.append(run("rosenbrock_strong_wolfe_defaults", "rosenbrock", {}, start,
                 {"line_search_fn": "strong_wolfe"}))
data, initial = mlp_problem()
cases.append(run("mlp_fixed_step", "mlp", data, initial,
                 {"lr": 0.5, "max_iter": 2, "history_size": 3}))
cases.append(run("mlp_strong_wolfe", "mlp", data, initial,
                 {"max_iter": 2, "history_size": 4, "line_search_fn": "strong_wolfe"}))
cases.append(run("mlp_strong_wolfe_max_eval", "mlp", data, initial,
                 {"max_iter": 4, "max_eval": 3, "tolerance_change": 1e-12,
                  "line_search_fn": "strong_wolfe"}))

def line_search_case(x, d, t, **kwargs):
    x = torch.tensor(x, dtype=f64)
    d = torch.tensor(d, dtype=f64)

    def value_and_grad(point):
        point = point.detach().clone().requires_grad_(True)
        loss = rosenbrock([point], {})
        loss.backward()
        return float(loss), point.grad

    def obj_func(x0, step, direction):
        return value_and_grad(x0 + step * direction)

    f, g = value_and_grad(x)
    gtd = g.dot(d)
    f_new, g_new, t_new, evals = _strong_wolfe(obj_func, x, t, d, f, g, gtd, **kwargs)
    return {"x": x.tolist(), "d": d.tolist(), "t0": t, "options": kwargs, "t": float(t_new),
            "value": float(f_new), "gradient": g_new.tolist(), "evaluations": int(evals)}


line_searches = [
    line_search_case([-1.2, 1.0], [1.0, 0.0], 1.0),      # too long: zoom
    line_search_case([-1.2, 1.0], [1.0, 0.0], 1e-4),     # too short: extrapolate
    line_search_case([-1.2, 1.0], [215.6, 88.0], 1e-3),  # steepest descent
    line_search_case([0.5, 0.1], [0.3, 0.6], 0.1, c2=0.1),
    line_search_case([0.5, 0.1], [0.3, 0.6], 50.0, c2=0.1),
    line_search_case([-1.5, 2.0], [0.5, -0.2], 1e-6, max_ls=3),  # budget runs out
    line_search_case([2.0, 2.0], [-1.0, -2.0], 5.0, c1=0.3, c2=0.4, tolerance_change=1e-3),
]

path = os.path.join(ROOT, "tests", "golden", "optim_lbfgs.json")
with open(path, "w") as f:
    json.dump({"generator": "tools/golden/optim_lbfgs.py", "torch_version": torch.__version__,
               "cases": cases, "line_search": line_searches}, f)
    f.write("\n")
print(f"wrote {len(cases)} cases to {os.path.relpath(path, ROOT)}")
for c in line_searches:
    print(c["t0"], "->", c["t"], c["value"], c["evaluations"])
for c in cases:
    last = c["steps"][-1]
    print(c["name"], [s["loss"] for s in c["steps"]][:3], last["loss"], last["func_evals"],
          last["n_iter"])
