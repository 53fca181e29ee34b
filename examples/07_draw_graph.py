"""Draw the graph of the article's model: scores → softmax cross-entropy → L2 → total loss.

Run:  python examples/07_draw_graph.py [OUTPUT]     (default: docs/images/blog_model_graph.svg)

This is the command that regenerates the picture in the docs. It needs Graphviz's `dot`
program for .svg/.png output; without it, the DOT source is written next to OUTPUT instead.
"""

import sys
from pathlib import Path

import numpy as np

import tinygrad_softmax.functional as F
from tinygrad_softmax import Tensor, draw
from tinygrad_softmax.datasets import load_blog

ROOT = Path(__file__).resolve().parents[1]
out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "images" / "blog_model_graph.svg"

X_data, y = load_blog()

rng = np.random.default_rng(0)
X = Tensor(X_data)                                                     # (1000, 2) features
W = Tensor(rng.normal(0.0, 1e-3, size=(2, 3)), requires_grad=True)     # weights, std 1e-3 as in the article
b = Tensor(np.zeros(3), requires_grad=True)                            # biases start at 0
reg = 0.5

scores = X @ W + b                                  # f = XW + b
data_loss = F.cross_entropy(scores, y)              # mean of −log softmax(f)[n, y_n]
reg_loss = 0.5 * reg * (W * W).sum()                # ½ λ Σ W²
loss = data_loss + reg_loss

written = draw(loss, out, names={"X": X, "W": W, "b": b, "scores": scores, "data_loss": data_loss,
                                 "reg_loss": reg_loss, "loss": loss})
print(f"wrote {written}")
