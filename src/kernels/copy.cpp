#include <cstring>

#include "cajal/kernels/elementwise.h"

namespace cajal::kernels {

namespace {
template <typename To, typename From>
To convert_element(From v) {
  if constexpr (std::is_same_v<To, bool>)
    return v != From(0);
  else
    return static_cast<To>(v);
}
}  // namespace

void copy(const Tensor& source, const Tensor& dest) {
  if (source.dtype() == dest.dtype() && source.is_contiguous() && dest.is_contiguous() &&
      source.shape() == dest.shape()) {
    std::memcpy(dest.raw_data(), source.raw_data(), dest.numel() * dest.element_size());
    return;
  }
  dispatch(dest.dtype(), [&]<typename To>() {
    dispatch(source.dtype(), [&]<typename From>() {
      To* d = dest.data_ptr<To>();
      const From* s = source.data_ptr<From>();
      std::array<int64_t, detail::kStackRank> buffer;
      Shape fallback;
      const int64_t* ss = detail::read_strides(source, dest.shape(), buffer, fallback);
      for_each_row<2>(
          dest.dim(), dest.shape().data(), {dest.strides().data(), ss},
          [&](const std::array<int64_t, 2>& at, const std::array<int64_t, 2>& step, int64_t n) {
            for (int64_t j = 0; j < n; ++j) {
              d[at[0] + j * step[0]] = convert_element<To>(s[at[1] + j * step[1]]);
            }
          });
    });
  });
}

Tensor convert(const Tensor& x, Dtype dtype) {
  if (x.dtype() == dtype && x.is_contiguous()) return x;
  Tensor out = empty(x.shape(), dtype);
  copy(x, out);
  return out;
}

}  // namespace cajal::kernels
