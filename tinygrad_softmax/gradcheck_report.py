"""``tinygrad-softmax gradcheck``: gradient-check every built-in op and both cross-entropy paths.

Each row runs :func:`~tinygrad_softmax.gradcheck` (and with ``--second-order`` also
:func:`~tinygrad_softmax.gradgradcheck`) on one op at one set of shapes, with inputs drawn from a
seeded generator in the op's domain (positive for log, tie-free for max, away from 0 for relu),
and prints op, shapes, the largest absolute and relative errors and the verdict. The exit code is
1 if any row fails, 0 otherwise, so the command can gate a CI job.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import functional as F
from .gradient_check import LowPrecisionWarning, gradcheck, gradgradcheck
from .tensor import Tensor


@dataclass
class Case:
    """One row: ``fn`` applied to ``inputs`` (floating arrays are checked, the rest held fixed)."""

    op: str
    shapes: str
    fn: Callable[..., Tensor]
    inputs: list[Any]
    eps: float | None = None   # a case that needs another step (see astype)
    note: str = ""


def _tie_free(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Distinct values on a grid of 1/8: no ties and no near-ties for max."""
    n = int(np.prod(shape))
    return rng.permutation(np.arange(-4 * n, 4 * n))[:n].reshape(shape) / 8.0


def _away_from_zero(rng: np.random.Generator, shape: tuple[int, ...], lo: float = 0.5,
                    hi: float = 2.0) -> np.ndarray:
    return rng.uniform(lo, hi, shape) * rng.choice([-1.0, 1.0], shape)


