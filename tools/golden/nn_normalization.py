"""Golden values for the normalization layers BatchNorm1d, BatchNorm2d and LayerNorm as modules
(tests/nn/normalization_test.cpp).

Each case runs the torch.nn module itself through functional_call with the case's state, so the
module's own logic (batch or running statistics, momentum=None, num_batches_tracked) is recorded.

  inputs  = [x_1, ..., x_steps, *state]   state named by params["state_names"] (PyTorch's keys)
  params  = {"module", options..., "state_names", "steps", "mode": "train" | "eval",
             "eval_after": 0/1}
  outputs = [y_1, ..., y_steps, (y_eval), *state after the last step]

Single-step cases ("steps" = 1) also carry the gradients of y_1 with respect to x_1 and the
floating-point parameters (weight, bias). Multi-step cases train for `steps` forward passes (the
running statistics evolve) and, with eval_after, then run x_steps once more in eval mode.
momentum None is written as -1. Booleans are written as 0/1.

Run: /usr/bin/python3 tools/golden/nn_normalization.py
"""
import torch
from torch import nn
from torch.nn.utils import stateless

from golden import GoldenFile

torch.manual_seed(7)
f64 = torch.float64
f32 = torch.float32
out = GoldenFile("nn_normalization")


def randn(shape, dtype=f64, scale=1.0, shift=0.0):
    return (torch.randn(shape, dtype=f64) * scale + shift).to(dtype)


def random_state(module, dtype):
    """Non-trivial values for every parameter and buffer (positive variances)."""
    state = {}
    for name, t in list(module.named_parameters()) + list(module.named_buffers()):
        if name == "num_batches_tracked":
            state[name] = torch.tensor(3, dtype=torch.int64)
        elif name == "running_var":
            state[name] = (torch.rand(t.shape, dtype=f64) + 0.5).to(dtype)
        elif name == "weight":
            state[name] = randn(t.shape, dtype, 0.5, 1.0)
        else:
            state[name] = randn(t.shape, dtype, 0.5)
    return state


def add(name, module, xs, options, mode="train", eval_after=False, dtype=f64, fresh=False):
    """fresh: start from the module's own initial state (ones, zeros, counter 0)."""
    module = module.to(dtype)
    state = ({n: t.detach().clone() for n, t in module.state_dict().items()} if fresh
             else random_state(module, dtype))
    names = list(state.keys())
    steps = len(xs)

    def run(*args):
        x_list, values = args[:steps], args[steps:]
        # The buffers are updated in place: work on copies so the recorded inputs stay as given.
        current = {n: (v if v.requires_grad else v.clone()) for n, v in zip(names, values)}
        module.train(mode == "train")
        ys = [stateless.functional_call(module, current, (x,)) for x in x_list]
        if eval_after:
            module.eval()
            ys.append(stateless.functional_call(module, current, (x_list[-1],)))
        after = [current[n].detach().clone() for n in names]
        return (*ys, *after)

    requires_grad = [steps == 1] * steps + [steps == 1 and state[n].is_floating_point() and
                                            n in ("weight", "bias") for n in names]
    out.add(name, run, [*xs, *(state[n] for n in names)], requires_grad=requires_grad,
            params={**options, "state_names": names, "steps": steps, "mode": mode,
                    "eval_after": int(eval_after)})


def bn_options(module_name, num_features, eps=1e-5, momentum=0.1, affine=True,
               track_running_stats=True):
    return {"module": module_name, "num_features": num_features, "eps": eps,
            "momentum": -1 if momentum is None else momentum, "affine": int(affine),
            "track_running_stats": int(track_running_stats)}


def add_bn(name, dims, num_features, x_shapes, mode="train", eval_after=False, dtype=f64,
           fresh=False, **kwargs):
    cls = nn.BatchNorm1d if dims == 1 else nn.BatchNorm2d
    module = cls(num_features, **kwargs)
    xs = [randn(shape, dtype, 2.0, 0.5) for shape in x_shapes]
    add(name, module, xs, bn_options(cls.__name__, num_features, **kwargs), mode, eval_after,
        dtype, fresh)


