"""Golden values for the recurrent cells and layers (tests/nn/recurrent_golden_test.cpp):
nn.RNN (tanh, relu), nn.LSTM, nn.GRU with 2 layers, bidirectional, batch_first both ways,
initial states, packed (variable-length) batches, unbatched input; RNNCell, LSTMCell, GRUCell.

  params  = {"module": "RNN" | "LSTM" | "GRU" | "RNNCell" | "LSTMCell" | "GRUCell",
             "options": {input_size, hidden_size, num_layers, nonlinearity, bias, batch_first,
                         bidirectional},
             "inputs": names of the leading inputs ("x", "h0", "c0", "lengths"),
             "param_names": PyTorch's state_dict keys of the trailing inputs}
  inputs  = [leading inputs..., parameters in PyTorch's order]
  outputs = [cat of every result flattened (output, h_n, c_n; a cell's h, c), then each result]
  grads   = d sum(outputs[0] * grad_output) / d each floating input: every result is weighted.

A packed case runs pack_padded_sequence(x, lengths, enforce_sorted=False) and pads the output
back to T steps (zeros after each length), as the cajal layer does given lengths.

Run: /usr/bin/python3 tools/golden/nn_recurrent.py
"""
import torch
from torch import nn
from torch.nn.utils import stateless
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from golden import GoldenFile

torch.manual_seed(5)
f64 = torch.float64
f32 = torch.float32
out = GoldenFile("nn_recurrent")


def flat(results):
    return torch.cat([r.reshape(-1) for r in results])


def add_layer(name, module_name, T=4, N=2, input_size=4, hidden_size=3, num_layers=1,
              nonlinearity="tanh", bias=True, batch_first=False, bidirectional=False,
              h0=False, c0=False, lengths=None, unbatched=False, dtype=f64):
    cls = {"RNN": nn.RNN, "LSTM": nn.LSTM, "GRU": nn.GRU}[module_name]
    kwargs = dict(num_layers=num_layers, bias=bias, batch_first=batch_first,
                  bidirectional=bidirectional)
    if module_name == "RNN":
        kwargs["nonlinearity"] = nonlinearity
    module = cls(input_size, hidden_size, **kwargs).to(dtype)
    names = [n for n, _ in module.named_parameters()]
    values = [p.detach().clone() for _, p in module.named_parameters()]
    D = 2 if bidirectional else 1
    if unbatched:
        x = torch.randn(T, input_size, dtype=dtype)
        state_shape = (D * num_layers, hidden_size)
    else:
        x = torch.randn(*((N, T) if batch_first else (T, N)), input_size, dtype=dtype)
        state_shape = (D * num_layers, N, hidden_size)
    inputs, input_names = [x], ["x"]
    if h0:
        inputs.append(torch.randn(*state_shape, dtype=dtype))
        input_names.append("h0")
    if c0:
        inputs.append(torch.randn(*state_shape, dtype=dtype))
        input_names.append("c0")
    if lengths is not None:
        inputs.append(torch.tensor(lengths, dtype=torch.int64))
        input_names.append("lengths")
    lead = len(inputs)

    def run(*args):
        named = dict(zip(input_names, args[:lead]))
        state = dict(zip(names, args[lead:]))
        hx = None
        if module_name == "LSTM" and (h0 or c0):
            hx = (named["h0"], named["c0"])
        elif h0:
            hx = named["h0"]
        data = named["x"]
        if unbatched:
            # functional_call leaves torch's own unbatched path on the module's original
            # parameters (their gradients come back as None), so add the batch dim here as that
            # path does.
            data = data.unsqueeze(1)
            if isinstance(hx, tuple):
                hx = tuple(t.unsqueeze(1) for t in hx)
            elif hx is not None:
                hx = hx.unsqueeze(1)
        if lengths is not None:
            data = pack_padded_sequence(data, named["lengths"], batch_first=batch_first,
                                        enforce_sorted=False)
        # RNNBase runs on its cached _flat_weights, which functional_call does not replace: hand
        # it the case's tensors (in _flat_weights_names order, which is named_parameters order).
        assert module._flat_weights_names == names
        module._flat_weights = [state[n] for n in names]
        y, h = module(data, hx)
        if lengths is not None:
            y, _ = pad_packed_sequence(y, batch_first=batch_first, total_length=T)
        results = [y] + (list(h) if module_name == "LSTM" else [h])
        if unbatched:
            results = [r.squeeze(1) for r in results]
        return [flat(results)] + results

    options = dict(input_size=input_size, hidden_size=hidden_size, num_layers=num_layers,
                   nonlinearity=nonlinearity, bias=bias, batch_first=batch_first,
                   bidirectional=bidirectional)
    out.add(name, run, inputs + values,
            requires_grad=[t.is_floating_point() for t in inputs] + [True] * len(values),
            params={"module": module_name, "options": options, "inputs": input_names,
                    "param_names": names})


