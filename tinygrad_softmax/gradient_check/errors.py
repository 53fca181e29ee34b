"""The two things a failed check hands you: :class:`GradcheckError` and :class:`LowPrecisionWarning`."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .reports import BackwardSearchReport, DerivationReport, GradcheckReport


class GradcheckError(AssertionError):
    """A gradient check failed. ``str(error)`` is the full report; ``error.report`` holds the data.

    It is an ``AssertionError`` (PyTorch's ``GradcheckError`` is a ``RuntimeError``) because a failed
    check is a failed assertion about *your* code, not a malfunction: pytest and unittest report it as
    a test failure, and ``pytest.raises(AssertionError)`` catches it. Misuse of the checker itself
    (a non-Tensor output, a bad ``expected``) raises TypeError/ValueError instead.
    """

    def __init__(self, report: GradcheckReport | DerivationReport | BackwardSearchReport) -> None:
        super().__init__(str(report))
        self.report = report


class LowPrecisionWarning(UserWarning):
    """An input is not float64, so the analytic side of a check carries float32-size rounding."""

