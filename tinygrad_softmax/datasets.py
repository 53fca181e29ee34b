"""Toy datasets: the article's three-class points (shipped with the package) and a spiral.

``load_blog()`` reads ``tinygrad_softmax/data/blog_dataset.npz``: 1000 points, 2 features,
3 classes. It was generated once with scikit-learn 1.9.1 by the article's own call::

    make_classification(n_samples=1000, n_features=2, n_redundant=0, random_state=2016,
                        n_clusters_per_class=1, n_classes=3)

and saved, so neither scikit-learn nor a network is needed. The scikit-learn of 2016 produced
different points from the same call, so the accuracies the article printed (0.815 / 0.805 /
0.816) are not what its recipe gives on this file (see docs/blog_walkthrough.md).

``make_spiral(...)`` draws the interleaved spirals of the CS231n notes, a set that no linear
classifier can separate -- the case for a hidden layer.
"""

from __future__ import annotations

from importlib import resources

import numpy as np

__all__ = ["load_blog", "make_spiral", "BLOG_DATASET_PROVENANCE"]

BLOG_DATASET_PROVENANCE = (
    "scikit-learn 1.9.1: make_classification(n_samples=1000, n_features=2, n_redundant=0, "
    "random_state=2016, n_clusters_per_class=1, n_classes=3)"
)


def load_blog() -> tuple[np.ndarray, np.ndarray]:
    """The article's dataset as ``(X, y)``: X float64 of shape (1000, 2), y int64 of shape
    (1000,) with labels 0, 1, 2. Read with ``allow_pickle=False``; each call returns fresh
    arrays."""
    ref = resources.files("tinygrad_softmax.data").joinpath("blog_dataset.npz")
    with resources.as_file(ref) as path, np.load(path, allow_pickle=False) as npz:
        if set(npz.files) != {"X", "y"}:
            raise ValueError(f"{path} should hold exactly the arrays 'X' and 'y', found {sorted(npz.files)}; "
                             "the installed package data is damaged - reinstall tinygrad_softmax")
        X, y = npz["X"], npz["y"]
    good_X = X.ndim == 2 and X.shape[1] == 2 and X.dtype.kind == "f"
    if not good_X or y.shape != X.shape[:1] or y.dtype.kind not in "iu":
        raise ValueError(f"{path}: expected float X of shape (n, 2) and integer y of shape (n,), got "
                         f"X {X.dtype}{X.shape} and y {y.dtype}{y.shape}")
    return X.astype(np.float64), y.astype(np.int64)


def make_spiral(n_per_class: int = 100, n_classes: int = 3, noise: float = 0.2,
                seed: int | None = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n_classes`` spiral arms of ``n_per_class`` points each in the plane.

    Arm k: radius r runs evenly over [0, 1] and the angle over [4k, 4(k+1)] radians plus
    Gaussian noise of std ``noise``; the point is (r sin θ, r cos θ). Returns X float64 of
    shape (n_per_class * n_classes, 2) and y int64 (the arm index). Same seed, same points.
    """
    for name, n in (("n_per_class", n_per_class), ("n_classes", n_classes)):
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"make_spiral: {name} must be a positive integer, got {n!r}")
    if isinstance(noise, bool) or not isinstance(noise, (int, float, np.integer, np.floating)):
        raise TypeError(f"make_spiral: noise must be a number, got {type(noise).__name__} {noise!r}")
    if not (np.isfinite(noise) and noise >= 0):
        raise ValueError(f"make_spiral: noise must be a finite number >= 0, got {noise!r}")
    rng = np.random.default_rng(seed)
    radius = np.tile(np.linspace(0.0, 1.0, n_per_class), n_classes)
    y = np.repeat(np.arange(n_classes, dtype=np.int64), n_per_class)
    base = np.concatenate([np.linspace(4.0 * k, 4.0 * (k + 1), n_per_class) for k in range(n_classes)])
    theta = base + noise * rng.standard_normal(base.shape)
    X = np.stack([radius * np.sin(theta), radius * np.cos(theta)], axis=1)
    return X, y
