#include "cajal/kernels/onednn_convolution.h"

#include <omp.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <dnnl.hpp>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>

#include "cajal/core/creation.h"

namespace cajal::kernels {

namespace {

using dnnl::memory;
using Tag = memory::format_tag;

dnnl::engine& engine() {
  static dnnl::engine cpu(dnnl::engine::kind::cpu, 0);
  return cpu;
}

dnnl::stream& stream() {
  thread_local dnnl::stream s(engine());
  return s;
}

enum class Pass : int64_t { forward, input_grad, weight_grad };

// The dims, strides and paddings oneDNN describes the geometry with.
struct Problem {
  memory::dims src, weights, bias, dst, strides, dilates, pad_l, pad_r;
  bool valid = true;  // false when the padded input is shorter than the kernel's extent
};

Problem describe(const Conv2dGeometry& g, int64_t batch) {
  Problem p;
  p.src = {batch, g.in_channels, g.in_h, g.in_w};
  p.dst = {batch, g.out_channels, g.out_h, g.out_w};
  p.bias = {g.out_channels};
  // Our weight [C_out, C_in / groups, KH, KW] is, in memory, oneDNN's grouped goihw.
  p.weights = g.groups == 1 ? memory::dims{g.out_channels, g.in_channels, g.kernel_h, g.kernel_w}
                            : memory::dims{g.groups, g.out_channels / g.groups,
                                           g.in_channels / g.groups, g.kernel_h, g.kernel_w};
  p.strides = {g.stride_h, g.stride_w};
  p.dilates = {g.dilation_h - 1, g.dilation_w - 1};  // oneDNN counts the gaps
  p.pad_l = {g.pad_h, g.pad_w};
  const std::array<int64_t, 2> in{g.in_h, g.in_w}, out{g.out_h, g.out_w};
  const std::array<int64_t, 2> kernel{g.kernel_h, g.kernel_w}, dilation{g.dilation_h, g.dilation_w};
  p.pad_r.resize(2);
  for (int d = 0; d < 2; ++d) {
    const int64_t extent = (kernel[d] - 1) * dilation[d] + 1;
    // The padding after that makes oneDNN's output size ours. When trailing input rows are never
    // read, zero padding often gives the same size, and more implementations take it than a
    // negative padding.
    int64_t right = (out[d] - 1) * p.strides[d] + extent - in[d] - p.pad_l[d];
    if (right < 0 && (in[d] + p.pad_l[d] - extent) / p.strides[d] + 1 == out[d]) right = 0;
    p.pad_r[d] = right;
    if (in[d] + p.pad_l[d] + right < extent) p.valid = false;
  }
  return p;
}

memory::desc plain(const memory::dims& dims) {
  Tag tag = dims.size() == 1 ? Tag::a : dims.size() == 4 ? Tag::abcd : Tag::abcde;
  return memory::desc(dims, memory::data_type::f32, tag);
}

// Activations and weights inside a primitive take the layout it prefers (channels blocked by 16 for
// the vector unit): measured against plain NCHW activations, which would save the reorders but
// push oneDNN onto its gemm-based kernels, the blocked layouts run the cnn workload faster.
memory::desc preferred(const memory::dims& dims) {
  return memory::desc(dims, memory::data_type::f32, Tag::any);
}

// One operand of a primitive: the plain layout we hold it in, the layout the primitive wants, and
// the reorder between the two when they differ.
struct Operand {
  int arg = 0;
  memory::desc user, inner;
  bool reordered = false;
  dnnl::reorder move;  // user -> inner for inputs, inner -> user for the result
};

Operand input(int arg, const memory::desc& user, const memory::desc& inner) {
  Operand o{arg, user, inner, user != inner, {}};
  if (o.reordered)
    o.move = dnnl::reorder(dnnl::reorder::primitive_desc(engine(), user, engine(), inner));
  return o;
}

Operand result(int arg, const memory::desc& user, const memory::desc& inner) {
  Operand o{arg, user, inner, user != inner, {}};
  if (o.reordered)
    o.move = dnnl::reorder(dnnl::reorder::primitive_desc(engine(), inner, engine(), user));
  return o;
}

struct Entry {
  bool ok = false;
  std::string implementation;
  dnnl::primitive conv;
  Operand a, b, out;
  int bias_arg = 0;
  memory::desc bias, scratchpad;
};

// oneDNN's working memory (Winograd's transformed tiles, per-thread partial sums) comes from our
// Scratch buffers, so it is reused across primitives and trimmed after big evaluation batches
// like the reordered operands, instead of held by oneDNN.
dnnl::primitive_attr own_scratchpad() {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return attr;
}

dnnl::convolution_forward::primitive_desc forward_pd(const Problem& p, bool bias,
                                                     dnnl::algorithm a) {
  using dnnl::algorithm, dnnl::prop_kind;
  dnnl::convolution_forward::desc d =
      bias ? dnnl::convolution_forward::desc(prop_kind::forward_training, a, preferred(p.src),
                                             preferred(p.weights), plain(p.bias), preferred(p.dst),
                                             p.strides, p.dilates, p.pad_l, p.pad_r)
           : dnnl::convolution_forward::desc(prop_kind::forward_training, a, preferred(p.src),
                                             preferred(p.weights), preferred(p.dst), p.strides,
                                             p.dilates, p.pad_l, p.pad_r);
  return dnnl::convolution_forward::primitive_desc(d, own_scratchpad(), engine());
}

Entry build(Pass pass, const Conv2dGeometry& g, int64_t batch, bool bias, dnnl::algorithm a) {
  Entry e;
  const Problem p = describe(g, batch);
  if (!p.valid) return e;
  try {
    auto fwd = forward_pd(p, bias && pass == Pass::forward, a);
    if (pass == Pass::forward) {
      e.conv = dnnl::convolution_forward(fwd);
      e.scratchpad = fwd.scratchpad_desc();
      e.implementation = fwd.impl_info_str();
      e.a = input(DNNL_ARG_SRC, plain(p.src), fwd.src_desc());
      e.b = input(DNNL_ARG_WEIGHTS, plain(p.weights), fwd.weights_desc());
      e.out = result(DNNL_ARG_DST, plain(p.dst), fwd.dst_desc());
      if (bias) e.bias_arg = DNNL_ARG_BIAS, e.bias = plain(p.bias);
    } else if (pass == Pass::input_grad) {
      dnnl::convolution_backward_data::desc d(a, preferred(p.src), preferred(p.weights),
                                              preferred(p.dst), p.strides, p.dilates, p.pad_l,
                                              p.pad_r);
      dnnl::convolution_backward_data::primitive_desc pd(d, own_scratchpad(), engine(), fwd);
      e.scratchpad = pd.scratchpad_desc();
      e.conv = dnnl::convolution_backward_data(pd);
      e.implementation = pd.impl_info_str();
      e.a = input(DNNL_ARG_DIFF_DST, plain(p.dst), pd.diff_dst_desc());
      e.b = input(DNNL_ARG_WEIGHTS, plain(p.weights), pd.weights_desc());
      e.out = result(DNNL_ARG_DIFF_SRC, plain(p.src), pd.diff_src_desc());
    } else {
      dnnl::convolution_backward_weights::desc d =
          bias ? dnnl::convolution_backward_weights::desc(a, preferred(p.src), preferred(p.weights),
                                                          plain(p.bias), preferred(p.dst),
                                                          p.strides, p.dilates, p.pad_l, p.pad_r)
               : dnnl::convolution_backward_weights::desc(a, preferred(p.src), preferred(p.weights),
                                                          preferred(p.dst), p.strides, p.dilates,
                                                          p.pad_l, p.pad_r);
      dnnl::convolution_backward_weights::primitive_desc pd(d, own_scratchpad(), engine(), fwd);
      e.scratchpad = pd.scratchpad_desc();
      e.conv = dnnl::convolution_backward_weights(pd);
      e.implementation = pd.impl_info_str();
      e.a = input(DNNL_ARG_SRC, plain(p.src), pd.src_desc());
      e.b = input(DNNL_ARG_DIFF_DST, plain(p.dst), pd.diff_dst_desc());
      e.out = result(DNNL_ARG_DIFF_WEIGHTS, plain(p.weights), pd.diff_weights_desc());
      if (bias) e.bias_arg = DNNL_ARG_DIFF_BIAS, e.bias = plain(p.bias);
    }
  } catch (const dnnl::error&) {
    return Entry{};  // unimplemented or rejected: the caller falls back to im2col + gemm
  }
  e.ok = true;
  return e;
}

// Winograd's F(4x4, 3x3) does a 3 x 3 convolution with about half the multiplications; with 16+
// channels to fill its tile gemms it ran cnn's second layer faster than the direct kernels in all
// three passes (with a few times their rounding error, see the tests). With fewer channels (cnn's
// first layer) it was several times slower.
bool winograd_suits(const Conv2dGeometry& g) {
  return g.groups == 1 && g.kernel_h == 3 && g.kernel_w == 3 && g.stride_h == 1 &&
         g.stride_w == 1 && g.dilation_h == 1 && g.dilation_w == 1 && g.in_channels >= 16 &&
         g.out_channels >= 16;
}

Entry build(Pass pass, const Conv2dGeometry& g, int64_t batch, bool bias) {
  if (winograd_suits(g)) {
    Entry e = build(pass, g, batch, bias, dnnl::algorithm::convolution_winograd);
    if (e.ok) return e;
  }
  return build(pass, g, batch, bias, dnnl::algorithm::convolution_direct);
}

using Key = std::array<int64_t, 19>;

Key key_of(Pass pass, const Conv2dGeometry& g, int64_t batch, bool bias) {
  return {static_cast<int64_t>(pass),
          batch,
          bias ? 1 : 0,
          omp_get_max_threads(),
          g.in_channels,
          g.out_channels,
          g.groups,
          g.in_h,
          g.in_w,
          g.kernel_h,
          g.kernel_w,
          g.out_h,
          g.out_w,
          g.stride_h,
          g.stride_w,
          g.pad_h,
          g.pad_w,
          g.dilation_h,
          g.dilation_w};
}

// Per thread, so that concurrent callers never share a primitive's buffers. A training loop
// uses a handful of entries; a program that keeps meeting new shapes (images of every size, one
// at a time) would grow the cache without end, so past kMaxEntries it starts over.
constexpr size_t kMaxEntries = 256;

Entry& cached(Pass pass, const Conv2dGeometry& g, int64_t batch, bool bias) {
  thread_local std::map<Key, Entry> cache;
  const Key key = key_of(pass, g, batch, bias);
  auto it = cache.find(key);
  if (it == cache.end()) {
    if (cache.size() >= kMaxEntries) cache.clear();
    it = cache.emplace(key, build(pass, g, batch, bias)).first;
  }
  return it->second;
}

// Reordered operands live in per-thread buffers that grow to the largest size seen and are reused
// by every primitive, so steady-state training allocates nothing here. Buffers past
// kKeepScratchBytes (an evaluation pass over big batches) are given back after the call rather
// than held for the rest of the process.
constexpr size_t kKeepScratchBytes = size_t{64} << 20;

struct Scratch {
  struct Free {
    void operator()(void* p) const { std::free(p); }
  };
  std::unique_ptr<void, Free> data;
  size_t bytes = 0;
  void trim() {
    if (bytes > kKeepScratchBytes) data.reset(), bytes = 0;
  }
  void* get(size_t need) {
    if (need > bytes) {
      need = (need + 63) / 64 * 64;
      data.reset();
      bytes = 0;
      data.reset(std::aligned_alloc(64, need));
      if (!data) throw std::bad_alloc();
      bytes = need;
    }
    return data.get();
  }
};

Scratch& scratch(int slot) {
  thread_local std::array<Scratch, 4> slots;  // a, b, result, oneDNN's scratchpad
  return slots[slot];
}

memory bind_input(const Operand& o, void* data, int slot) {
  memory user(o.user, engine(), data);
  if (!o.reordered) return user;
  memory inner(o.inner, engine(), scratch(slot).get(o.inner.get_size()));
  o.move.execute(stream(), {{DNNL_ARG_FROM, user}, {DNNL_ARG_TO, inner}});
  return inner;
}

void execute(const Entry& e, const Tensor& a, const Tensor& b, const Tensor& bias,
             const Tensor& out) {
  std::unordered_map<int, memory> args;
  args.emplace(e.a.arg, bind_input(e.a, a.data_ptr<float>(), 0));
  args.emplace(e.b.arg, bind_input(e.b, b.data_ptr<float>(), 1));
  memory user_out(e.out.user, engine(), out.data_ptr<float>());
  memory inner_out = e.out.reordered
                         ? memory(e.out.inner, engine(), scratch(2).get(e.out.inner.get_size()))
                         : user_out;
  args.emplace(e.out.arg, inner_out);
  if (bias.defined()) args.emplace(e.bias_arg, memory(e.bias, engine(), bias.data_ptr<float>()));
  if (e.scratchpad.get_size() > 0) {
    args.emplace(DNNL_ARG_SCRATCHPAD,
                 memory(e.scratchpad, engine(), scratch(3).get(e.scratchpad.get_size())));
  }
  e.conv.execute(stream(), args);
  if (e.out.reordered) {
    e.out.move.execute(stream(), {{DNNL_ARG_FROM, inner_out}, {DNNL_ARG_TO, user_out}});
  }
  stream().wait();
  for (int slot = 0; slot < 4; ++slot) scratch(slot).trim();
}

bool eligible(const Tensor& t) { return t.dtype() == Dtype::float32; }

}  // namespace

Tensor onednn_conv2d_forward(const Tensor& x, const Tensor& w, const Tensor& b,
                             const Conv2dGeometry& g) {
  if (!eligible(x) || !eligible(w) || (b.defined() && !eligible(b))) return Tensor();
  const int64_t batch = x.size(0);
  if (batch == 0) return Tensor();
  const Entry& e = cached(Pass::forward, g, batch, b.defined());
  if (!e.ok) return Tensor();
  Tensor y = empty(g.output_shape(batch), Dtype::float32);
  execute(e, x.contiguous(), w.contiguous(), b.defined() ? b.contiguous() : Tensor(), y);
  return y;
}

Tensor onednn_conv2d_input_grad(const Tensor& dy, const Tensor& w, const Conv2dGeometry& g) {
  if (!eligible(dy) || !eligible(w)) return Tensor();
  const int64_t batch = dy.size(0);
  if (batch == 0) return Tensor();
  const Entry& e = cached(Pass::input_grad, g, batch, false);
  if (!e.ok) return Tensor();
  Tensor dx = empty(g.input_shape(batch), Dtype::float32);
  execute(e, dy.contiguous(), w.contiguous(), Tensor(), dx);
  return dx;
}

Tensor onednn_conv2d_weight_grad(const Tensor& x, const Tensor& dy, const Conv2dGeometry& g,
                                 Tensor* bias_grad) {
  if (!eligible(x) || !eligible(dy)) return Tensor();
  const int64_t batch = x.size(0);
  if (batch == 0) return Tensor();
  const Entry& e = cached(Pass::weight_grad, g, batch, bias_grad != nullptr);
  if (!e.ok) return Tensor();
  Tensor dw = empty(g.weight_shape(), Dtype::float32);
  Tensor db = bias_grad != nullptr ? empty({g.out_channels}, Dtype::float32) : Tensor();
  execute(e, x.contiguous(), dy.contiguous(), db, dw);
  if (bias_grad != nullptr) *bias_grad = db;
  return dw;
}

std::string onednn_conv2d_implementation(const Conv2dGeometry& g, int64_t batch) {
  const Entry& e = cached(Pass::forward, g, batch, false);
  return e.ok ? e.implementation : std::string();
}

}  // namespace cajal::kernels
