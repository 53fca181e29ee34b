"""Issue 12, reviewed point by point: the cross-cutting promises that no single part's tests own.

* ``axis``/``dim`` and ``keepdims``/``keepdim`` are accepted by every public function and method that
  takes an axis (a table of them), giving both spellings is a TypeError, and an axis out of range
  is an ``AxisError`` (an IndexError, as PyTorch raises, and a ValueError) everywhere;
* every differentiable op of the gradcheck table has right second derivatives (gradgradcheck);
* the gradient-free ops stay gradient-free.
References are NumPy's results for the same call.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import tinygrad_softmax as tg
from tinygrad_softmax import AxisError, Tensor, TensorIndexError
from tinygrad_softmax import functional as F
from tinygrad_softmax.commands import gradcheck as gradcheck_report

A = np.arange(24.0).reshape(2, 3, 4) - 11.5  # distinct values: max/argmax have no ties


def _pieces(out: Any) -> list[np.ndarray]:
    """The result's arrays: one, or one per piece of split/chunk."""
    return [o.data for o in out] if isinstance(out, tuple) else [out.data]


# name, call taking (tensor, **axis_kwargs), the NumPy reference at axis 1, and whether keepdims applies
AXIS_CALLS: list[tuple[str, Callable[..., Any], Callable[[np.ndarray], Any], bool]] = [
    ("sum", lambda t, **k: t.sum(**k), lambda a: a.sum(axis=1), True),
    ("mean", lambda t, **k: t.mean(**k), lambda a: a.mean(axis=1), True),
    ("amax", lambda t, **k: t.amax(**k), lambda a: a.max(axis=1), True),
    ("amin", lambda t, **k: t.amin(**k), lambda a: a.min(axis=1), True),
    ("prod", lambda t, **k: t.prod(**k), lambda a: a.prod(axis=1), True),
    ("var", lambda t, **k: t.var(correction=1, **k), lambda a: a.var(axis=1, ddof=1), True),
    ("std", lambda t, **k: t.std(correction=0, **k), lambda a: a.std(axis=1), True),
    ("any", lambda t, **k: (t > 0).any(**k), lambda a: (a > 0).any(axis=1), True),
    ("all", lambda t, **k: (t > 0).all(**k), lambda a: (a > 0).all(axis=1), True),
    ("argmax", lambda t, **k: t.argmax(**k), lambda a: a.argmax(axis=1), True),
    ("argmin", lambda t, **k: t.argmin(**k), lambda a: a.argmin(axis=1), True),
    ("logsumexp method", lambda t, **k: t.logsumexp(**k),
     lambda a: np.log(np.exp(a).sum(axis=1)), True),
    ("functional.logsumexp", lambda t, **k: F.logsumexp(t, **k),
     lambda a: np.log(np.exp(a).sum(axis=1)), True),
    ("cumsum", lambda t, **k: t.cumsum(**k), lambda a: a.cumsum(axis=1), False),
    ("softmax method", lambda t, **k: t.softmax(**k),
     lambda a: np.exp(a) / np.exp(a).sum(axis=1, keepdims=True), False),
    ("log_softmax method", lambda t, **k: t.log_softmax(**k),
     lambda a: a - np.log(np.exp(a).sum(axis=1, keepdims=True)), False),
    ("functional.softmax", lambda t, **k: F.softmax(t, **k),
     lambda a: np.exp(a) / np.exp(a).sum(axis=1, keepdims=True), False),
    ("functional.log_softmax", lambda t, **k: F.log_softmax(t, **k),
     lambda a: a - np.log(np.exp(a).sum(axis=1, keepdims=True)), False),
    ("unsqueeze", lambda t, **k: t.unsqueeze(**k), lambda a: np.expand_dims(a, 1), False),
    ("expand_dims", lambda t, **k: t.expand_dims(**k), lambda a: np.expand_dims(a, 1), False),
    ("squeeze", lambda t, **k: t[:, :1].squeeze(**k), lambda a: a[:, :1].squeeze(axis=1), False),
    ("flip", lambda t, axis=None, dim=None: t.flip(axis=axis, dims=dim), lambda a: np.flip(a, 1), False),
    ("split method", lambda t, **k: t.split(2, **k), lambda a: [a[:, :2], a[:, 2:]], False),
    ("chunk method", lambda t, **k: t.chunk(2, **k), lambda a: [a[:, :2], a[:, 2:]], False),
    ("split function", lambda t, **k: tg.split(t, 2, **k), lambda a: [a[:, :2], a[:, 2:]], False),
    ("chunk function", lambda t, **k: tg.chunk(t, 2, **k), lambda a: [a[:, :2], a[:, 2:]], False),
    ("gather", lambda t, **k: t.gather(index=np.zeros((2, 1, 4), np.int64), **k),
     lambda a: a[:, :1], False),
    ("take_along_axis", lambda t, **k: tg.take_along_axis(t, np.zeros((2, 1, 4), np.int64), **k),
     lambda a: a[:, :1], False),
    ("cat", lambda t, **k: tg.cat([t, t], **k), lambda a: np.concatenate([a, a], axis=1), False),
    ("concatenate", lambda t, **k: tg.concatenate([t, t], **k), lambda a: np.concatenate([a, a], axis=1),
     False),
    ("stack", lambda t, **k: tg.stack([t, t], **k), lambda a: np.stack([a, a], axis=1), False),
]
IDS = [c[0] for c in AXIS_CALLS]