# One training step: batch statistics, gradients, running statistics updated.
add_bn("bn1d/2d_train", 1, 3, [(6, 3)])
add_bn("bn1d/3d_train", 1, 4, [(3, 4, 5)])
add_bn("bn1d/two_per_channel", 1, 2, [(2, 2)])
add_bn("bn1d/3d_train_momentum_none", 1, 3, [(4, 3, 2)], momentum=None)
add_bn("bn1d/no_affine", 1, 3, [(5, 3)], affine=False)
add_bn("bn1d/no_running_stats_train", 1, 3, [(5, 3)], track_running_stats=False)
add_bn("bn1d/no_running_stats_eval", 1, 3, [(5, 3, 2)], mode="eval", track_running_stats=False)
add_bn("bn2d/train", 2, 3, [(2, 3, 4, 5)])
add_bn("bn2d/train_eps_momentum", 2, 2, [(3, 2, 3, 3)], eps=1e-2, momentum=0.3)
add_bn("bn2d/one_sample", 2, 3, [(1, 3, 2, 2)])
add_bn("bn2d/no_affine_no_stats", 2, 2, [(2, 2, 3, 3)], affine=False, track_running_stats=False)
# Evaluation mode: the running statistics, nothing updated.
add_bn("bn1d/2d_eval", 1, 3, [(4, 3)], mode="eval")
add_bn("bn1d/1_sample_eval", 1, 3, [(1, 3)], mode="eval")
add_bn("bn2d/eval", 2, 3, [(2, 3, 3, 2)], mode="eval")
add_bn("bn2d/eval_no_affine", 2, 3, [(2, 3, 2, 2)], mode="eval", affine=False)
# float32.
add_bn("bn1d/f32_train", 1, 5, [(8, 5)], dtype=f32)
add_bn("bn2d/f32_train", 2, 4, [(4, 4, 3, 3)], dtype=f32)
add_bn("bn2d/f32_eval", 2, 4, [(2, 4, 3, 3)], mode="eval", dtype=f32)
# Trajectories from the default initial state: running statistics over several steps, then eval.
add_bn("bn1d/trajectory", 1, 3, [(5, 3)] * 6, eval_after=True, fresh=True)
add_bn("bn1d/trajectory_3d_momentum_none", 1, 2, [(3, 2, 4)] * 6, eval_after=True, fresh=True,
       momentum=None)
add_bn("bn2d/trajectory", 2, 3, [(2, 3, 2, 3)] * 5, eval_after=True, fresh=True, momentum=0.25)
add_bn("bn2d/trajectory_momentum_none", 2, 2, [(2, 2, 3, 2)] * 7, eval_after=True, fresh=True,
       momentum=None)
add_bn("bn2d/trajectory_momentum_none_from_state", 2, 2, [(3, 2, 2, 2)] * 4, eval_after=True,
       momentum=None)
add_bn("bn2d/f32_trajectory", 2, 3, [(4, 3, 3, 3)] * 5, eval_after=True, fresh=True, dtype=f32)


def add_ln(name, normalized_shape, x_shape, eps=1e-5, elementwise_affine=True, dtype=f64):
    module = nn.LayerNorm(normalized_shape, eps=eps, elementwise_affine=elementwise_affine)
    options = {"module": "LayerNorm", "normalized_shape": list(module.normalized_shape),
               "eps": eps, "elementwise_affine": int(elementwise_affine)}
    add(name, module, [randn(x_shape, dtype, 2.0, 0.5)], options, dtype=dtype)


add_ln("ln/last_dim", [5], (4, 5))
add_ln("ln/two_dims", [4, 3], (2, 3, 4, 3))
add_ln("ln/whole_sample", [2, 3, 4], (2, 2, 3, 4))
add_ln("ln/1d_input", [6], (6,))
add_ln("ln/no_affine", [5], (3, 2, 5), elementwise_affine=False)
add_ln("ln/eps", [3], (4, 3), eps=0.5)
add_ln("ln/f32", [8], (4, 8), dtype=f32)

out.write()