def build_cases(seed: int = 0) -> list[Case]:
    """The table of checks, inputs drawn from ``np.random.default_rng(seed)``."""
    rng = np.random.default_rng(seed)

    def r(*shape: int) -> np.ndarray:
        return rng.standard_normal(shape)

    def pos(*shape: int) -> np.ndarray:
        return rng.uniform(0.5, 3.0, shape)

    cases = [
        Case("add", "(3, 4) + (3, 4)", lambda a, b: a + b, [r(3, 4), r(3, 4)]),
        Case("add", "(3, 4) + (4,)", lambda a, b: a + b, [r(3, 4), r(4)]),
        Case("add", "() + (2, 3)", lambda a, b: a + b, [r(), r(2, 3)]),
        Case("sub", "(3, 4) - (4,)", lambda a, b: a - b, [r(3, 4), r(4)]),
        Case("sub", "(2, 1, 3) - (4, 1)", lambda a, b: a - b, [r(2, 1, 3), r(4, 1)]),
        Case("mul", "(3, 4) * (4,)", lambda a, b: a * b, [r(3, 4), r(4)]),
        Case("mul", "(2, 1, 3) * (4, 1)", lambda a, b: a * b, [r(2, 1, 3), r(4, 1)]),
        Case("div", "(3, 4) / (4,)", lambda a, b: a / b, [r(3, 4), _away_from_zero(rng, (4,))]),
        Case("div", "(3, 1) / (1, 4)", lambda a, b: a / b, [r(3, 1), _away_from_zero(rng, (1, 4))]),
        Case("neg", "(3, 4)", lambda a: -a, [r(3, 4)]),
        Case("pow", "(3, 4) ** 3", lambda a: a ** 3, [r(3, 4)]),
        Case("pow", "(3, 4) ** -1.5 (x > 0)", lambda a: a ** -1.5, [pos(3, 4)]),
        Case("pow", "(3,) ** (3,) (tensor exponent)", lambda a, b: a ** b, [pos(3), r(3)]),
        Case("matmul", "(3, 4) @ (4, 2)", lambda a, b: a @ b, [r(3, 4), r(4, 2)]),
        Case("matmul", "(4,) @ (4, 3)", lambda a, b: a @ b, [r(4), r(4, 3)]),
        Case("matmul", "(3, 4) @ (4,)", lambda a, b: a @ b, [r(3, 4), r(4)]),
        Case("matmul", "(4,) @ (4,)", lambda a, b: a @ b, [r(4), r(4)]),
        Case("matmul", "(2, 3, 4) @ (4, 2)", lambda a, b: a @ b, [r(2, 3, 4), r(4, 2)]),
        Case("matmul", "(2, 1, 3, 4) @ (3, 4, 2)", lambda a, b: a @ b, [r(2, 1, 3, 4), r(3, 4, 2)]),
        Case("exp", "(3, 4)", lambda a: a.exp(), [r(3, 4)]),
        Case("log", "(3, 4), x > 0", lambda a: a.log(), [pos(3, 4)]),
        Case("tanh", "(3, 4)", lambda a: a.tanh(), [r(3, 4)]),
        Case("sum", "(2, 3, 4), axis=None", lambda a: a.sum(), [r(2, 3, 4)]),
        Case("sum", "(2, 3, 4), axis=1", lambda a: a.sum(axis=1), [r(2, 3, 4)]),
        Case("sum", "(2, 3, 4), axis=(0, 2), keepdims", lambda a: a.sum(axis=(0, 2), keepdims=True),
             [r(2, 3, 4)]),
        Case("max", "(3, 4) tie-free, axis=None", lambda a: a.max(), [_tie_free(rng, (3, 4))]),
        Case("max", "(3, 4) tie-free, axis=1", lambda a: a.max(axis=1), [_tie_free(rng, (3, 4))]),
        Case("max", "(2, 3, 4) tie-free, axis=0, keepdims", lambda a: a.max(axis=0, keepdims=True),
             [_tie_free(rng, (2, 3, 4))]),
        Case("getitem", "(4, 5)[1:, ::2]", lambda a: a[1:, ::2], [r(4, 5)]),
        Case("getitem", "(4, 5)[2] and [-1, None]", lambda a: a[2] * 2 + a[-1, None].sum(), [r(4, 5)]),
        Case("getitem", "(5,)[[0, 2, 0, 0, 4]] (repeats)", lambda a: a[np.array([0, 2, 0, 0, 4])], [r(5)]),
        Case("getitem", "(3, 4)[[[0, 2], [2, 2]], [1, 1]]",
             lambda a: a[np.array([[0, 2], [2, 2]]), np.array([1, 1])], [r(3, 4)]),
        Case("getitem", "(3, 4)[mask]", lambda a: a[np.array([[True, False, True, True]] * 3)], [r(3, 4)]),
        Case("getitem", "(2, 3, 4)[..., 1]", lambda a: a[..., 1], [r(2, 3, 4)]),
        Case("reshape", "(3, 4) -> (2, 6)", lambda a: a.reshape(2, 6), [r(3, 4)]),
        Case("reshape", "(2, 3, 4) -> (-1,)", lambda a: a.reshape(-1), [r(2, 3, 4)]),
        Case("transpose", "(3, 4).T", lambda a: a.T, [r(3, 4)]),
        Case("transpose", "(2, 3, 4).transpose(1, 2, 0)", lambda a: a.transpose(1, 2, 0), [r(2, 3, 4)]),
        Case("broadcast_to", "(4,) -> (3, 4)", lambda a: a.broadcast_to((3, 4)), [r(4)]),
        Case("broadcast_to", "(3, 1) -> (2, 3, 4)", lambda a: a.broadcast_to((2, 3, 4)), [r(3, 1)]),
        Case("astype", "float64 -> float32 (eps 1e-3)", lambda a: a.astype(np.float32), [r(3, 4)], eps=1e-3,
             note="the output is float32, so the step must dwarf float32 rounding; the map is linear, so "
                  "a large step costs no truncation error"),
        Case("astype", "float32 -> float64", lambda a: a.astype(np.float64) * 3,
             [r(3, 4).astype(np.float32)]),
        Case("mean", "(3, 4), axis=0 [composite]", lambda a: a.mean(axis=0), [r(3, 4)]),
        Case("min", "(3, 4) tie-free, axis=1 [composite]", lambda a: a.min(axis=1), [_tie_free(rng, (3, 4))]),
        Case("relu", "(3, 4), |x| >= 0.5 [composite]", lambda a: a.relu(), [_away_from_zero(rng, (3, 4))]),
        Case("log_softmax", "(3, 4), axis=-1", lambda a: F.log_softmax(a), [r(3, 4) * 3]),
        Case("softmax", "(3, 4), axis=0", lambda a: F.softmax(a, axis=0), [r(3, 4) * 3]),
    ]
    losses = (("cross_entropy", F.cross_entropy), ("softmax_cross_entropy", F.softmax_cross_entropy))
    for name, loss in losses:
        y = rng.integers(0, 3, 4)
        y_ignored = np.array([0, -100, 2, 1])
        probs = rng.dirichlet(np.ones(3), 4)
        weight = Tensor(rng.uniform(0.5, 2.0, 3))
        cases += [
            Case(name, "(4, 3), class indices, mean", lambda x, t, f=loss: f(x, t), [r(4, 3) * 3, y]),
            Case(name, "(4, 3), weight, sum",
                 lambda x, t, f=loss, w=weight: f(x, t, weight=w, reduction="sum"), [r(4, 3) * 3, y]),
            Case(name, "(4, 3), reduction='none'", lambda x, t, f=loss: f(x, t, reduction="none"),
                 [r(4, 3) * 3, y]),
            Case(name, "(4, 3), ignore_index, label_smoothing=0.1",
                 lambda x, t, f=loss: f(x, t, ignore_index=-100, label_smoothing=0.1),
                 [r(4, 3) * 3, y_ignored]),
            Case(name, "(4, 3), probability targets", lambda x, t, f=loss: f(x, t),
                 [r(4, 3) * 3, Tensor(probs)]),
            Case(name, "(2, 3, 2) logits, (2, 2) targets", lambda x, t, f=loss: f(x, t),
                 [r(2, 3, 2) * 3, rng.integers(0, 3, (2, 2))]),
            Case(name, "(3,) logits, 0-d target", lambda x, t, f=loss: f(x, t), [r(3) * 3, np.array(1)]),
        ]
    # ---- issue 13 (helper I): item assignment, copy and in-place ops on graph tensors
    cases += [
        Case("setitem", "(3, 4)[1:, ::2] = (2, 2) [IndexPut]", _assign_slice, [r(3, 4), r(2, 2)]),
        Case("setitem", "(3, 4)[[0, 2], [1, 3]] -= (2,) [IndexPut]", _subtract_at, [r(3, 4), r(2)]),
        Case("copy", "(3, 4).copy()", lambda a: a.copy() * 2, [r(3, 4)]),
        Case("in-place", "y = a.exp(); y += b; y *= y (history rebased)", _in_place_chain, [r(3), r(3)]),
    ]
    return cases


