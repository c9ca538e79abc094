"""Golden values for attention (tests/golden/nn_attention.json, read by
tests/nn/attention_test.cpp) and transformers (tests/golden/nn_transformer.json, read by
tests/nn/transformer_test.cpp): scaled dot-product attention written out with explicit torch ops
(torch 1.13 has no F.scaled_dot_product_attention), and torch.nn.MultiheadAttention,
TransformerEncoderLayer, TransformerDecoderLayer, TransformerEncoder and TransformerDecoder run
through functional_call with random weights under PyTorch's parameter names.

  inputs  = named by params["inputs"]: data tensors and masks first, then the module's
            parameters (PyTorch's keys, listed in params["param_names"])
  outputs = [output] or, for MultiheadAttention with need_weights, [output, weights]
  params  = {"kind", options..., "inputs", "param_names"}; booleans as 0/1

Masks are inputs that need no gradient. Modules stay in training mode with dropout 0, which keeps
PyTorch 1.13 off its fused inference fast path.

Run: /usr/bin/python3 tools/golden/nn_attention.py
"""
import math

import torch
from torch import nn
from torch.nn.utils import stateless

from golden import GoldenFile

torch.manual_seed(11)
f64 = torch.float64
f32 = torch.float32
out = GoldenFile("nn_attention")
out_transformer = GoldenFile("nn_transformer")


def randn(*shape, dtype=f64, scale=1.0):
    return (torch.randn(shape, dtype=f64) * scale).to(dtype)


# ---------------------------------------------------------------------------------------------
# Scaled dot-product attention, torch 2.x semantics: bool mask true = allowed, float mask added.

def sdpa(q, k, v, mask=None, is_causal=False, scale=None):
    s = 1.0 / math.sqrt(q.shape[-1]) if scale is None else scale
    scores = (q * s) @ k.transpose(-2, -1)
    L, S = q.shape[-2], k.shape[-2]
    if is_causal:
        allowed = torch.ones(L, S, dtype=torch.bool).tril()
        scores = scores.masked_fill(~allowed, float("-inf"))
    if mask is not None:
        if mask.dtype == torch.bool:
            scores = scores.masked_fill(~mask, float("-inf"))
        else:
            scores = scores + mask
    w = torch.softmax(scores, dim=-1)
    return w @ v, w


def add_sdpa(name, shape_q, shape_k, ev, mask=None, is_causal=False, scale=None, dtype=f64):
    q = randn(*shape_q, dtype=dtype)
    k = randn(*shape_k, dtype=dtype)
    v = randn(*(list(shape_k[:-1]) + [ev]), dtype=dtype)
    inputs = [q, k, v] + ([mask] if mask is not None else [])
    names = ["query", "key", "value"] + (["attn_mask"] if mask is not None else [])
    params = {"kind": "sdpa", "inputs": names, "is_causal": int(is_causal),
              "has_scale": int(scale is not None), "scale": scale or 0.0}

    def fn(q, k, v, *m):
        return sdpa(q, k, v, m[0] if m else None, is_causal, scale)

    out.add(name, fn, inputs, params=params)


L, S, E = 4, 5, 6
bool_mask = torch.rand(L, S) > 0.3
bool_mask[:, 0] = True  # every query keeps a key
add_sdpa("sdpa_plain_f64", [2, L, E], [2, S, E], 3)
add_sdpa("sdpa_batch_dims_scale_f64", [2, 2, L, E], [2, 1, S, E], 2, scale=0.7)
add_sdpa("sdpa_bool_mask_f64", [2, L, E], [2, S, E], 3, mask=bool_mask)
add_sdpa("sdpa_float_mask_f64", [2, L, E], [2, S, E], 3, mask=randn(2, L, S))
add_sdpa("sdpa_causal_f64", [2, S, E], [2, S, E], 3, is_causal=True)
add_sdpa("sdpa_causal_rect_f64", [1, L, E], [1, S, E], 2, is_causal=True)
add_sdpa("sdpa_bool_mask_f32", [2, L, E], [2, S, E], 3, mask=bool_mask, dtype=f32)


# ---------------------------------------------------------------------------------------------
# Modules


def random_state(module, dtype):
    return {n: randn(*t.shape, dtype=dtype, scale=0.4) for n, t in module.named_parameters()}


def flags(options):
    return {k: (int(v) if isinstance(v, bool) else v) for k, v in options.items()}