@pytest.mark.parametrize("name, call, ref, keeps", AXIS_CALLS, ids=IDS)
def test_axis_and_dim_are_the_same_argument(name, call, ref, keeps):
    t = Tensor(A)
    want = ref(A)
    want = want if isinstance(want, list) else [want]
    by_axis, by_dim = _pieces(call(t, axis=1)), _pieces(call(t, dim=1))
    assert len(by_axis) == len(by_dim) == len(want)
    for a, b, w in zip(by_axis, by_dim, want):
        np.testing.assert_allclose(a.astype(float), np.asarray(w, dtype=float), rtol=1e-12)
        np.testing.assert_array_equal(a, b)
    with pytest.raises(TypeError):
        call(t, axis=1, dim=1)


@pytest.mark.parametrize("name, call, ref, keeps", [c for c in AXIS_CALLS if c[3]],
                         ids=[c[0] for c in AXIS_CALLS if c[3]])
def test_keepdims_and_keepdim_are_the_same_argument(name, call, ref, keeps):
    t = Tensor(A)
    want = np.expand_dims(np.asarray(ref(A)), 1)
    a, b = call(t, axis=1, keepdims=True), call(t, dim=1, keepdim=True)
    assert a.shape == b.shape == want.shape
    np.testing.assert_allclose(a.data.astype(float), want.astype(float), rtol=1e-12)
    with pytest.raises(TypeError):
        call(t, axis=1, keepdims=True, keepdim=True)


def test_max_and_min_take_both_spellings_with_pytorchs_meaning_for_dim():
    t = Tensor(A)
    np.testing.assert_array_equal(t.max(axis=1, keepdims=True).data, A.max(axis=1, keepdims=True))
    values, indices = t.min(dim=1, keepdim=True)
    np.testing.assert_array_equal(values.data, A.min(axis=1, keepdims=True))
    np.testing.assert_array_equal(indices.data, A.argmin(axis=1)[:, None])


OUT_OF_RANGE = {name: call for name, call, _, _ in AXIS_CALLS}
OUT_OF_RANGE.update({
    "max(dim=)": lambda t, **k: t.max(**k), "min(axis=)": lambda t, **k: t.min(**k),
    "transpose": lambda t, axis: t.transpose(0, axis), "swapaxes": lambda t, axis: t.swapaxes(axis, 0),
    "flatten": lambda t, axis: t.flatten(axis), "nn.Flatten": lambda t, axis: tg.nn.Flatten(axis)(t),
    "size": lambda t, axis: t.size(axis), "functional.softmax positional": lambda t, axis: F.softmax(t, axis),
})


@pytest.mark.parametrize("name", list(OUT_OF_RANGE))
@pytest.mark.parametrize("axis", [5, -6])
def test_an_axis_out_of_range_is_an_axis_error_everywhere(name, axis):
    call = OUT_OF_RANGE[name]
    with pytest.raises(AxisError, match="out of range") as info:
        call(Tensor(A), axis=axis)
    assert isinstance(info.value, IndexError) and isinstance(info.value, ValueError)
    assert isinstance(info.value, TensorIndexError)  # one family: the index errors of the package


def test_every_differentiable_op_of_the_table_has_right_second_derivatives():
    results = gradcheck_report.run(gradcheck_report.build_cases(), second_order=True)
    failed = [(r["op"], r["shapes"], r["order"]) for r in results if not r["passed"]]
    assert not failed
    second = {r["op"] for r in results if r["order"] == 2}
    # every op of the table but the two tie rows (whose gradient jumps there) is checked twice
    assert second == {c.op for c in gradcheck_report.build_cases()}


