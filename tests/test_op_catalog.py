"""The op catalog (``tinygrad_softmax.op_catalog``) run as tests: every row passes ``gradcheck``
and ``gradgradcheck`` (float64 central differences of the row's own function), and the catalog
covers every op in ops.py. The same table is what ``tinygrad-softmax gradcheck`` prints."""

from __future__ import annotations

import inspect
import warnings

import numpy as np
import pytest

from tinygrad_softmax import Function, Tensor, gradcheck, gradgradcheck, ops
from tinygrad_softmax.gradient_check import LowPrecisionWarning
from tinygrad_softmax.hooks import Observer, observe
from tinygrad_softmax.op_catalog import build_cases

CASES = build_cases(0)


# second derivatives for every row except where the first derivative jumps at the row's inputs (ties)
CHECKS = [(c, gradcheck) for c in CASES] + [(c, gradgradcheck) for c in CASES if c.second_order]


IDS = [f"{'first' if k is gradcheck else 'second'}-{c.op}: {c.shapes}" for c, k in CHECKS]


@pytest.mark.parametrize("case, check", CHECKS, ids=IDS)
def test_every_catalog_row_passes(case, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LowPrecisionWarning)  # the float32 rows are deliberate
        report = check(case.fn, case.inputs, eps=case.eps or 1e-6, atol=1e-5, rtol=1e-3,
                       raise_exception=False)
    assert report.passed, str(report)


class _Ops(Observer):
    def __init__(self) -> None:
        self.seen: set[type] = set()

    def forward(self, op, inputs, result):
        self.seen.add(type(op))


def test_the_catalog_runs_every_op_of_ops_py_forward_or_in_a_recorded_backward():
    with observe(_Ops()) as ops_seen:
        for case in CASES:
            leaves = [Tensor(a, requires_grad=True) if isinstance(a, np.ndarray) and a.dtype.kind == "f"
                      else a for a in case.inputs]
            out = case.fn(*leaves)
            out.backward(np.ones(out.shape), create_graph=True)  # backward formulas run as ops too
    defined = {cls for name, cls in inspect.getmembers(ops, inspect.isclass)  # _Private: a base class
               if issubclass(cls, Function) and cls.__module__ == ops.__name__ and not name.startswith("_")}
    missing = sorted(cls.__name__ for cls in defined - ops_seen.seen)
    assert not missing, f"ops with no row in op_catalog.build_cases: {missing}"


def test_a_wrong_backward_fails_its_rows(monkeypatch):
    monkeypatch.setattr(ops.Exp, "backward", staticmethod(lambda ctx, g: g))  # should be g * exp(x)
    row = next(c for c in CASES if c.op == "exp")
    assert not gradcheck(row.fn, row.inputs, raise_exception=False).passed