def add_module(name, kind, module, options, data, call, dtype=f64, golden=None):
    """data: list of (name, tensor) fed before the parameters; call(module, data dict) -> output
    or tuple of outputs."""
    module = module.to(dtype)
    module.train()
    state = random_state(module, dtype)
    param_names = list(state.keys())
    data_names = [n for n, _ in data]
    inputs = [t for _, t in data] + [state[n] for n in param_names]
    requires_grad = [t.is_floating_point() and not n.endswith("mask") for n, t in data] + \
        [True] * len(param_names)
    params = dict(flags(options))
    params.update({"kind": kind, "inputs": data_names + param_names, "param_names": param_names})

    def fn(*xs):
        values = dict(zip(data_names, xs[:len(data)]))
        weights = dict(zip(param_names, xs[len(data):]))
        return stateless.functional_call(module, weights, (values,), {"call": call})

    (golden or out).add(name, fn, inputs, requires_grad=requires_grad, params=params)


def strip_prefix(file):
    """Parameter names lose the Runner wrapper's "inner." prefix."""
    params = file.cases[-1]["params"]
    for key in ("inputs", "param_names"):
        params[key] = [n[len("inner."):] if n.startswith("inner.") else n for n in params[key]]


class Runner(nn.Module):
    """Wraps a module so functional_call can pass a dict of data and a calling convention."""

    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, values, call):
        return call(self.inner, values)


def mha_case(name, options, data, args, dtype=f64):
    module = Runner(nn.MultiheadAttention(dropout=0.0, **options))
    masks = {n: t for n, t in data if n.endswith("mask")}

    def call(m, values):
        if "x" in values:
            q = k = v = values["x"]
        elif "memory" in values:
            q, k, v = values["query"], values["memory"], values["memory"]
        else:
            q, k, v = values["query"], values["key"], values["value"]
        result = m(q, k, v, key_padding_mask=values.get("key_padding_mask"),
                   attn_mask=values.get("attn_mask"), **args)
        return result if args.get("need_weights", True) else result[0]

    opts = dict(options)
    opts.update(args)
    add_module(name, "mha", module, opts, data, call, dtype)
    strip_prefix(out)


N, L, S, E, H = 2, 4, 5, 8, 2
padding = torch.zeros(N, S, dtype=torch.bool)
padding[0, 3:] = True
padding[1, 4] = True
self_padding = padding[:, :L]
causal_bool = torch.ones(L, L, dtype=torch.bool).triu(1)
mha_case("mha_self_packed_f64", {"embed_dim": E, "num_heads": H},
         [("x", randn(L, N, E))], {})
mha_case("mha_self_batch_first_masks_f64", {"embed_dim": E, "num_heads": H, "batch_first": True},
         [("x", randn(N, L, E)), ("key_padding_mask", self_padding),
          ("attn_mask", causal_bool)], {"average_attn_weights": False})
mha_case("mha_cross_float_mask3d_f64", {"embed_dim": E, "num_heads": H},
         [("query", randn(L, N, E)), ("key", randn(S, N, E)), ("value", randn(S, N, E)),
          ("attn_mask", randn(N * H, L, S))], {})
mha_case("mha_memory_float_padding_f64", {"embed_dim": E, "num_heads": H, "batch_first": True},
         [("query", randn(N, L, E)), ("memory", randn(N, S, E)),
          ("key_padding_mask", padding), ("attn_mask", randn(L, S))], {})
mha_case("mha_kdim_vdim_f64", {"embed_dim": E, "num_heads": H, "kdim": 3, "vdim": 5},
         [("query", randn(L, N, E)), ("key", randn(S, N, 3)), ("value", randn(S, N, 5)),
          ("key_padding_mask", padding)], {})
mha_case("mha_bias_kv_zero_attn_f64",
         {"embed_dim": E, "num_heads": H, "add_bias_kv": True, "add_zero_attn": True},
         [("query", randn(L, N, E)), ("key", randn(S, N, E)), ("value", randn(S, N, E)),
          ("key_padding_mask", padding), ("attn_mask", torch.rand(L, S) > 0.7)], {})
mha_case("mha_no_bias_unbatched_f64", {"embed_dim": E, "num_heads": 4, "bias": False},
         [("query", randn(L, E)), ("key", randn(S, E)), ("value", randn(S, E))], {})
mha_case("mha_no_weights_f64", {"embed_dim": E, "num_heads": H},
         [("x", randn(L, N, E)), ("key_padding_mask", self_padding)], {"need_weights": False})
