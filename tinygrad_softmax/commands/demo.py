"""Reproduce the article 'Gradient descent on a Softmax cross-entropy cost function' end to end
on its own dataset:

1. Train the article's Softmax classifier with early stopping on the first 800 points,
   validating on the last 200 (learning_rate=1e-2, reg=0.1, early_stopping_rounds=300).
2. Train a fresh one on all 1000 points for 1000 iterations, as the article does.
3. Print the accuracies next to the ones the article reports.
4. Check the gradient that backward() gives at the trained weights against the article's
   closed form (reference.gradients).
5. Draw the decision boundaries and the loss curves (PNG files; needs matplotlib).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from .. import reference
from ..datasets import BLOG_DATASET_PROVENANCE, load_blog
from ..models import Classifier, Softmax

ARTICLE_ACCURACIES = {"training": 0.815, "validation": 0.805, "full": 0.816}
GRADIENT_TOLERANCE = 1e-10  # float64: autodiff and the closed form differ only by rounding
LEARNING_RATE, REG, ROUNDS, FULL_ITERS, N_TRAIN = 1e-2, 0.1, 300, 1000, 800


def _parser() -> argparse.ArgumentParser:
    # the module docstring says what the command does; it is also the head of --help
    p = argparse.ArgumentParser(prog="tinygrad-softmax demo", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", metavar="DIR", default=os.path.join("out", "demo"),
                   help="directory for the PNG files (created if missing; default: %(default)s)")
    p.add_argument("--quiet", action="store_true",
                   help="no training progress; print only the results")
    p.add_argument("--no-plots", action="store_true", help="do not draw any PNG files")
    loss = p.add_mutually_exclusive_group()
    loss.add_argument("--fused", dest="fused", action="store_true", default=True,
                      help="use the fused softmax-cross-entropy op (default)")
    loss.add_argument("--composed", dest="fused", action="store_false",
                      help="use the cross-entropy composed from primitive ops instead")
    p.add_argument("--seed", type=int, default=0,
                   help="seed of the Gaussian weight initialisation (default: %(default)s)")
    p.add_argument("--iters", type=int, default=FULL_ITERS, metavar="N",
                   help="iterations of the full-set training (default: %(default)s, the article's)")
    p.add_argument("--max-iters", type=int, default=100_000, metavar="N",
                   help="upper limit on early-stopping iterations, for quick smoke runs "
                        "(default: %(default)s; the article's run stops by itself after about 600)")
    p.add_argument("--early-stopping-rounds", type=int, default=ROUNDS, metavar="N",
                   help="stop after N iterations without a better validation accuracy "
                        "(default: %(default)s, the article's)")
    return p


def _progress(quiet: bool, message: str) -> None:
    if not quiet:
        print(message, flush=True)


def decision_boundary_png(model: Classifier, X: np.ndarray, y: np.ndarray, path: str | os.PathLike[str],
                          title: str, step: float = 0.02) -> None:
    """Colour the plane by ``model.predict`` (as the article's mesh-grid plot) and scatter the points.
    Needs matplotlib; uses the Agg canvas directly, so no window and no global backend change."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    x_min, x_max = X[:, 0].min() - 1, X[:, 0].max() + 1
    y_min, y_max = X[:, 1].min() - 1, X[:, 1].max() + 1
    xx, yy = np.meshgrid(np.arange(x_min, x_max, step), np.arange(y_min, y_max, step))
    Z = model.predict(np.c_[xx.ravel(), yy.ravel()]).reshape(xx.shape)
    fig = Figure(figsize=(7, 5))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.contourf(xx, yy, Z, cmap="Blues", alpha=0.8)
    ax.scatter(X[:, 0], X[:, 1], c=y, s=20, cmap="Blues", edgecolors="k", linewidths=0.3)
    ax.set_xlim(xx.min(), xx.max())
    ax.set_ylim(yy.min(), yy.max())
    ax.set_xlabel("First feature")
    ax.set_ylabel("Second feature")
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def loss_curves_png(runs: list[tuple[str, Classifier]], path: str | os.PathLike[str]) -> None:
    """Training loss per iteration of each run; a dot marks the weights early stopping kept."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 4))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    for label, model in runs:
        losses = model.history["loss"]
        line = ax.plot(np.arange(len(losses)), losses, label=label)[0]
        best = model.best_iteration
        if best is not None and best < len(losses):
            ax.plot([best], [losses[best]], "o", color=line.get_color(),
                    label=f"weights kept (iteration {best})")
    ax.set_xlabel("iteration")
    ax.set_ylabel("loss: mean cross-entropy + ½·reg·ΣW²")
    ax.set_title("Gradient descent through backward()")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(sys.argv[1:] if argv is None else argv)
    for name in ("iters", "max_iters", "early_stopping_rounds"):
        least = 1 if name == "early_stopping_rounds" else 0
        if getattr(args, name) < least:
            print(f"tinygrad-softmax demo: --{name.replace('_', '-')} must be >= {least}, "
                  f"got {getattr(args, name)}", file=sys.stderr)
            return 2
    start = time.perf_counter()
    quiet = args.quiet
    X, y = load_blog()
    X_train, y_train, X_val, y_val = X[:N_TRAIN], y[:N_TRAIN], X[N_TRAIN:], y[N_TRAIN:]
    loss_name = "fused softmax-cross-entropy op" if args.fused else "cross-entropy composed from primitives"
    print(f"Dataset: {len(X)} points, {X.shape[1]} features, {len(np.unique(y))} classes "
          f"(the article's call, made with {BLOG_DATASET_PROVENANCE}).")
    print(f"Loss: {loss_name}; gradients from backward(); seed {args.seed}.")

    _progress(quiet, f"\n[1/4] Early stopping: train on {N_TRAIN} points, validate on {len(X_val)} "
                     f"(learning_rate={LEARNING_RATE}, reg={REG}, "
                     f"early_stopping_rounds={args.early_stopping_rounds})")
    early = Softmax(seed=args.seed, fused=args.fused)
    early.train_early_stopping(X_train, y_train, X_val, y_val, learning_rate=LEARNING_RATE, reg=REG,
                               early_stopping_rounds=args.early_stopping_rounds, max_iters=args.max_iters,
                               verbose=not quiet, print_every=100)
    train_acc = float(np.mean(early.predict(X_train) == y_train))
    val_acc = float(np.mean(early.predict(X_val) == y_val))

    _progress(quiet, f"\n[2/4] Full set: train on all {len(X)} points for {args.iters} iterations")
    full = Softmax(seed=args.seed, fused=args.fused)
    full.train(X, y, learning_rate=LEARNING_RATE, reg=REG, num_iters=args.iters, verbose=not quiet,
               print_every=100)
    full_acc = float(np.mean(full.predict(X) == y))

    print("\nAccuracy                       this run   article")
    rows = [("training   (early stopping)", train_acc, "training"),
            ("validation (early stopping)", val_acc, "validation"),
            (f"full set   ({args.iters} iterations)", full_acc, "full")]
    for label, ours, key in rows:
        print(f"  {label:<28} {ours:>8.3f}   {ARTICLE_ACCURACIES[key]:>7.3f}")
    print("The numbers differ because today's scikit-learn generates different points from the article's "
          "make_classification call (the article ran the scikit-learn of 2016); the recipe is the same.")

    _progress(quiet, "\n[3/4] Gradient check at the trained weights (full-set model)")
    W, b = full.W, full.b
    assert W is not None and b is not None
    _, dW, db = full.loss_and_gradients(X, y, reg=REG)
    dW_ref, db_ref = reference.gradients(X, y, W, b, REG)
    diff = max(float(np.max(np.abs(dW - dW_ref))), float(np.max(np.abs(db - np.ravel(db_ref)))))
    ok = diff <= GRADIENT_TOLERANCE
    print(f"\nGradient check: backward() vs the article's closed form dW = Xᵀ(S−Y)/N + λW, db = Σ(S−Y)/N\n"
          f"  max |autodiff − closed form| = {diff:.2e}  (tolerance {GRADIENT_TOLERANCE:.0e})  "
          f"{'PASS' if ok else 'FAIL'}")

    if args.no_plots:
        _progress(quiet, "\n[4/4] Plots skipped (--no-plots)")
    else:
        _progress(quiet, "\n[4/4] Plots")
        _plots(args.out, X, y, early, full)
    _progress(quiet, f"\nDone in {time.perf_counter() - start:.1f} s.")
    return 0 if ok else 1


def _plots(out: str, X: np.ndarray, y: np.ndarray, early: Softmax, full: Softmax) -> None:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print('\nPlots skipped: matplotlib is not installed. Install it with  pip install -e ".[plot]"  '
              "(from the repository root) or  pip install matplotlib,  then run the demo again.")
        return
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    boundary, curves = out_dir / "blog_decision_boundary.png", out_dir / "blog_loss_curves.png"
    decision_boundary_png(full, X, y, boundary, "Softmax classifier: decision boundaries after training "
                                                "on the full set")
    runs: list[tuple[str, Any]] = [("early stopping (800 training points)", early),
                                   ("full set (1000 points)", full)]
    loss_curves_png(runs, curves)
    print(f"\nWrote {boundary}\nWrote {curves}")
