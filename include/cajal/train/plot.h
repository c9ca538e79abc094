#pragma once
// A small raster plotting module for the training report (no dependency beyond cajal): an RGB
// canvas with clipped drawing (lines, rectangles, text in a built-in 5x7 bitmap font, images), and
// the report's three figures: line charts of per-epoch values, a confusion-matrix heat map and a
// grid of labelled sample images.
//
//   plot::Chart chart = plot::line_chart({{"train", epochs, train_loss, plot::kBlue}}, {});
//   data::write_png("loss.png", chart.canvas.to_tensor());
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "cajal/core/tensor.h"

namespace cajal::train::plot {

struct Color {
  uint8_t r = 0, g = 0, b = 0;
  bool operator==(const Color&) const = default;
};

inline constexpr Color kWhite{255, 255, 255};
inline constexpr Color kBlack{0, 0, 0};
inline constexpr Color kGray{128, 128, 128};
inline constexpr Color kLightGray{225, 225, 225};
// matplotlib's first category colours, so the curves look as a PyTorch user expects.
inline constexpr Color kBlue{31, 119, 180};
inline constexpr Color kOrange{255, 127, 14};
inline constexpr Color kGreen{44, 160, 44};
inline constexpr Color kRed{214, 39, 40};

// The font: every glyph is 5 pixels wide and 7 high, drawn in a cell 6 wide (one column of
// spacing) and kGlyphHeight high, times the text scale.
inline constexpr int64_t kGlyphWidth = 5;
inline constexpr int64_t kGlyphHeight = 7;
inline constexpr int64_t kGlyphAdvance = 6;
// Seven rows, top first; bit 4 of a row is its leftmost pixel.
using Glyph = std::array<uint8_t, 7>;

// The characters the font draws. Lower-case letters are drawn as upper-case; any other character
// is drawn as '?'.
const std::string& font_characters();
// The glyph `c` is drawn with (after the mappings above).
const Glyph& glyph(char c);
// Width in pixels of `text` drawn at `scale` (no trailing spacing column); 0 for "".
int64_t text_width(const std::string& text, int64_t scale = 1);

// An RGB image, initially filled with `background`. Drawing outside it is clipped silently.
class Canvas {
 public:
  // Requires width, height >= 1 (ValueError otherwise).
  Canvas(int64_t width, int64_t height, Color background = kWhite);

  int64_t width() const { return width_; }
  int64_t height() const { return height_; }
  // Requires 0 <= x < width, 0 <= y < height (IndexError otherwise).
  Color pixel(int64_t x, int64_t y) const;
  void set_pixel(int64_t x, int64_t y, Color color);
  // Restricts all drawing to the rectangle (within the canvas) until reset_clip().
  void set_clip(int64_t x, int64_t y, int64_t width, int64_t height);
  void reset_clip();

  void fill_rect(int64_t x, int64_t y, int64_t width, int64_t height, Color color);
  // The outline of a rectangle, `thickness` pixels drawn inwards from its edge.
  void draw_rect(int64_t x, int64_t y, int64_t width, int64_t height, Color color,
                 int64_t thickness = 1);
  // A straight line (Bresenham) with a square pen `thickness` pixels wide; for thickness 2 the pen
  // covers the line's pixel and the one below/right of it.
  void draw_line(int64_t x0, int64_t y0, int64_t x1, int64_t y1, Color color,
                 int64_t thickness = 1);
  // Text with its top-left corner at (x, y); no wrapping.
  void draw_text(int64_t x, int64_t y, const std::string& text, Color color, int64_t scale = 1);
  // image: [C, H, W] with C = 1 or 3, float in [0, 1] (clamped, NaN as 0) or uint8, drawn with its
  // top-left corner at (x, y), every pixel enlarged to scale x scale. ValueError for another shape.
  void draw_image(int64_t x, int64_t y, const Tensor& image, int64_t scale = 1);

  // uint8 [3, height, width], the layout data::write_png takes.
  Tensor to_tensor() const;

 private:
  int64_t width_, height_;
  std::vector<uint8_t> pixels_;  // interleaved RGB, row-major
  // Drawing is limited to columns [clip_left_, clip_right_) and rows [clip_top_, clip_bottom_).
  int64_t clip_left_ = 0, clip_top_ = 0, clip_right_ = 0, clip_bottom_ = 0;
};

// One curve of a line chart. x and y have the same length; non-finite y values are left out and
// split the curve (a gap); a point with no finite neighbour is drawn as a dot.
struct Series {
  std::string name;
  std::vector<double> x;
  std::vector<double> y;
  Color color = kBlue;
};

struct ChartOptions {
  int64_t width = 640;
  int64_t height = 400;
  std::string title{};
  std::string x_label = "epoch";
  std::string y_label{};
  bool integer_x = true;  // ticks only at whole numbers of x (epochs)
};

// Where data coordinates land on the canvas: the plot area spans columns [left, right] and rows
// [top, bottom] (inclusive), x_min at `left`, y_max at `top`.
struct ChartFrame {
  int64_t left = 0, top = 0, right = 0, bottom = 0;
  double x_min = 0, x_max = 1, y_min = 0, y_max = 1;
  int64_t column_of(double x) const;
  int64_t row_of(double y) const;
};

struct Chart {
  Canvas canvas;
  ChartFrame frame;
};

// Axes with tick marks and labels, light grid lines, the curves (2 px wide) and a legend. The y
// range is the finite values' range padded by 5% on each side (a constant series gets a range
// around its value; no finite value at all gives [0, 1]). ValueError for a series whose x and y
// lengths differ, or a size under 160 x 120.
Chart line_chart(const std::vector<Series>& series, const ChartOptions& options = {});

// Heat map of confusion: int64 [C, C] (rows true classes, columns predicted), cells shaded by the
// fraction of their row (the recall of the true class on the diagonal), with the counts written in
// the cells when they fit. class_names: C names or empty (then the class indices are used).
// ValueError for a non-square or empty matrix, or a names count other than C.
Canvas confusion_chart(const Tensor& confusion, const std::vector<std::string>& class_names,
                       const std::string& title = "confusion matrix");

// A grid of images ([K, C, H, W], C = 1 or 3, float in [0, 1]) with "P:<predicted>" and "T:<true>"
// under each (and the predicted probability when `probabilities` [K] is defined); misclassified
// images get a red border. predicted and truth: int64 [K]. Labels are class names when a name
// exists for the index, else the index. At most `columns` images per row. ValueError for
// inconsistent shapes or K = 0.
Canvas sample_grid(const Tensor& images, const Tensor& predicted, const Tensor& truth,
                   const std::vector<std::string>& class_names,
                   const Tensor& probabilities = Tensor(), int64_t columns = 8);

}  // namespace cajal::train::plot