mha_case("mha_self_masks_f32", {"embed_dim": E, "num_heads": H},
         [("x", randn(L, N, E, dtype=f32)), ("key_padding_mask", self_padding),
          ("attn_mask", causal_bool)], {}, dtype=f32)

# Transformers: a smaller model keeps tests/golden/nn_transformer.json small.
golden = out_transformer
E, FF = 4, 8
padding = torch.zeros(N, S, dtype=torch.bool)
padding[0, 3:] = True
padding[1, 4] = True
self_padding = padding[:, :L]


def encoder_layer_case(name, options, data, dtype=f64):
    module = nn.TransformerEncoderLayer(dropout=0.0, **options)

    def call(m, values):
        return m(values["src"], src_mask=values.get("mask"),
                 src_key_padding_mask=values.get("src_key_padding_mask"))

    add_module(name, "encoder_layer", Runner(module), options, data, call, dtype, golden)
    strip_prefix(golden)




base = {"d_model": E, "nhead": H, "dim_feedforward": FF}
encoder_layer_case("encoder_layer_post_relu_f64", dict(base),
                   [("src", randn(L, N, E)), ("mask", causal_bool),
                    ("src_key_padding_mask", self_padding)])
encoder_layer_case("encoder_layer_pre_gelu_batch_first_f64",
                   dict(base, activation="gelu", norm_first=True, batch_first=True),
                   [("src", randn(N, L, E)), ("src_key_padding_mask", self_padding)])
encoder_layer_case("encoder_layer_post_relu_f32", dict(base),
                   [("src", randn(L, N, E, dtype=f32)), ("mask", causal_bool)], dtype=f32)


def encoder_case(name, options, num_layers, final_norm, data):
    layer = nn.TransformerEncoderLayer(dropout=0.0, **options)
    norm = nn.LayerNorm(E) if final_norm else None
    module = nn.TransformerEncoder(layer, num_layers, norm=norm, enable_nested_tensor=False)

    def call(m, values):
        return m(values["src"], mask=values.get("mask"),
                 src_key_padding_mask=values.get("src_key_padding_mask"))

    opts = dict(options, num_layers=num_layers, final_norm=final_norm)
    add_module(name, "encoder", Runner(module), opts, data, call, golden=golden)
    strip_prefix(golden)


encoder_case("encoder_pre_norm_final_norm_f64", dict(base, norm_first=True), 2, True,
             [("src", randn(L, N, E)), ("mask", causal_bool),
              ("src_key_padding_mask", self_padding)])


def decoder_layer_case(name, options, data, stack=0, final_norm=False, dtype=f64):
    layer = nn.TransformerDecoderLayer(dropout=0.0, **options)
    if stack:
        module = nn.TransformerDecoder(layer, stack, norm=nn.LayerNorm(E) if final_norm else None)
        kind = "decoder"
        options = dict(options, num_layers=stack, final_norm=final_norm)
    else:
        module = layer
        kind = "decoder_layer"

    def call(m, values):
        return m(values["tgt"], values["memory"], tgt_mask=values.get("tgt_mask"),
                 memory_mask=values.get("memory_mask"),
                 tgt_key_padding_mask=values.get("tgt_key_padding_mask"),
                 memory_key_padding_mask=values.get("memory_key_padding_mask"))

    add_module(name, kind, Runner(module), options, data, call, dtype, golden)
    strip_prefix(golden)


decoder_layer_case("decoder_layer_post_relu_f64", dict(base),
                   [("tgt", randn(L, N, E)), ("memory", randn(S, N, E)),
                    ("tgt_mask", causal_bool), ("memory_key_padding_mask", padding)])
decoder_layer_case("decoder_layer_pre_gelu_batch_first_f64",
                   dict(base, activation="gelu", norm_first=True, batch_first=True),
                   [("tgt", randn(N, L, E)), ("memory", randn(N, S, E)),
                    ("tgt_key_padding_mask", self_padding), ("memory_mask", randn(L, S))])
decoder_layer_case("decoder_layer_post_relu_f32", dict(base),
                   [("tgt", randn(L, N, E, dtype=f32)), ("memory", randn(S, N, E, dtype=f32)),
                    ("tgt_mask", causal_bool)], dtype=f32)
decoder_layer_case("decoder_stack_final_norm_f64", dict(base), [
    ("tgt", randn(L, N, E)), ("memory", randn(S, N, E)), ("tgt_mask", causal_bool)],
    stack=2, final_norm=True)

out.write()
out_transformer.write()
