"""A plain PyTorch FSP implementation (float64, autograd) to check the server against — independent of
fspd's code: G = F1ᵀ·F2 / (h·w) per sample, the larger map adaptively pooled to the smaller h×w."""
from __future__ import annotations

from typing import Optional, Sequence, Tuple

import torch
import torch.nn.functional as F


def align(a: torch.Tensor, b: torch.Tensor, pooling: str = "max") -> Tuple[torch.Tensor, torch.Tensor]:
    """NCHW maps pooled to the smaller of the two h×w (adaptive windows, as PyTorch)."""
    ha, wa = a.shape[2:]
    hb, wb = b.shape[2:]
    h, w = min(ha, hb), min(wa, wb)
    pool = F.adaptive_max_pool2d if pooling == "max" else F.adaptive_avg_pool2d
    if (ha, wa) != (h, w):
        a = pool(a, (h, w))
    if (hb, wb) != (h, w):
        b = pool(b, (h, w))
    return a, b


def fsp_matrix(a: torch.Tensor, b: torch.Tensor, pooling: str = "max") -> torch.Tensor:
    """[B, C1, C2] from NCHW maps."""
    a, b = align(a, b, pooling)
    n, c1, h, w = a.shape
    return torch.bmm(a.reshape(n, c1, h * w), b.reshape(n, b.shape[1], h * w).transpose(1, 2)) / (h * w)


def fsp_loss(student: Sequence[Tuple[torch.Tensor, torch.Tensor]], teacher_matrices: Sequence[torch.Tensor],
             weights: Optional[Sequence[float]] = None, reduction: str = "paper", pooling: str = "max") -> torch.Tensor:
    total = torch.zeros((), dtype=torch.float64)
    for i, ((a, b), gt) in enumerate(zip(student, teacher_matrices)):
        d = (fsp_matrix(a, b, pooling) - gt) ** 2
        pair = d.sum(dim=(1, 2)).mean() if reduction == "paper" else d.mean()
        total = total + (1.0 if weights is None else weights[i]) * pair
    return total
