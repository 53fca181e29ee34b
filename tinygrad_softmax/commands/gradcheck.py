"""``tinygrad-softmax gradcheck``: gradient-check every built-in op and both cross-entropy paths.

Each row of the op catalog (``tinygrad_softmax.op_catalog``, which the tests run too) runs
:func:`~tinygrad_softmax.gradcheck` (and with ``--second-order`` also
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
from typing import Any

from ..gradient_check import LowPrecisionWarning, gradcheck, gradgradcheck
from ..op_catalog import NO_GRADIENT, Case, build_cases

__all__ = ["Case", "build_cases", "run", "format_table", "main"]  # the table lives in op_catalog


def run(cases: list[Case], *, second_order: bool = False, eps: float = 1e-6, atol: float = 1e-5,
        rtol: float = 1e-3, fast_mode: bool = False) -> list[dict[str, Any]]:
    """Check every case; one result dict per (case, order)."""
    results = []
    for case in cases:
        checks: list[tuple[int, Callable[..., Any]]] = [(1, gradcheck)]
        if second_order and case.second_order:
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
        description="Gradient-check every differentiable built-in op against float64 central differences, on "
                    "a few shapes each: arithmetic (add ... pow, matmul), elementwise functions (exp, log, "
                    "tanh, sqrt, abs, sigmoid, clamp/clip, maximum/minimum, sin, cos, log1p, expm1, square, "
                    "and sign/floor/ceil/round, whose gradient is zero), reductions (sum, mean, max/min "
                    "incl. ties, prod, var, std, cumsum, logsumexp), shape ops (getitem, reshape/view, "
                    "transpose/permute, broadcast_to/expand, unsqueeze/squeeze, flatten, flip, repeat, "
                    "cat, stack, split, chunk, gather, take_along_axis, masked_fill, where, pad, astype), "
                    "activations and losses of functional (relu, leaky_relu, elu, gelu, silu, softplus, "
                    "softmax, log_softmax, dropout, mse/l1/nll losses, binary cross-entropy with and "
                    "without logits, both cross-entropy paths), einsum, and the layers nn.Linear, "
                    "LayerNorm, Embedding, Flatten, Dropout, Sigmoid, GELU, SiLU, Identity. The creation "
                    "functions (zeros ... randn, *_like), argmax/argmin, any/all and one_hot have no "
                    "gradient and are listed, not checked. --list names them all. Prints one row per "
                    "check; exits with 1 if any fails.",
        epilog="Errors: |analytic - numerical| over all Jacobian entries; the relative error is taken where "
               "|numerical| > atol. Inputs are drawn in each op's domain (log: x > 0, max: tie-free or "
               "two-way ties, relu: |x| >= 0.5). To check your own code: tinygrad-softmax gradcheck "
               "path/to/module.py:Name --shape 3,4 --shape 4 (see gradient_check.command).")
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


def _no_gradient_note() -> str:
    return "# no gradient, not checked: " + ", ".join(NO_GRADIENT)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and not argv[0].startswith("-") and (":" in argv[0] or argv[0].endswith(".py")):
        from ..gradient_check.command import main as check_yours  # your own Function or (loss, grad)

        return check_yours(argv)
    parser = _parser()
    args = parser.parse_args(argv)
    if not args.eps > 0:  # also rejects nan
        parser.error(f"--eps must be > 0, got {args.eps}")
    for name in ("atol", "rtol"):
        if not getattr(args, name) >= 0:
            parser.error(f"--{name} must be >= 0, got {getattr(args, name)}")
    cases = build_cases(args.seed)
    names = list(dict.fromkeys(c.op for c in cases))
    if args.list:
        print("\n".join(names))
        print(_no_gradient_note())
        return 0
    if args.only:
        unknown = [o for o in args.only if o not in names]
        if unknown:
            why = "".join(f"; {o} has no gradient ({NO_GRADIENT[o]})" for o in unknown if o in NO_GRADIENT)
            print(f"tinygrad-softmax gradcheck: unknown op(s) {unknown}{why}; choose from {names}",
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
        if not args.only:
            print(_no_gradient_note())
        for r in failed:
            print(f"\n--- {r['op']} {r['shapes']} (order {r['order']}) ---\n{r['report']}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
