#include "cajal/train/plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "cajal/core/creation.h"
#include "cajal/core/error.h"
#include "cajal/core/shape.h"

namespace cajal::train::plot {
namespace {

// The glyph table, designed for this module: 7 rows of 5 pixels, bit 4 leftmost.
struct GlyphEntry {
  char character;
  Glyph rows;
};

constexpr GlyphEntry kGlyphs[] = {
    {' ', {0b00000, 0b00000, 0b00000, 0b00000, 0b00000, 0b00000, 0b00000}},
    {'0', {0b01110, 0b10001, 0b10011, 0b10101, 0b11001, 0b10001, 0b01110}},
    {'1', {0b00100, 0b01100, 0b00100, 0b00100, 0b00100, 0b00100, 0b01110}},
    {'2', {0b01110, 0b10001, 0b00001, 0b00010, 0b00100, 0b01000, 0b11111}},
    {'3', {0b11111, 0b00010, 0b00100, 0b00010, 0b00001, 0b10001, 0b01110}},
    {'4', {0b00010, 0b00110, 0b01010, 0b10010, 0b11111, 0b00010, 0b00010}},
    {'5', {0b11111, 0b10000, 0b11110, 0b00001, 0b00001, 0b10001, 0b01110}},
    {'6', {0b00110, 0b01000, 0b10000, 0b11110, 0b10001, 0b10001, 0b01110}},
    {'7', {0b11111, 0b00001, 0b00010, 0b00100, 0b01000, 0b01000, 0b01000}},
    {'8', {0b01110, 0b10001, 0b10001, 0b01110, 0b10001, 0b10001, 0b01110}},
    {'9', {0b01110, 0b10001, 0b10001, 0b01111, 0b00001, 0b00010, 0b01100}},
    {'A', {0b01110, 0b10001, 0b10001, 0b11111, 0b10001, 0b10001, 0b10001}},
    {'B', {0b11110, 0b10001, 0b10001, 0b11110, 0b10001, 0b10001, 0b11110}},
    {'C', {0b01110, 0b10001, 0b10000, 0b10000, 0b10000, 0b10001, 0b01110}},
    {'D', {0b11100, 0b10010, 0b10001, 0b10001, 0b10001, 0b10010, 0b11100}},
    {'E', {0b11111, 0b10000, 0b10000, 0b11110, 0b10000, 0b10000, 0b11111}},
    {'F', {0b11111, 0b10000, 0b10000, 0b11110, 0b10000, 0b10000, 0b10000}},
    {'G', {0b01110, 0b10001, 0b10000, 0b10111, 0b10001, 0b10001, 0b01111}},
    {'H', {0b10001, 0b10001, 0b10001, 0b11111, 0b10001, 0b10001, 0b10001}},
    {'I', {0b01110, 0b00100, 0b00100, 0b00100, 0b00100, 0b00100, 0b01110}},
    {'J', {0b00111, 0b00010, 0b00010, 0b00010, 0b00010, 0b10010, 0b01100}},
    {'K', {0b10001, 0b10010, 0b10100, 0b11000, 0b10100, 0b10010, 0b10001}},
    {'L', {0b10000, 0b10000, 0b10000, 0b10000, 0b10000, 0b10000, 0b11111}},
    {'M', {0b10001, 0b11011, 0b10101, 0b10101, 0b10001, 0b10001, 0b10001}},
    {'N', {0b10001, 0b10001, 0b11001, 0b10101, 0b10011, 0b10001, 0b10001}},
    {'O', {0b01110, 0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b01110}},
    {'P', {0b11110, 0b10001, 0b10001, 0b11110, 0b10000, 0b10000, 0b10000}},
    {'Q', {0b01110, 0b10001, 0b10001, 0b10001, 0b10101, 0b10010, 0b01101}},
    {'R', {0b11110, 0b10001, 0b10001, 0b11110, 0b10100, 0b10010, 0b10001}},
    {'S', {0b01111, 0b10000, 0b10000, 0b01110, 0b00001, 0b00001, 0b11110}},
    {'T', {0b11111, 0b00100, 0b00100, 0b00100, 0b00100, 0b00100, 0b00100}},
    {'U', {0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b01110}},
    {'V', {0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b01010, 0b00100}},
    {'W', {0b10001, 0b10001, 0b10001, 0b10101, 0b10101, 0b10101, 0b01010}},
    {'X', {0b10001, 0b10001, 0b01010, 0b00100, 0b01010, 0b10001, 0b10001}},
    {'Y', {0b10001, 0b10001, 0b10001, 0b01010, 0b00100, 0b00100, 0b00100}},
    {'Z', {0b11111, 0b00001, 0b00010, 0b00100, 0b01000, 0b10000, 0b11111}},
    {'.', {0b00000, 0b00000, 0b00000, 0b00000, 0b00000, 0b01100, 0b01100}},
    {'-', {0b00000, 0b00000, 0b00000, 0b11111, 0b00000, 0b00000, 0b00000}},
    {':', {0b00000, 0b01100, 0b01100, 0b00000, 0b01100, 0b01100, 0b00000}},
    {'%', {0b11000, 0b11001, 0b00010, 0b00100, 0b01000, 0b10011, 0b00011}},
    {'/', {0b00000, 0b00001, 0b00010, 0b00100, 0b01000, 0b10000, 0b00000}},
    {'(', {0b00010, 0b00100, 0b01000, 0b01000, 0b01000, 0b00100, 0b00010}},
    {')', {0b01000, 0b00100, 0b00010, 0b00010, 0b00010, 0b00100, 0b01000}},
    {'_', {0b00000, 0b00000, 0b00000, 0b00000, 0b00000, 0b00000, 0b11111}},
    {'?', {0b01110, 0b10001, 0b00001, 0b00010, 0b00100, 0b00000, 0b00100}},
    {'+', {0b00000, 0b00100, 0b00100, 0b11111, 0b00100, 0b00100, 0b00000}},
    {'=', {0b00000, 0b00000, 0b11111, 0b00000, 0b11111, 0b00000, 0b00000}},
    {',', {0b00000, 0b00000, 0b00000, 0b00000, 0b01100, 0b00100, 0b01000}},
    {'\'', {0b00100, 0b00100, 0b01000, 0b00000, 0b00000, 0b00000, 0b00000}},
    {'[', {0b01110, 0b01000, 0b01000, 0b01000, 0b01000, 0b01000, 0b01110}},
    {']', {0b01110, 0b00010, 0b00010, 0b00010, 0b00010, 0b00010, 0b01110}},
    {'<', {0b00010, 0b00100, 0b01000, 0b10000, 0b01000, 0b00100, 0b00010}},
    {'>', {0b01000, 0b00100, 0b00010, 0b00001, 0b00010, 0b00100, 0b01000}},
    {'#', {0b01010, 0b01010, 0b11111, 0b01010, 0b11111, 0b01010, 0b01010}},
    {'*', {0b00000, 0b00100, 0b10101, 0b01110, 0b10101, 0b00100, 0b00000}},
    {'!', {0b00100, 0b00100, 0b00100, 0b00100, 0b00100, 0b00000, 0b00100}},
    {'&', {0b01100, 0b10010, 0b10100, 0b01000, 0b10101, 0b10010, 0b01101}},
};

const Glyph* find_glyph(char c) {
  for (const GlyphEntry& entry : kGlyphs) {
    if (entry.character == c) return &entry.rows;
  }
  return nullptr;
}

// Truncates `text` to at most `characters` characters, marking the cut with a trailing '.'.
std::string fit_text(const std::string& text, int64_t characters) {
  if (characters <= 0) return "";
  if (int64_t(text.size()) <= characters) return text;
  if (characters == 1) return text.substr(0, 1);
  return text.substr(0, size_t(characters - 1)) + ".";
}

// A 1-2-5 step giving about `target` intervals over `range`.
double nice_step(double range, int64_t target) {
  if (!(range > 0) || !std::isfinite(range)) return 1;
  double raw = range / double(target);
  double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  double fraction = raw / magnitude;
  double nice = fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10;
  return nice * magnitude;
}

// A tick label with as many decimals as the step needs (and no "-0").
std::string tick_label(double value, double step) {
  if (std::abs(value) < step * 1e-9) value = 0;
  char buffer[64];
  double largest = std::max(std::abs(value), step);
  if (largest >= 1e6 || step < 1e-5) {
    std::snprintf(buffer, sizeof buffer, "%.3g", value);
  } else {
    int decimals = std::max(0, int(-std::floor(std::log10(step) + 1e-9)));
    std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  }
  return buffer;
}

Color mix(Color from, Color to, double t) {
  t = std::clamp(t, 0.0, 1.0);
  auto channel = [t](uint8_t a, uint8_t b) {
    return uint8_t(std::lround(double(a) + (double(b) - double(a)) * t));
  };
  return {channel(from.r, to.r), channel(from.g, to.g), channel(from.b, to.b)};
}

// Draws channels x height x width values (planar, [0, 1]) at (x, y) enlarged `scale` times.
void draw_planar(Canvas& canvas, int64_t x, int64_t y, const double* values, int64_t channels,
                 int64_t height, int64_t width, int64_t scale) {
  auto byte = [](double value) {
    value = std::isnan(value) ? 0.0 : std::clamp(value, 0.0, 1.0);
    return uint8_t(std::lround(value * 255.0));
  };
  int64_t plane = height * width;
  for (int64_t row = 0; row < height; ++row) {
    for (int64_t column = 0; column < width; ++column) {
      int64_t offset = row * width + column;
      Color color;
      if (channels == 1) {
        uint8_t gray = byte(values[offset]);
        color = {gray, gray, gray};
      } else {
        color = {byte(values[offset]), byte(values[plane + offset]),
                 byte(values[2 * plane + offset])};
      }
      canvas.fill_rect(x + column * scale, y + row * scale, scale, scale, color);
    }
  }
}

std::vector<double> image_values(const Tensor& image) {
  std::vector<double> values = to_vector<double>(image);
  if (image.dtype() == Dtype::uint8) {
    for (double& value : values) value /= 255.0;
  }
  return values;
}

std::string class_label(int64_t index, const std::vector<std::string>& class_names) {
  if (index >= 0 && index < int64_t(class_names.size())) return class_names[size_t(index)];
  return std::to_string(index);
}

}  // namespace

const std::string& font_characters() {
  static const std::string characters = [] {
    std::string all;
    for (const GlyphEntry& entry : kGlyphs) all += entry.character;
    return all;
  }();
  return characters;
}

const Glyph& glyph(char c) {
  if (c >= 'a' && c <= 'z') c = char(c - 'a' + 'A');
  if (const Glyph* found = find_glyph(c)) return *found;
  return *find_glyph('?');
}

int64_t text_width(const std::string& text, int64_t scale) {
  if (text.empty()) return 0;
  return (int64_t(text.size()) * kGlyphAdvance - 1) * scale;
}

Canvas::Canvas(int64_t width, int64_t height, Color background) : width_(width), height_(height) {
  if (width < 1 || height < 1 || width > 16384 || height > 16384) {
    throw ValueError("Canvas: width and height must be in [1, 16384], got " +
                     std::to_string(width) + " x " + std::to_string(height));
  }
  reset_clip();
  pixels_.resize(size_t(width * height * 3));
  for (size_t i = 0; i < pixels_.size(); i += 3) {
    pixels_[i] = background.r;
    pixels_[i + 1] = background.g;
    pixels_[i + 2] = background.b;
  }
}

Color Canvas::pixel(int64_t x, int64_t y) const {
  if (x < 0 || x >= width_ || y < 0 || y >= height_) {
    throw IndexError("Canvas::pixel: (" + std::to_string(x) + ", " + std::to_string(y) +
                     ") is outside the " + std::to_string(width_) + " x " +
                     std::to_string(height_) + " canvas");
  }
  size_t i = size_t((y * width_ + x) * 3);
  return {pixels_[i], pixels_[i + 1], pixels_[i + 2]};
}

void Canvas::set_clip(int64_t x, int64_t y, int64_t width, int64_t height) {
  clip_left_ = std::clamp<int64_t>(x, 0, width_);
  clip_top_ = std::clamp<int64_t>(y, 0, height_);
  clip_right_ = std::clamp<int64_t>(x + width, clip_left_, width_);
  clip_bottom_ = std::clamp<int64_t>(y + height, clip_top_, height_);
}

void Canvas::reset_clip() { set_clip(0, 0, width_, height_); }

void Canvas::set_pixel(int64_t x, int64_t y, Color color) {
  if (x < clip_left_ || x >= clip_right_ || y < clip_top_ || y >= clip_bottom_) return;
  size_t i = size_t((y * width_ + x) * 3);
  pixels_[i] = color.r;
  pixels_[i + 1] = color.g;
  pixels_[i + 2] = color.b;
}

void Canvas::fill_rect(int64_t x, int64_t y, int64_t width, int64_t height, Color color) {
  int64_t x0 = std::max(x, clip_left_), x1 = std::min(x + width, clip_right_);
  int64_t y0 = std::max(y, clip_top_), y1 = std::min(y + height, clip_bottom_);
  for (int64_t row = y0; row < y1; ++row) {
    for (int64_t column = x0; column < x1; ++column) set_pixel(column, row, color);
  }
}

void Canvas::draw_rect(int64_t x, int64_t y, int64_t width, int64_t height, Color color,
                       int64_t thickness) {
  thickness = std::max<int64_t>(1, std::min({thickness, width, height}));
  fill_rect(x, y, width, thickness, color);
  fill_rect(x, y + height - thickness, width, thickness, color);
  fill_rect(x, y, thickness, height, color);
  fill_rect(x + width - thickness, y, thickness, height, color);
}

void Canvas::draw_line(int64_t x0, int64_t y0, int64_t x1, int64_t y1, Color color,
                       int64_t thickness) {
  thickness = std::max<int64_t>(1, thickness);
  int64_t offset = (thickness - 1) / 2;
  int64_t dx = std::abs(x1 - x0), dy = -std::abs(y1 - y0);
  int64_t step_x = x0 < x1 ? 1 : -1, step_y = y0 < y1 ? 1 : -1;
  int64_t error = dx + dy;
  // Bresenham's integer algorithm (Bresenham, 1965), all octants.
  while (true) {
    fill_rect(x0 - offset, y0 - offset, thickness, thickness, color);
    if (x0 == x1 && y0 == y1) break;
    int64_t twice = 2 * error;
    if (twice >= dy) {
      error += dy;
      x0 += step_x;
    }
    if (twice <= dx) {
      error += dx;
      y0 += step_y;
    }
  }
}

void Canvas::draw_text(int64_t x, int64_t y, const std::string& text, Color color, int64_t scale) {
  scale = std::max<int64_t>(1, scale);
  for (size_t i = 0; i < text.size(); ++i) {
    const Glyph& rows = glyph(text[i]);
    int64_t left = x + int64_t(i) * kGlyphAdvance * scale;
    for (int64_t row = 0; row < kGlyphHeight; ++row) {
      for (int64_t column = 0; column < kGlyphWidth; ++column) {
        if (rows[size_t(row)] & (1u << (kGlyphWidth - 1 - column))) {
          fill_rect(left + column * scale, y + row * scale, scale, scale, color);
        }
      }
    }
  }
}

void Canvas::draw_image(int64_t x, int64_t y, const Tensor& image, int64_t scale) {
  if (!image.defined() || image.dim() != 3 || !(image.size(0) == 1 || image.size(0) == 3)) {
    throw ValueError("Canvas::draw_image: image must be [C, H, W] with C = 1 or 3, got " +
                     (image.defined() ? shape_string(image.shape()) : std::string("undefined")));
  }
  std::vector<double> values = image_values(image);
  draw_planar(*this, x, y, values.data(), image.size(0), image.size(1), image.size(2),
              std::max<int64_t>(1, scale));
}

Tensor Canvas::to_tensor() const {
  std::vector<uint8_t> planar(pixels_.size());
  int64_t plane = width_ * height_;
  for (int64_t p = 0; p < plane; ++p) {
    for (int64_t c = 0; c < 3; ++c) planar[size_t(c * plane + p)] = pixels_[size_t(p * 3 + c)];
  }
  return from_vector(planar, Shape{3, height_, width_});
}

int64_t ChartFrame::column_of(double x) const {
  double t = x_max > x_min ? (x - x_min) / (x_max - x_min) : 0.5;
  // Far-off values stay a bounded distance outside the frame, so lines to them end quickly.
  t = std::isnan(t) ? 0.5 : std::clamp(t, -1.0, 2.0);
  return left + int64_t(std::lround(t * double(right - left)));
}

int64_t ChartFrame::row_of(double y) const {
  double t = y_max > y_min ? (y - y_min) / (y_max - y_min) : 0.5;
  t = std::isnan(t) ? 0.5 : std::clamp(t, -1.0, 2.0);
  return bottom - int64_t(std::lround(t * double(bottom - top)));
}

Chart line_chart(const std::vector<Series>& series, const ChartOptions& options) {
  if (options.width < 160 || options.height < 120) {
    throw ValueError("line_chart: size must be at least 160 x 120, got " +
                     std::to_string(options.width) + " x " + std::to_string(options.height));
  }
  double x_low = std::numeric_limits<double>::infinity(), x_high = -x_low;
  double y_low = x_low, y_high = -x_low;
  for (const Series& curve : series) {
    if (curve.x.size() != curve.y.size()) {
      throw ValueError("line_chart: series '" + curve.name + "' has " +
                       std::to_string(curve.x.size()) + " x values and " +
                       std::to_string(curve.y.size()) + " y values");
    }
    for (size_t i = 0; i < curve.x.size(); ++i) {
      if (!std::isfinite(curve.x[i]) || !std::isfinite(curve.y[i])) continue;
      x_low = std::min(x_low, curve.x[i]);
      x_high = std::max(x_high, curve.x[i]);
      y_low = std::min(y_low, curve.y[i]);
      y_high = std::max(y_high, curve.y[i]);
    }
  }
  bool any_finite = y_low <= y_high;
  if (!any_finite) x_low = 0, x_high = 1;
  if (x_low == x_high) {
    x_low -= 1;
    x_high += 1;
  } else {
    double pad = 0.03 * (x_high - x_low);
    x_low -= pad;
    x_high += pad;
  }
  if (!any_finite) {
    y_low = 0;
    y_high = 1;
  } else if (y_low == y_high) {
    double pad = std::max(std::abs(y_low) * 0.1, 0.05);
    y_low -= pad;
    y_high += pad;
  } else {
    double pad = 0.05 * (y_high - y_low);
    y_low -= pad;
    y_high += pad;
  }

  // A span beyond the largest double (values near +-1e308) is drawn on a symmetric finite range.
  if (!std::isfinite(y_high - y_low)) {
    y_low = -std::numeric_limits<double>::max() / 2;
    y_high = std::numeric_limits<double>::max() / 2;
  }
  double y_step = nice_step(y_high - y_low, 6);
  std::vector<double> y_ticks;
  for (double tick = std::ceil(y_low / y_step) * y_step; tick <= y_high + y_step * 1e-9;
       tick += y_step) {
    y_ticks.push_back(tick);
    if (y_ticks.size() > 50) break;
  }
  // As many x ticks (up to 8 intervals) as fit without their labels touching.
  double x_step = 1;
  std::vector<double> x_ticks;
  auto x_label = [&](double tick) {
    return options.integer_x ? std::to_string(int64_t(std::llround(tick)))
                             : tick_label(tick, x_step);
  };
  for (int64_t target = 8; target >= 1; --target) {
    x_step = nice_step(x_high - x_low, target);
    if (options.integer_x) x_step = std::max(1.0, std::ceil(x_step));
    x_ticks.clear();
    int64_t widest = 0;
    for (double tick = std::ceil(x_low / x_step) * x_step; tick <= x_high; tick += x_step) {
      x_ticks.push_back(tick);
      widest = std::max(widest, text_width(x_label(tick)));
      if (x_ticks.size() > 50) break;
    }
    int64_t plot_width = options.width - 16 - 60;
    if (int64_t(x_ticks.size()) * (widest + 12) <= plot_width) break;
  }

  int64_t label_width = 0;
  for (double tick : y_ticks)
    label_width = std::max(label_width, text_width(tick_label(tick, y_step)));
  ChartFrame frame;
  frame.left = label_width + 14;
  frame.right = options.width - 16;
  frame.top = options.title.empty() ? 22 : 40;
  frame.bottom = options.height - 36;
  frame.x_min = x_low;
  frame.x_max = x_high;
  frame.y_min = y_low;
  frame.y_max = y_high;

  Chart chart{Canvas(options.width, options.height), frame};
  Canvas& canvas = chart.canvas;
  if (!options.title.empty()) {
    canvas.draw_text((options.width - text_width(options.title, 2)) / 2, 10, options.title, kBlack,
                     2);
  }
  if (!options.y_label.empty()) {
    canvas.draw_text(std::max<int64_t>(2, frame.left - text_width(options.y_label) / 2),
                     frame.top - 12, options.y_label, kBlack);
  }
  if (!options.x_label.empty()) {
    canvas.draw_text((frame.left + frame.right - text_width(options.x_label)) / 2,
                     options.height - 12, options.x_label, kBlack);
  }
  // Grid and ticks.
  for (double tick : y_ticks) {
    int64_t row = frame.row_of(tick);
    canvas.draw_line(frame.left + 1, row, frame.right, row, kLightGray);
    canvas.draw_line(frame.left - 5, row, frame.left, row, kBlack);
    std::string label = tick_label(tick, y_step);
    canvas.draw_text(frame.left - 8 - text_width(label), row - 3, label, kBlack);
  }
  for (double tick : x_ticks) {
    int64_t column = frame.column_of(tick);
    canvas.draw_line(column, frame.top, column, frame.bottom - 1, kLightGray);
    canvas.draw_line(column, frame.bottom, column, frame.bottom + 5, kBlack);
    std::string label = x_label(tick);
    canvas.draw_text(column - text_width(label) / 2, frame.bottom + 9, label, kBlack);
  }
  canvas.draw_line(frame.left, frame.top, frame.left, frame.bottom, kBlack);
  canvas.draw_line(frame.left, frame.bottom, frame.right, frame.bottom, kBlack);

  // Curves: segments between consecutive finite points; dots for points standing alone. They
  // stay inside the plot area (with room for the pen and the markers).
  canvas.set_clip(frame.left + 1, frame.top - 3, frame.right - frame.left + 4,
                  frame.bottom - frame.top + 3);
  for (const Series& curve : series) {
    size_t count = curve.y.size();
    auto finite = [&](size_t i) {
      return i < count && std::isfinite(curve.x[i]) && std::isfinite(curve.y[i]);
    };
    for (size_t i = 0; i < count; ++i) {
      if (!finite(i)) continue;
      int64_t column = frame.column_of(curve.x[i]), row = frame.row_of(curve.y[i]);
      if (i > 0 && finite(i - 1)) {
        canvas.draw_line(frame.column_of(curve.x[i - 1]), frame.row_of(curve.y[i - 1]), column, row,
                         curve.color, 2);
      }
      bool alone = !(i > 0 && finite(i - 1)) && !finite(i + 1);
      if (alone) {
        canvas.fill_rect(column - 2, row - 2, 5, 5, curve.color);
      } else if (count <= 40) {
        canvas.fill_rect(column - 1, row - 1, 4, 4, curve.color);
      }
    }
  }

  canvas.reset_clip();

  // Legend, in whichever top or bottom right corner the curves cross less.
  if (!series.empty()) {
    int64_t legend_width = 0;
    for (const Series& curve : series)
      legend_width = std::max(legend_width, text_width(curve.name));
    legend_width += 36;
    int64_t legend_height = int64_t(series.size()) * 12 + 8;
    int64_t x = frame.right - legend_width - 6;
    int64_t top_y = frame.top + 6, bottom_y = frame.bottom - legend_height - 6;
    auto crossings = [&](int64_t y) {
      int64_t hits = 0;
      for (const Series& curve : series) {
        for (size_t i = 0; i < curve.y.size(); ++i) {
          if (!std::isfinite(curve.x[i]) || !std::isfinite(curve.y[i])) continue;
          int64_t column = frame.column_of(curve.x[i]), row = frame.row_of(curve.y[i]);
          if (column >= x - 10 && row >= y - 10 && row <= y + legend_height + 10) ++hits;
        }
      }
      return hits;
    };
    int64_t y = crossings(top_y) <= crossings(bottom_y) ? top_y : bottom_y;
    canvas.fill_rect(x, y, legend_width, legend_height, kWhite);
    canvas.draw_rect(x, y, legend_width, legend_height, kGray);
    for (size_t i = 0; i < series.size(); ++i) {
      int64_t row = y + 8 + int64_t(i) * 12;
      canvas.draw_line(x + 6, row + 3, x + 24, row + 3, series[i].color, 2);
      canvas.draw_text(x + 30, row, series[i].name, kBlack);
    }
  }
  return chart;
}

Canvas confusion_chart(const Tensor& confusion, const std::vector<std::string>& class_names,
                       const std::string& title) {
  if (!confusion.defined() || confusion.dim() != 2 || confusion.size(0) != confusion.size(1) ||
      confusion.size(0) == 0) {
    throw ValueError(
        "confusion_chart: the matrix must be square [C, C] with C >= 1, got " +
        (confusion.defined() ? shape_string(confusion.shape()) : std::string("undefined")));
  }
  int64_t classes = confusion.size(0);
  if (!class_names.empty() && int64_t(class_names.size()) != classes) {
    throw ValueError("confusion_chart: " + std::to_string(class_names.size()) +
                     " class names for a " + std::to_string(classes) + "-class matrix");
  }
  std::vector<int64_t> counts = to_vector<int64_t>(confusion);
  int64_t cell = std::clamp<int64_t>(480 / classes, 12, 48);
  bool name_columns = !class_names.empty() && cell >= 30;

  std::vector<std::string> row_labels(static_cast<size_t>(classes));
  std::vector<std::string> column_labels(static_cast<size_t>(classes));
  for (int64_t c = 0; c < classes; ++c) {
    std::string name = class_names.empty() ? "" : class_names[size_t(c)];
    if (name_columns) {
      column_labels[size_t(c)] = fit_text(name, (cell - 2) / kGlyphAdvance);
      row_labels[size_t(c)] = fit_text(name, 14);
    } else {
      column_labels[size_t(c)] = std::to_string(c);
      row_labels[size_t(c)] =
          name.empty() ? std::to_string(c) : std::to_string(c) + ":" + fit_text(name, 12);
    }
  }
  int64_t label_width = text_width("TRUE");
  for (const std::string& label : row_labels)
    label_width = std::max(label_width, text_width(label));
  int64_t left = label_width + 12, top = 44;
  int64_t grid = classes * cell;
  int64_t width = std::max(left + grid + 16, text_width(title, 2) + 20);
  int64_t height = top + grid + 40;
  Canvas canvas(width, height);
  canvas.draw_text((width - text_width(title, 2)) / 2, 8, title, kBlack, 2);
  canvas.draw_text(left - 8 - text_width("TRUE"), top - 12, "TRUE", kBlack);
  canvas.draw_text(left + (grid - text_width("PREDICTED")) / 2, top + grid + 22, "PREDICTED",
                   kBlack);

  constexpr Color kDark{8, 48, 107};
  for (int64_t row = 0; row < classes; ++row) {
    int64_t total = 0;
    for (int64_t column = 0; column < classes; ++column)
      total += counts[size_t(row * classes + column)];
    for (int64_t column = 0; column < classes; ++column) {
      int64_t count = counts[size_t(row * classes + column)];
      double fraction = total > 0 ? double(count) / double(total) : 0.0;
      int64_t x = left + column * cell, y = top + row * cell;
      canvas.fill_rect(x, y, cell, cell, mix(kWhite, kDark, fraction));
      std::string text = std::to_string(count);
      if (text_width(text) <= cell - 2) {
        canvas.draw_text(x + (cell - text_width(text) + 1) / 2, y + (cell - kGlyphHeight + 1) / 2,
                         text, fraction > 0.5 ? kWhite : kBlack);
      }
    }
    const std::string& label = row_labels[size_t(row)];
    canvas.draw_text(left - 6 - text_width(label), top + row * cell + (cell - kGlyphHeight) / 2,
                     label, kBlack);
  }
  // Every `every`-th column is labelled when the labels are wider than the cells.
  int64_t widest = 0;
  for (const std::string& label : column_labels) widest = std::max(widest, text_width(label));
  int64_t every = std::max<int64_t>(1, (widest + 3 + cell - 1) / cell);
  for (int64_t column = 0; column < classes; column += every) {
    const std::string& label = column_labels[size_t(column)];
    canvas.draw_text(left + column * cell + (cell - text_width(label)) / 2, top + grid + 6, label,
                     kBlack);
  }
  canvas.draw_rect(left - 1, top - 1, grid + 2, grid + 2, kGray);
  return canvas;
}

Canvas sample_grid(const Tensor& images, const Tensor& predicted, const Tensor& truth,
                   const std::vector<std::string>& class_names, const Tensor& probabilities,
                   int64_t columns) {
  if (!images.defined() || images.dim() != 4 || !(images.size(1) == 1 || images.size(1) == 3) ||
      images.size(0) == 0 || images.size(2) == 0 || images.size(3) == 0) {
    throw ValueError("sample_grid: images must be [K, C, H, W] with K >= 1 and C = 1 or 3, got " +
                     (images.defined() ? shape_string(images.shape()) : std::string("undefined")));
  }
  int64_t count = images.size(0);
  auto check_vector = [count](const Tensor& t, const char* name) {
    if (!t.defined() || t.dim() != 1 || t.size(0) != count) {
      throw ValueError(std::string("sample_grid: ") + name + " must be [" + std::to_string(count) +
                       "] like the images, got " +
                       (t.defined() ? shape_string(t.shape()) : std::string("undefined")));
    }
  };
  check_vector(predicted, "predicted");
  check_vector(truth, "truth");
  if (probabilities.defined()) check_vector(probabilities, "probabilities");
  if (columns < 1)
    throw ValueError("sample_grid: columns must be >= 1, got " + std::to_string(columns));

  int64_t channels = images.size(1), height = images.size(2), width = images.size(3);
  int64_t scale = std::clamp<int64_t>(64 / std::max(height, width), 1, 8);
  int64_t image_width = width * scale, image_height = height * scale;
  int64_t cell_width = std::max<int64_t>(image_width + 12, 84);
  int64_t cell_height = image_height + 12 + 2 * 11 + 4;
  int64_t grid_columns = std::min(columns, count);
  int64_t grid_rows = (count + grid_columns - 1) / grid_columns;
  Canvas canvas(grid_columns * cell_width + 8, grid_rows * cell_height + 8);

  std::vector<double> pixels = image_values(images);
  std::vector<int64_t> predicted_values = to_vector<int64_t>(predicted);
  std::vector<int64_t> true_values = to_vector<int64_t>(truth);
  std::vector<double> probability_values;
  if (probabilities.defined()) probability_values = to_vector<double>(probabilities);
  int64_t characters = (cell_width - 4) / kGlyphAdvance;

  for (int64_t k = 0; k < count; ++k) {
    int64_t x = 4 + (k % grid_columns) * cell_width, y = 4 + (k / grid_columns) * cell_height;
    int64_t image_x = x + (cell_width - image_width) / 2, image_y = y + 6;
    bool wrong = predicted_values[size_t(k)] != true_values[size_t(k)];
    if (wrong) {
      canvas.fill_rect(image_x - 4, image_y - 4, image_width + 8, image_height + 8, kRed);
    } else {
      canvas.draw_rect(image_x - 1, image_y - 1, image_width + 2, image_height + 2, kLightGray);
    }
    draw_planar(canvas, image_x, image_y, pixels.data() + k * channels * height * width, channels,
                height, width, scale);

    std::string suffix;
    if (!probability_values.empty() && std::isfinite(probability_values[size_t(k)])) {
      char percent[32];
      std::snprintf(percent, sizeof percent, " %lld%%",
                    static_cast<long long>(std::llround(probability_values[size_t(k)] * 100)));
      suffix = percent;
    }
    std::string predicted_label = "P:";
    predicted_label += fit_text(class_label(predicted_values[size_t(k)], class_names),
                                characters - 2 - int64_t(suffix.size()));
    predicted_label += suffix;
    std::string true_label = "T:";
    true_label += fit_text(class_label(true_values[size_t(k)], class_names), characters - 2);
    int64_t text_y = image_y + image_height + 8;
    canvas.draw_text(x + 2, text_y, predicted_label, wrong ? kRed : kBlack);
    canvas.draw_text(x + 2, text_y + 11, true_label, kBlack);
  }
  return canvas;
}

}  // namespace cajal::train::plot
