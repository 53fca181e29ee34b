"""``tinygrad-softmax gradcheck path/to/module.py:Name --shape 3,4 --shape 4``: check your own code.

``Name`` is a ``Function`` subclass (its backward is checked with :func:`gradcheck`) or a function
returning ``(loss, grad)`` from NumPy arrays (checked with the homework form of
:func:`check_derivation`); any other function is given to :func:`gradcheck`. One ``--shape`` per
argument, in order: ``3,4`` is a float64 array drawn from N(0, 1), ``5:int3`` an integer array of
shape (5,) with values in [0, 3) (class labels), ``=0.1`` the number 0.1, ``()`` a 0-d array.
"""

from __future__ import annotations

import argparse
import importlib.util
import inspect
import sys
from pathlib import Path
from typing import Any

import numpy as np

from ..tensor import Function
from .checks import gradcheck
from .derivation import check_derivation


def _parse_shape(spec: str) -> tuple[int, ...]:
    spec = spec.strip().strip("()")
    return tuple(int(s) for s in spec.split(",") if s.strip())


def _make_input(spec: str, rng: np.random.Generator) -> Any:
    if spec.startswith("="):
        return float(spec[1:])
    if ":int" in spec:
        shape, high = spec.split(":int")
        return rng.integers(0, int(high), size=_parse_shape(shape))
    return rng.standard_normal(_parse_shape(spec))


def load(target: str) -> Any:
    """The object ``Name`` of ``path/to/module.py:Name``."""
    path, sep, name = target.rpartition(":")
    if not sep or not path or not name:
        raise ValueError(f"expected path/to/module.py:Name, got {target!r}")
    file = Path(path)
    if not file.is_file():
        raise FileNotFoundError(f"no such file: {file}")
    spec = importlib.util.spec_from_file_location(file.stem, file)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(file.resolve().parent))  # so the module can import its neighbours
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.pop(0)
    if not hasattr(module, name):
        raise AttributeError(f"{file} has no {name!r}; it defines "
                             f"{sorted(n for n in vars(module) if not n.startswith('_'))}")
    return getattr(module, name)


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="tinygrad-softmax gradcheck",
                                description=__doc__.split("\n\n", 1)[1] if __doc__ else None)
    p.add_argument("target", help="path/to/module.py:Name")
    p.add_argument("--shape", action="append", default=[], metavar="SPEC",
                   help="one per argument: 3,4 (float array), 5:int3 (labels in [0, 3)), =0.1 (a number)")
    p.add_argument("--seed", type=int, default=0, help="seed of the random inputs (default 0)")
    p.add_argument("--eps", type=float, default=1e-6, help="finite-difference step (default 1e-6)")
    p.add_argument("--atol", type=float, default=1e-5, help="absolute tolerance (default 1e-5)")
    p.add_argument("--rtol", type=float, default=1e-3, help="relative tolerance (default 1e-3)")
    args = p.parse_args(argv)
    try:
        obj = load(args.target)
    except Exception as err:  # noqa: BLE001 - a missing file or name, or the module failed to import
        print(f"tinygrad-softmax gradcheck: cannot load {args.target}: {type(err).__name__}: {err}",
              file=sys.stderr)
        return 2
    rng = np.random.default_rng(args.seed)
    try:
        inputs = [_make_input(s, rng) for s in args.shape]
    except ValueError as err:
        p.error(f"bad --shape: {err}")
    opts = {"eps": args.eps, "atol": args.atol, "rtol": args.rtol}
    if inspect.isclass(obj) and issubclass(obj, Function):
        if not inputs:
            p.error(f"{obj.__name__} is a Function: give one --shape per input of its forward")
        report: Any = gradcheck(lambda *ts: obj.apply(*ts), inputs, raise_exception=False, **opts)
    elif callable(obj):
        try:
            probe = obj(*[np.array(x) if isinstance(x, np.ndarray) else x for x in inputs])
        except Exception:  # noqa: BLE001 - check_derivation reports the user's exception properly
            probe = (None, None)
        if isinstance(probe, tuple) and len(probe) == 2:
            report = check_derivation(obj, tuple(inputs), **opts)
        else:
            report = gradcheck(obj, inputs, raise_exception=False, **opts)
    else:
        print(f"tinygrad-softmax gradcheck: {args.target} is a {type(obj).__name__}, not a Function "
              "subclass or a function", file=sys.stderr)
        return 2
    print(report)
    return 0 if report else 1
