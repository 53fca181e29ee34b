"""``tinygrad-softmax explore``: write the backward explorer page (see ``tinygrad_softmax.explore``)
for the scalar a script's ``main()`` returns, or for the article's model on its dataset."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..explore import explore
from ..tensor import Tensor


def article_loss(points: int | None = None, iters: int = 0, reg: float = 0.1
                 ) -> tuple[Tensor, dict[str, Tensor]]:
    """The article's model and loss: ``models.Softmax`` (seed 0, the composed cross-entropy so
    every primitive step shows) on ``datasets.load_blog()``'s first ``points`` points (all 1000
    by default), trained for ``iters`` iterations first (learning rate 1e-2, as the article),
    loss = mean cross-entropy + ½·reg·ΣW². Returns ``(loss, names)``."""
    from ..datasets import load_blog
    from ..models import Softmax

    X, y = load_blog()
    if points is not None:
        X, y = X[:points], y[:points]
    model = Softmax(seed=0, fused=False)
    if iters:
        model.train(X, y, learning_rate=1e-2, reg=reg, num_iters=iters)
    else:
        model.build(X.shape[1], int(y.max()) + 1)
    Xt = Tensor(X)
    loss, logits = model._loss(Xt, y, reg)
    net: Any = model.net
    return loss, {"X": Xt, "W": net.weight, "b": net.bias, "scores": logits, "loss": loss}


def _script_loss(script: str) -> tuple[Tensor, dict[str, Tensor] | None]:
    """Run ``script`` (not as ``__main__``) and call its ``main()``: a Tensor, or ``(tensor, names)``."""
    import runpy

    namespace = runpy.run_path(script, run_name="__explore__")
    main = namespace.get("main")
    if not callable(main):
        raise SystemExit(f"tinygrad-softmax explore: {script} defines no main() function; write one that "
                         "returns the scalar Tensor to explore (or a (tensor, names) pair)")
    out = main()
    names = None
    if isinstance(out, tuple) and len(out) == 2 and isinstance(out[1], Mapping):
        out, names = out
    if not isinstance(out, Tensor):
        raise SystemExit(f"tinygrad-softmax explore: {script}'s main() returned {type(out).__name__}, "
                         "not a Tensor; return the loss Tensor (or a (tensor, names) pair)")
    return out, dict(names) if names is not None else None


def main(argv: list[str] | None = None) -> int:
    import argparse

    p = argparse.ArgumentParser(
        prog="tinygrad-softmax explore",
        description="Write an interactive HTML page that steps through backward() for the scalar a "
                    "script's main() returns (or main() -> (tensor, {'name': tensor, ...})), or, without "
                    "a script, for the article's Softmax model on its dataset.")
    p.add_argument("script", nargs="?", help="a Python file defining main() -> Tensor")
    p.add_argument("-o", "--out", default="backprop.html", help="the HTML file (default: %(default)s)")
    p.add_argument("--layout", choices=("auto", "dot", "simple"), default="auto",
                   help="Graphviz's dot if installed (auto), or our own layered layout (simple)")
    p.add_argument("--points", type=int, default=None, metavar="N",
                   help="article model: use the first N points only (default: all 1000)")
    p.add_argument("--iters", type=int, default=0, metavar="N",
                   help="article model: train N iterations first (default: 0, the initial weights)")
    args = p.parse_args(argv)
    if args.script:
        loss, names = _script_loss(args.script)
        title = f"Backward pass of {Path(args.script).name}: main()"
    else:
        loss, names = article_loss(args.points, args.iters)
        title = "Backward pass of the article's softmax classifier (models.Softmax on load_blog)"
    path = explore(loss, args.out, names, title=title, layout=args.layout)
    print(path)
    return 0