def _assign_slice(a: Tensor, v: Tensor) -> Tensor:
    y = a * 1
    y[1:, ::2] = v
    return y


def _subtract_at(a: Tensor, v: Tensor) -> Tensor:
    y = a * 1
    y[np.array([0, 2]), np.array([1, 3])] -= v
    return y


def _in_place_chain(a: Tensor, b: Tensor) -> Tensor:
    y = a.exp()
    y += b
    y *= y
    return y


def run(cases: list[Case], *, second_order: bool = False, eps: float = 1e-6, atol: float = 1e-5,
        rtol: float = 1e-3, fast_mode: bool = False) -> list[dict[str, Any]]:
    """Check every case; one result dict per (case, order)."""
    results = []
    for case in cases:
        checks: list[tuple[int, Callable[..., Any]]] = [(1, gradcheck)]
        if second_order:
            checks.append((2, gradgradcheck))
        for order, check in checks:
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", LowPrecisionWarning)  # the float32 rows are deliberate
                try:
                    report = check(case.fn, case.inputs, eps=case.eps or eps, atol=atol, rtol=rtol,
                                   raise_exception=False, fast_mode=fast_mode)
                    passed, text = report.passed, str(report)
                    abs_err, rel_err = report.max_abs_error, report.max_rel_error
                except Exception as err:  # noqa: BLE001 - an op that crashes is a failing row
                    passed, text = False, f"{type(err).__name__}: {err}"
                    abs_err = rel_err = float("nan")
            results.append({"op": case.op, "shapes": case.shapes, "order": order, "max_abs_error": abs_err,
                            "max_rel_error": rel_err, "passed": passed,
                            "seconds": round(time.perf_counter() - start, 4),
                            "report": None if passed else text})
    return results