def test_repeat_means_pytorchs_tile_and_refuses_numpys_axis():
    t = Tensor([1.0, 2.0])
    np.testing.assert_array_equal(t.repeat(2).data, np.tile([1.0, 2.0], 2))  # not [1, 1, 2, 2]
    with pytest.raises(TypeError, match="np.tile"):
        t.repeat(2, axis=0)
    with pytest.raises(ValueError, match="at least"):  # NumPy's a.repeat(2) on 2-D flattens; PyTorch refuses
        Tensor(np.ones((2, 2))).repeat(2)


def test_logsumexp_axis_none_reduces_every_axis_as_numpy_and_as_before():
    # Before issue 12, F.logsumexp(x, axis=None) reduced every axis (NumPy's and SciPy's meaning);
    # the dim/axis merge had quietly turned an explicit None into the default −1.
    a = np.arange(6.0).reshape(2, 3)
    everything = np.log(np.exp(a).sum())
    assert np.isclose(F.logsumexp(Tensor(a), axis=None).item(), everything)
    assert F.logsumexp(Tensor(a), dim=None, keepdim=True).shape == (1, 1)
    np.testing.assert_allclose(F.logsumexp(Tensor(a)).data, np.log(np.exp(a).sum(axis=-1)))  # default: −1
    with pytest.raises(TypeError):
        F.logsumexp(Tensor(a), axis=0, dim=0)


def test_arange_takes_end_as_a_keyword_as_pytorch():
    np.testing.assert_array_equal(tg.arange(end=4).data, np.arange(4))
    np.testing.assert_array_equal(tg.arange(1, end=7, step=2).data, np.arange(1, 7, 2))
    assert tg.arange(end=4).dtype == np.int64 and tg.arange(end=4.0).dtype == np.float64


DERIVATIVE_WORDS = ("backward", "gradient", "derivative")
NOT_OPS = {"requires_grad", "requires_grad_", "is_leaf", "retain_grad", "detach", "backward", "shape", "ndim",
           "dtype", "size", "item", "numpy", "tolist", "grad_fn", "grad", "data"}


def _public_functions() -> list[tuple[str, Any]]:
    import inspect

    from tinygrad_softmax import creation, joining

    found = []
    members = {k: v for cls in reversed(Tensor.__mro__[:-1]) for k, v in vars(cls).items()}  # inherited too
    for name, value in members.items():
        value = value.fget if isinstance(value, property) else value
        if not name.startswith("_") and name not in NOT_OPS and inspect.isfunction(value):
            found.append((f"Tensor.{name}", value))
    for module in (F, joining, creation):
        found += [(f"{module.__name__}.{n}", getattr(module, n)) for n in module.__all__
                  if inspect.isfunction(getattr(module, n))]
    for name in ("Linear", "LayerNorm", "Embedding", "Flatten", "Identity", "Sigmoid", "GELU", "SiLU",
                 "Dropout", "ReLU", "Tanh"):
        found.append((f"nn.{name}", getattr(tg.nn, name)))
    return found


@pytest.mark.parametrize("name, obj", _public_functions(), ids=[n for n, _ in _public_functions()])
def test_every_op_states_its_derivative_in_its_docstring(name, obj):
    # docs/api.md is generated from these docstrings: the reference lists every op with its derivative
    doc = (obj.__doc__ or "").lower()
    assert any(w in doc for w in DERIVATIVE_WORDS), f"{name}: the docstring does not state the derivative"


def test_the_api_reference_has_a_row_per_primitive_op_with_its_derivative():
    import inspect
    from pathlib import Path

    from tinygrad_softmax import ops

    page = (Path(__file__).resolve().parents[1] / "docs" / "api.md").read_text(encoding="utf-8")
    rows = {line.split("`")[1]: line for line in page.splitlines() if line.startswith("| `")}
    functions = [n for n, o in vars(ops).items()
                 if inspect.isclass(o) and issubclass(o, tg.Function) and o.__module__ == ops.__name__]
    assert len(functions) > 40
    for name in functions:
        assert name in rows and any(w in rows[name].lower() for w in DERIVATIVE_WORDS), name


def test_zero_d_tensors_take_dim_0_as_pytorch_and_split_says_it_needs_an_axis():
    t = Tensor(2.0, requires_grad=True)
    for out in (t.flip(0), t.swapaxes(0, -1), t.unsqueeze(0)[0], t.squeeze(0), t.cumsum(dim=0)):
        assert out.shape == () and out.item() == 2.0 and out.grad_fn is not None
    t.flip(0).swapaxes(0, 0).backward()
    assert t.grad.item() == 1.0
    for call in (lambda: t.split(1), lambda: t.chunk(1), lambda: tg.take_along_axis(t, np.array(0), 0)):
        with pytest.raises(ValueError, match="at least one dimension"):
            call()
