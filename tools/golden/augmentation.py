"""Golden values for image rotation (cajal::data::rotate), computed the way torchvision's
rotate does it for tensors: an inverse affine grid over pixel centres (align_corners=False) and
grid_sample with zero padding. torchvision itself is not installed, so the grid is built here."""
import math

import torch
import torch.nn.functional as F

from golden import GoldenFile


def rotate(image, degrees, mode):
    batched = image.dim() == 4
    x = image if batched else image.unsqueeze(0)
    n, _, h, w = x.shape
    a = math.radians(degrees)
    c, s = math.cos(a), math.sin(a)
    # Output pixel offset (dx, dy) from the centre samples the input at R(angle) (dx, dy), with
    # y pointing down (counter-clockwise on screen); in normalized coordinates the off-diagonal
    # terms pick up the aspect ratio.
    theta = torch.tensor([[c, -s * h / w, 0.0], [s * w / h, c, 0.0]], dtype=x.dtype)
    grid = F.affine_grid(theta.expand(n, 2, 3), list(x.shape), align_corners=False)
    out = F.grid_sample(x, grid, mode=mode, padding_mode="zeros", align_corners=False)
    return out if batched else out.squeeze(0)


def main():
    torch.manual_seed(0)
    golden = GoldenFile("augmentation")
    cases = [("rotate_30_bilinear", [2, 5, 7], 30.0, "bilinear"),
             ("rotate_minus_17_5_bilinear", [1, 6, 4], -17.5, "bilinear"),
             ("rotate_123_bilinear", [3, 5, 5], 123.0, "bilinear"),
             ("rotate_batch_60_bilinear", [2, 1, 4, 5], 60.0, "bilinear"),
             ("rotate_33_nearest", [1, 6, 7], 33.0, "nearest")]
    for name, shape, degrees, mode in cases:
        image = torch.randn(shape, dtype=torch.float64)
        golden.add(name, lambda x, d=degrees, m=mode: rotate(x, d, m), [image],
                   requires_grad=[False], params={"degrees": degrees, "interpolation": mode})
    golden.write()


if __name__ == "__main__":
    main()