def format_table(results: list[dict[str, Any]]) -> str:
    w_op = max([len("op")] + [len(r["op"]) for r in results])
    w_sh = max([len("shapes")] + [len(r["shapes"]) for r in results])
    show_order = len({r["order"] for r in results}) > 1
    lines = [f"{'op':<{w_op}}  {'shapes':<{w_sh}}" + ("  order" if show_order else "")
             + f"  {'max abs error':>13}  {'max rel error':>13}  result"]
    for r in results:
        order = f"  {r['order']:>5}" if show_order else ""
        lines.append(f"{r['op']:<{w_op}}  {r['shapes']:<{w_sh}}{order}"
                     + f"  {r['max_abs_error']:>13.3g}  {r['max_rel_error']:>13.3g}  "
                     + ("pass" if r["passed"] else "FAIL"))
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="tinygrad-softmax gradcheck",
        description="Gradient-check every built-in op (add, sub, mul, div, neg, pow, matmul, exp, log, tanh, "
                    "sum, max, getitem, reshape, transpose, broadcast_to, astype, a few composites) and both "
                    "cross-entropy paths (functional.cross_entropy, composed from primitives, and "
                    "functional.softmax_cross_entropy, the fused closed form) against float64 central "
                    "differences, on a few shapes each. Prints one row per check; exits with 1 if any fails.",
        epilog="Errors: |analytic - numerical| over all Jacobian entries; the relative error is taken where "
               "|numerical| > atol. Inputs are drawn in each op's domain (log: x > 0, max: tie-free, "
               "relu: |x| >= 0.5).")
    p.add_argument("--seed", type=int, default=0, help="seed of the input generator (default 0)")
    p.add_argument("--json", action="store_true", help="print the results as JSON instead of a table")
    p.add_argument("--second-order", action="store_true",
                   help="also run gradgradcheck (second derivatives through create_graph=True)")
    p.add_argument("--only", metavar="OP", action="append", default=None,
                   help="check only this op (repeatable), e.g. --only matmul --only cross_entropy")
    p.add_argument("--fast", action="store_true",
                   help="fast mode: random projections first, full Jacobian only on a mismatch")
    p.add_argument("--eps", type=float, default=1e-6, help="finite-difference step (default 1e-6)")
    p.add_argument("--atol", type=float, default=1e-5, help="absolute tolerance (default 1e-5)")
    p.add_argument("--rtol", type=float, default=1e-3, help="relative tolerance (default 1e-3)")
    p.add_argument("--list", action="store_true", help="list the op names and exit")
    return p


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if not args.eps > 0:  # also rejects nan
        parser.error(f"--eps must be > 0, got {args.eps}")
    for name in ("atol", "rtol"):
        if not getattr(args, name) >= 0:
            parser.error(f"--{name} must be >= 0, got {getattr(args, name)}")
    cases = build_cases(args.seed)
    names = list(dict.fromkeys(c.op for c in cases))
    if args.list:
        print("\n".join(names))
        return 0
    if args.only:
        unknown = [o for o in args.only if o not in names]
        if unknown:
            print(f"tinygrad-softmax gradcheck: unknown op(s) {unknown}; choose from {names}",
                  file=sys.stderr)
            return 2
        cases = [c for c in cases if c.op in args.only]
    results = run(cases, second_order=args.second_order, eps=args.eps, atol=args.atol, rtol=args.rtol,
                  fast_mode=args.fast)
    failed = [r for r in results if not r["passed"]]
    if args.json:
        print(json.dumps({"seed": args.seed, "eps": args.eps, "atol": args.atol, "rtol": args.rtol,
                          "passed": not failed, "n_checks": len(results), "n_failed": len(failed),
                          "results": results}, indent=2, allow_nan=True))
    else:
        print(format_table(results))
        print(f"\n{len(results) - len(failed)} of {len(results)} checks passed (seed {args.seed}, "
              f"eps {args.eps:g}, atol {args.atol:g}, rtol {args.rtol:g})")
        for r in failed:
            print(f"\n--- {r['op']} {r['shapes']} (order {r['order']}) ---\n{r['report']}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