def add_cell(name, module_name, N=3, input_size=4, hidden_size=3, nonlinearity="tanh",
             bias=True, state=True, unbatched=False, dtype=f64):
    if module_name == "RNNCell":
        module = nn.RNNCell(input_size, hidden_size, bias=bias, nonlinearity=nonlinearity)
    else:
        module = getattr(nn, module_name)(input_size, hidden_size, bias=bias)
    module = module.to(dtype)
    names = [n for n, _ in module.named_parameters()]
    values = [p.detach().clone() for _, p in module.named_parameters()]
    shape = (hidden_size,) if unbatched else (N, hidden_size)
    x = torch.randn(*shape[:-1], input_size, dtype=dtype)
    inputs, input_names = [x], ["x"]
    if state:
        inputs.append(torch.randn(*shape, dtype=dtype))
        input_names.append("h0")
        if module_name == "LSTMCell":
            inputs.append(torch.randn(*shape, dtype=dtype))
            input_names.append("c0")
    lead = len(inputs)

    def run(*args):
        s = dict(zip(names, args[lead:]))
        hx = None
        if state:
            hx = tuple(args[1:lead]) if module_name == "LSTMCell" else args[1]
        r = stateless.functional_call(module, s, (args[0], hx))
        results = list(r) if module_name == "LSTMCell" else [r]
        return [flat(results)] + results

    options = dict(input_size=input_size, hidden_size=hidden_size, nonlinearity=nonlinearity,
                   bias=bias)
    out.add(name, run, inputs + values, params={"module": module_name, "options": options,
                                                 "inputs": input_names, "param_names": names})


# Layers: every kind with 2 layers, bidirectional, both layouts and initial states.
add_layer("rnn_tanh/2layer_bidirectional_h0", "RNN", num_layers=2, bidirectional=True, h0=True)
add_layer("rnn_relu/2layer_batch_first_h0", "RNN", num_layers=2, nonlinearity="relu",
          batch_first=True, h0=True)
add_layer("rnn_relu/bidirectional_no_state", "RNN", nonlinearity="relu", bidirectional=True)
add_layer("lstm/2layer_bidirectional_batch_first_state", "LSTM", num_layers=2,
          bidirectional=True, batch_first=True, h0=True, c0=True)
add_layer("lstm/2layer_no_state", "LSTM", num_layers=2)
add_layer("lstm/bidirectional_no_bias_state", "LSTM", bidirectional=True, bias=False, h0=True,
          c0=True)
add_layer("gru/2layer_bidirectional_h0", "GRU", num_layers=2, bidirectional=True, h0=True)
add_layer("gru/batch_first_no_bias", "GRU", batch_first=True, bias=False)
# Variable-length batches (lengths unsorted, one row full length).
add_layer("packed/rnn_tanh_2layer_bidirectional", "RNN", num_layers=2, bidirectional=True,
          h0=True, lengths=[2, 5, 3], N=3, T=5)
add_layer("packed/lstm_2layer_bidirectional_batch_first", "LSTM", num_layers=2,
          bidirectional=True, batch_first=True, h0=True, c0=True, lengths=[3, 1, 5], N=3, T=5)
add_layer("packed/lstm_no_state", "LSTM", lengths=[4, 5, 2], N=3, T=5)
add_layer("packed/gru_bidirectional_batch_first", "GRU", bidirectional=True, batch_first=True,
          lengths=[5, 3, 4], N=3, T=5)
add_layer("packed/gru_2layer_h0", "GRU", num_layers=2, h0=True, lengths=[1, 4, 2], N=3, T=4)
# Unbatched input.
add_layer("unbatched/lstm_2layer_bidirectional_state", "LSTM", num_layers=2, bidirectional=True,
          h0=True, c0=True, unbatched=True)
add_layer("unbatched/gru", "GRU", unbatched=True)
add_layer("unbatched/rnn_h0", "RNN", unbatched=True, h0=True)
# float32.
add_layer("f32/lstm_2layer_bidirectional", "LSTM", num_layers=2, bidirectional=True, h0=True,
          c0=True, dtype=f32)
add_layer("f32/gru", "GRU", batch_first=True, h0=True, dtype=f32)
# Cells.
add_cell("cell/rnn_tanh", "RNNCell")
add_cell("cell/rnn_relu_no_state", "RNNCell", nonlinearity="relu", state=False)
add_cell("cell/rnn_unbatched_no_bias", "RNNCell", unbatched=True, bias=False)
add_cell("cell/lstm", "LSTMCell")
add_cell("cell/lstm_no_state", "LSTMCell", state=False)
add_cell("cell/lstm_unbatched", "LSTMCell", unbatched=True)
add_cell("cell/gru", "GRUCell")
add_cell("cell/gru_no_state_no_bias", "GRUCell", state=False, bias=False)
add_cell("cell/gru_unbatched", "GRUCell", unbatched=True)
add_cell("cell/f32_lstm", "LSTMCell", dtype=f32)

out.write()
