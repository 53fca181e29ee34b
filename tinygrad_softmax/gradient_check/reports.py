"""The reports: what a check found, printable as a table, truthy when it passed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np


def _index_str(shape: tuple[int, ...], flat: int) -> str:
    if not shape:
        return ""
    return "[" + ", ".join(str(i) for i in np.unravel_index(flat, shape)) + "]"


@dataclass
class InputCheck:
    """The verdict on one checked input (the data behind one block of a :class:`GradcheckReport`).

    ``analytic`` and ``numerical`` are the Jacobians, shape (output size, input size): row k, column j
    is ∂out[k]/∂x[j] (for the fast mode before its fallback, they are not computed: None).
    Errors are |analytic − numerical|; an entry fails when its error exceeds atol + rtol·|numerical|
    (``np.allclose``'s rule). The relative error is |analytic − numerical| / |numerical| over entries
    with |numerical| > atol (near zero only the absolute error means something).
    """

    position: int | str
    name: str | None
    label: str
    shape: tuple[int, ...]
    dtype: str
    analytic: np.ndarray | None = None
    numerical: np.ndarray | None = None
    max_abs_error: float = 0.0
    max_rel_error: float = 0.0
    worst_index: tuple[int, ...] | None = None        # into the input
    worst_output_index: tuple[int, ...] | None = None  # into the output
    analytic_value: float | None = None
    numerical_value: float | None = None
    n_failed: int = 0             # input elements with at least one failing Jacobian entry
    n_elements: int = 0
    n_failed_entries: int = 0
    n_entries: int = 0
    problems: list[str] = field(default_factory=list)   # errors that fail this input
    notes: list[str] = field(default_factory=list)      # diagnoses and remarks
    kinks: list[tuple[int, ...]] = field(default_factory=list)
    checked: bool = True          # False when backward failed before reaching this input

    @property
    def passed(self) -> bool:
        return self.checked and self.n_failed_entries == 0 and not self.problems

    @property
    def status(self) -> str:
        if not self.checked:
            return "NOT CHECKED"
        return "ok" if self.passed else "FAILED"


class _Report:
    """What both reports share: ``inputs`` (one check per input), truthy when all passed, and
    ``report["W"]`` / ``report[2]`` to pick an input by name, keyword or position."""

    inputs: list[Any]

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.inputs)

    def __bool__(self) -> bool:
        return self.passed

    def __getitem__(self, key: int | str) -> Any:
        for c in self.inputs:
            if key in (c.position, c.name, c.label):
                return c
        raise KeyError(f"no checked input {key!r}; checked: {[c.label for c in self.inputs]}")


class GradcheckReport(_Report):
    """The result of :func:`gradcheck` or :func:`gradgradcheck`: truthy when every input passed,
    printable, with one :class:`InputCheck` per checked input in ``inputs``.

    ``report["W"]`` or ``report[2]`` picks an input by name, keyword or position; ``report.failed``
    lists the inputs that failed, ``report.unchecked`` those a crashing backward never reached (the
    report is falsy then too).
    """

    def __init__(self, *, order: int, mode: str, eps: float, atol: float, rtol: float,
                 output_shape: tuple[int, ...], inputs: list[InputCheck], notes: list[str],
                 output_label: Callable[[int], str]) -> None:
        self.order, self.mode = order, mode
        self.eps, self.atol, self.rtol = eps, atol, rtol
        self.output_shape = output_shape
        self.inputs = inputs
        self.notes = notes
        self._output_label = output_label

    @property
    def failed(self) -> list[InputCheck]:
        """The inputs whose check failed (not those left unchecked because backward crashed)."""
        return [c for c in self.inputs if c.checked and not c.passed]

    @property
    def unchecked(self) -> list[InputCheck]:
        return [c for c in self.inputs if not c.checked]

    @property
    def max_abs_error(self) -> float:
        return max((c.max_abs_error for c in self.inputs), default=0.0)

    @property
    def max_rel_error(self) -> float:
        return max((c.max_rel_error for c in self.inputs), default=0.0)

    def __repr__(self) -> str:  # at a prompt, the report itself
        return str(self)

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:  # IPython
        p.text(str(self))

    def __str__(self) -> str:
        what = "first derivatives" if self.order == 1 else "second derivatives"
        tool = "gradcheck" if self.order == 1 else "gradgradcheck"
        lines = [f"{tool} {'passed' if self.passed else 'FAILED'} ({what}, {self.mode}; eps={self.eps:g}, "
                 f"atol={self.atol:g}, rtol={self.rtol:g}); output shape {self.output_shape}"]
        if not self.inputs:
            lines.append("  (no input requires grad: nothing was checked)")
        for c in self.inputs:
            head = f"  {c.label}, shape {c.shape} {c.dtype}: {c.status}"
            if c.checked and (c.n_entries or (self.mode.startswith("fast") and c.analytic_value is not None)):
                head += f"  max abs error {c.max_abs_error:.3g}, max rel error {c.max_rel_error:.3g}"
            lines.append(head)
            if c.checked and c.n_failed_entries:
                entries = (f" ({c.n_failed_entries} of {c.n_entries} Jacobian entries)"
                           if c.n_entries != c.n_elements else "")
                lines.append(f"      {c.n_failed} of {c.n_elements} elements fail{entries}")
                out_k = self._output_label(_flat_of(c.worst_output_index, self.output_shape))
                lines.append(f"      worst: d {out_k} / d {c.name or c.label}"
                             f"{'' if c.worst_index is None else _tuple_str(c.worst_index)}: analytic "
                             f"{c.analytic_value:.10g}, numerical {c.numerical_value:.10g}")
            lines += [f"      error: {p}" for p in c.problems]
            lines += [f"      note: {n}" for n in c.notes]
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


def _tuple_str(index: tuple[int, ...]) -> str:
    return "[" + ", ".join(map(str, index)) + "]" if index else ""


def _flat_of(index: tuple[int, ...] | None, shape: tuple[int, ...]) -> int:
    return int(np.ravel_multi_index(index, shape)) if index else 0

@dataclass
class DerivationCheck:
    """Hand-derived (``expected``), autodiff and finite-difference gradients of one input, which pairs
    agree, and the ``culprit``: "hand-derived", "autodiff", "finite differences", "all three",
    "undecided", or None when all agree.

    Hand-derived vs autodiff, two exact computations, are judged at ``exact_tol`` (rounding only:
    ~1e-10 of the gradient's scale in float64); pairs with the finite differences at their own
    tolerance. ``findings`` name the mistake (see :class:`Finding`); ``n_disagree`` of ``n_compared``
    entries (or sampled measurements) of your gradient disagree with ``compared_with``. In the sampled
    mode ``numerical`` is NaN where no single entry was measured.
    """

    position: int | str
    name: str | None
    label: str
    shape: tuple[int, ...]
    expected: np.ndarray | None
    autodiff: np.ndarray | None
    numerical: np.ndarray
    agree: dict[str, bool] = field(default_factory=dict)   # keys "hand/autodiff", "hand/fd", "autodiff/fd"
    max_diff: dict[str, float] = field(default_factory=dict)
    culprit: str | None = None
    verdict: str = ""
    notes: list[str] = field(default_factory=list)
    findings: list[Any] = field(default_factory=list)
    exact_tol: float | None = None
    n_disagree: int = 0
    n_compared: int = 0
    compared_with: str = ""

    @property
    def passed(self) -> bool:
        return self.culprit is None


class DerivationReport(_Report):
    """The result of :func:`check_derivation`: truthy when your gradient agrees with autodiff and with
    finite differences for every input (or, without autodiff, with finite differences); ``print`` it
    or evaluate it at a prompt for the tables. ``mode`` says how the finite differences ran ("full":
    every entry; "sampled": random directions and a sample of entries), ``autodiff`` whether your
    function ran on Tensors (None) or why not, ``error`` the exception your function raised, if any.
    """

    def __init__(self, inputs: list[DerivationCheck], atol: float, rtol: float, rows: int, *,
                 mode: str = "full", autodiff: str | None = None, error: str | None = None,
                 notes: list[str] | None = None) -> None:
        self.inputs, self.atol, self.rtol, self._rows = inputs, atol, rtol, rows
        self.mode, self.autodiff, self.error = mode, autodiff, error
        self.notes = notes or []

    @property
    def passed(self) -> bool:
        return self.error is None and all(c.passed for c in self.inputs)

    @property
    def failed(self) -> list[DerivationCheck]:
        return [c for c in self.inputs if not c.passed]

    @property
    def findings(self) -> list[Any]:
        """Every input's findings, in order."""
        return [f for c in self.inputs for f in c.findings]

    def __repr__(self) -> str:
        return str(self)

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:  # IPython
        p.text(str(self))

    def __str__(self) -> str:
        if self.error is not None:
            return f"check_derivation: FAILED - {self.error}"
        three = self.autodiff is None
        ok = ("all three agree" if three else "your gradient agrees with finite differences")
        lines = [f"check_derivation: {ok if self.passed else 'DISAGREEMENT'} ({self.mode} finite "
                 f"differences; atol={self.atol:g}, rtol={self.rtol:g})"]
        if not three:
            lines.append(f"  autodiff: not used - {self.autodiff}")
        lines += [f"  note: {n}" for n in self.notes]
        for c in self.inputs:
            lines.append(f"  {c.label}, shape {c.shape}: {c.verdict}")
            diffs = ", ".join(f"{k} {v:.3g}" for k, v in c.max_diff.items())
            lines.append(f"      max |difference|: {diffs}")
            if c.n_disagree:
                what = ("sampled measurements" if "sampled" in self.mode and c.compared_with != "autodiff"
                        else "entries")
                lines.append(f"      {c.n_disagree} of {c.n_compared} {what} disagree with {c.compared_with}")
            lines += [f"      {f.kind}: {f.message}" for f in c.findings]
            lines += [f"      note: {n}" for n in c.notes]
            lines += ["      " + row for row in _three_way_table(c, self._rows)]
        return "\n".join(lines)


def _three_way_table(c: DerivationCheck, rows: int) -> list[str]:
    cols = [("hand-derived", c.expected), ("autodiff", c.autodiff), ("finite diff", c.numerical)]
    flat = {name: (None if a is None or a.shape != c.shape else a.reshape(-1)) for name, a in cols}
    n = c.numerical.size
    if n == 0:
        return []
    hand, auto, fd = flat["hand-derived"], flat["autodiff"], flat["finite diff"]
    right = auto if auto is not None else fd
    diff = None if hand is None or right is None else hand - right
    with np.errstate(invalid="ignore"):
        key = np.abs(diff) if diff is not None else np.zeros(n)
        if diff is not None and auto is None:   # sampled fd: unknown entries go last
            key = np.where(np.isnan(key), -1.0, key)
    # all elements in order when they fit, else the largest disagreements first
    worst_first = np.argsort(-np.nan_to_num(key, nan=np.inf), kind="stable")
    order = np.arange(n) if n <= rows else worst_first[:rows]
    width = max(8, max(len(_index_str(c.shape, int(j))) for j in order) + len(c.name or "x"))
    head = (f"{'element':<{width}}  {'hand-derived':>15}  {'autodiff':>15}  {'finite diff':>15}  "
            f"{'difference':>11}")
    out = [head]

    def fmt(a: np.ndarray | None, j: int, spec: str = ".9g") -> str:
        return "—" if a is None or np.isnan(a[j]) and not np.isnan(hand[j] if hand is not None else 0) \
            else format(a[j], spec)

    for j in order:
        vals = [fmt(flat[name], int(j)) for name, _ in cols] + [fmt(diff, int(j), ".3g")]
        out.append(f"{(c.name or 'x') + _index_str(c.shape, int(j)):<{width}}  " +
                   "  ".join(f"{v:>15}" for v in vals[:3]) + f"  {vals[3]:>11}")
    if rows < n:
        out.append(f"({min(rows, n)} of {n} elements shown, largest disagreement first; difference = "
                   f"hand-derived − {'autodiff' if auto is not None else 'finite diff'})")
    return out


@dataclass
class NodeCheck:
    """One custom Function node checked by :func:`find_wrong_backward`: ``op`` (its class name),
    ``index`` (its position among the graph's nodes, in the order they ran), ``shapes`` of its
    inputs, and for the first wrong input slot: ``slot``, ``kind`` and ``message`` (None when right)."""

    op: str
    index: int
    shapes: list[tuple[int, ...]]
    slot: int | None = None
    kind: str | None = None
    message: str | None = None
    max_abs_error: float = 0.0

    @property
    def passed(self) -> bool:
        return self.slot is None


class BackwardSearchReport:
    """The result of :func:`find_wrong_backward`: every custom node checked, ``wrong`` the first
    whose backward disagrees with finite differences (None if all agree); truthy when none is wrong.
    ``op``, ``slot``, ``kind`` and ``message`` are those of ``wrong``."""

    def __init__(self, nodes: list[NodeCheck], builtin: int, notes: list[str]) -> None:
        self.nodes, self.builtin, self.notes = nodes, builtin, notes
        self.wrong: NodeCheck | None = next((n for n in nodes if not n.passed), None)
        w = self.wrong  # the fields of the first wrong node, None for all when every node agrees
        self.op: str | None = None if w is None else w.op
        self.slot: int | None = None if w is None else w.slot
        self.kind: str | None = None if w is None else w.kind
        self.message: str | None = None if w is None else w.message

    @property
    def passed(self) -> bool:
        return self.wrong is None

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        return str(self)

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:  # IPython
        p.text(str(self))

    def __str__(self) -> str:
        w = self.wrong
        head = ("find_wrong_backward: every custom backward agrees with finite differences" if w is None else
                f"find_wrong_backward: {w.op}.backward is wrong for input {w.slot} ({w.kind})")
        lines = [head, f"  {len(self.nodes)} custom nodes checked one at a time ({self.builtin} built-in "
                       "nodes trusted)"]
        for n in self.nodes:
            shapes = ", ".join(str(s) for s in n.shapes)
            status = "ok" if n.passed else f"WRONG for input {n.slot}: {n.kind}: {n.message}"
            lines.append(f"  #{n.index} {n.op}({shapes}): {status}")
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)
