"""Hypothesis properties of the two softmax cross-entropies (deterministic under the "ci" profile).

Every drawn problem has a random batch size (0 allowed where meaningful), class count, dtype,
logits (moderate for finite differences, up to 1e4 for stability), class-index or probability
targets, optional class weights, ignored samples, label smoothing, reduction and, sometimes, an
extra spatial axis. Oracles: central differences of the NumPy restatement of PyTorch's formulas
(tests/_ce_oracle.py), the blog's closed form (tinygrad_softmax.reference), and the analytic Hessian.
"""

from __future__ import annotations

import numpy as np
import pytest
from _ce_oracle import central_difference, np_softmax, torch_cross_entropy
from hypothesis import given, note, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tinygrad_softmax import Tensor
from tinygrad_softmax import functional as F
from tinygrad_softmax import reference as R
from tinygrad_softmax.testing import arrays, assert_close

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")  # NumPy overflow, divide, invalid

LOSSES = [F.cross_entropy, F.softmax_cross_entropy]


@st.composite
def problems(draw, scale=20.0, min_n=1, max_n=5, max_c=5, spatial=True, dtypes=(np.float64,)):
    """(logits, target, kwargs) for one cross-entropy call, plus the upstream gradient."""
    n = draw(st.integers(min_n, max_n))
    c = draw(st.integers(1, max_c))
    extra = draw(st.sampled_from([(), (), (2,)])) if spatial else ()
    dtype = draw(st.sampled_from(dtypes))
    shape = (n, c, *extra)
    batch = (n, *extra)
    x = draw(arrays(shape, min_value=-scale, max_value=scale)).astype(dtype)
    kw: dict = {"reduction": draw(st.sampled_from(["mean", "sum", "none"]))}
    kw["label_smoothing"] = draw(st.sampled_from([0.0, 0.0, 0.1, 1.0]) | st.floats(0.0, 1.0))
    if draw(st.booleans()):
        kw["weight"] = draw(arrays((c,), min_value=0.1, max_value=3.0))
    if draw(st.booleans()):  # class indices, some maybe ignored
        t = draw(hnp.arrays(np.int64, batch, elements=st.integers(0, c - 1)))
        if draw(st.booleans()):
            ignore = draw(st.sampled_from([-100, -1, 0]))
            if ignore != -100:
                kw["ignore_index"] = ignore
            t = np.where(draw(hnp.arrays(np.bool_, batch)), ignore, t)
    else:  # probabilities: normalised non-negative draws (a zero row becomes uniform)
        raw = draw(arrays(shape, min_value=0.0, max_value=1.0))
        sums = raw.sum(axis=1, keepdims=True)
        t = np.where(sums > 0, raw / np.where(sums > 0, sums, 1.0), 1.0 / c)
    out_shape = batch if kw["reduction"] == "none" else ()
    upstream = draw(arrays(out_shape, min_value=-3.0, max_value=3.0))
    note(f"logits={x!r}\ntarget={t!r}\nkwargs={kw!r}\nupstream={upstream!r}")
    return x, t, kw, upstream


def run(f, x, t, kw, upstream, create_graph=False):
    xt = Tensor(x, requires_grad=True)
    out = f(xt, t, **kw)
    out.backward(upstream.astype(x.dtype), create_graph=create_graph)
    return out, xt


# ---- gradients against central differences --------------------------------------------------------
@pytest.mark.parametrize("f", LOSSES, ids=["composed", "fused"])
@given(problems())
@settings(max_examples=40)
def test_gradient_matches_central_differences(f, problem):
    x, t, kw, upstream = problem
    out, xt = run(f, x, t, kw, upstream)
    expected = torch_cross_entropy(x, t, **kw)
    assert_close(out.data, expected, rtol=1e-11, atol=1e-12)
    if np.isnan(expected).any():  # mean over an all-ignored batch: nan loss, zero gradient (PyTorch)
        assert_close(xt.grad.data, np.zeros_like(x), rtol=0, atol=0)
        return
    fd = central_difference(lambda z: torch_cross_entropy(z, t, **kw), x, upstream)
    assert_close(xt.grad.data, fd, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("f", LOSSES, ids=["composed", "fused"])
@given(problems(spatial=False), st.data())
@settings(max_examples=25)
def test_gradient_with_respect_to_probability_targets(f, problem, data):
    x, t, kw, upstream = problem
    if t.dtype.kind != "f":
        t = np.full(x.shape, 1.0 / x.shape[1])
    kw.pop("ignore_index", None)
    tt = Tensor(t, requires_grad=True)
    f(Tensor(x), tt, **kw).backward(upstream)
    # The loss is linear in t; probe it along directions that keep every row summing to 1.
    d = data.draw(arrays(x.shape, min_value=-1.0, max_value=1.0))
    d = d - d.mean(axis=1, keepdims=True)
    h = 1e-3
    up = np.sum(torch_cross_entropy(x, t + h * d, **kw) * upstream)
    down = np.sum(torch_cross_entropy(x, t - h * d, **kw) * upstream)
    assert np.sum(tt.grad.data * d) == pytest.approx((up - down) / (2 * h), rel=1e-6, abs=1e-8)


# ---- the two paths agree ---------------------------------------------------------------------------
@given(problems(scale=50.0, min_n=0, max_n=6, max_c=6))
def test_composed_and_fused_agree_to_1e_10_in_float64(problem):
    x, t, kw, upstream = problem
    a, xa = run(F.cross_entropy, x, t, kw, upstream)
    b, xb = run(F.softmax_cross_entropy, x, t, kw, upstream)
    assert_close(a.data, b.data, rtol=1e-10, atol=1e-10)
    assert_close(xa.grad.data, xb.grad.data, rtol=1e-10, atol=1e-10)


@given(problems(scale=1e4, dtypes=(np.float32, np.float64)))
def test_large_logits_stay_finite_keep_dtype_and_agree(problem):
    x, t, kw, upstream = problem
    a, xa = run(F.cross_entropy, x, t, kw, upstream)
    b, xb = run(F.softmax_cross_entropy, x, t, kw, upstream)
    index_targets = t.shape != x.shape
    if index_targets and kw.get("reduction", "mean") == "mean" \
            and np.all(t == kw.get("ignore_index", -100)):
        # every target ignored: the mean over no samples is nan (PyTorch), the gradient is 0
        for out, xt in ((a, xa), (b, xb)):
            assert np.isnan(out.data) and not np.any(xt.grad.data)
        return
    for out, xt in ((a, xa), (b, xb)):
        assert out.dtype == x.dtype and xt.grad.dtype == x.dtype
        assert np.all(np.isfinite(out.data)) and np.all(np.isfinite(xt.grad.data))
    expected = torch_cross_entropy(x.astype(np.float64), t, **kw)
    tol = 2e-6 if x.dtype == np.float32 else 1e-12
    for out in (a, b):
        assert_close(out.data, expected.astype(x.dtype), rtol=tol, atol=tol * np.abs(x).max(initial=1))
    assert_close(xa.grad.data, xb.grad.data, rtol=tol, atol=tol * 10)


# ---- the blog's model, end to end -----------------------------------------------------------------
@pytest.mark.parametrize("f", LOSSES, ids=["composed", "fused"])
@given(st.data())
@settings(max_examples=30)
def test_blog_model_autodiff_equals_closed_form(f, data):
    n = data.draw(st.integers(1, 8), label="N")
    d = data.draw(st.integers(1, 4), label="D")
    c = data.draw(st.integers(1, 5), label="C")
    X = data.draw(arrays((n, d), min_value=-5.0, max_value=5.0), label="X")
    W0 = data.draw(arrays((d, c), min_value=-3.0, max_value=3.0), label="W")
    b0 = data.draw(arrays((c,), min_value=-3.0, max_value=3.0), label="b")
    y = data.draw(hnp.arrays(np.int64, (n,), elements=st.integers(0, c - 1)), label="y")
    reg = data.draw(st.floats(0.0, 2.0), label="reg")
    W, b = Tensor(W0, requires_grad=True), Tensor(b0, requires_grad=True)
    loss = f(Tensor(X) @ W + b, y) + 0.5 * reg * (W * W).sum()
    loss.backward()
    ref_loss, dW, db = R.loss_and_gradients(X, y, W0, b0, reg)
    assert loss.item() == pytest.approx(ref_loss, rel=1e-10, abs=1e-12)
    assert_close(W.grad.data, dW, rtol=1e-9, atol=1e-12)
    assert_close(b.grad.data, db, rtol=1e-9, atol=1e-12)


# ---- second order ----------------------------------------------------------------------------------
def analytic_row_hessian(x, t, kw, upstream, n):
    """H_n = scale_n · q_n · (diag(p_n) − p_n p_nᵀ): q_n is the total target mass of row n after weights
    and smoothing, scale_n what the reduction multiplies row n's loss by."""
    c = x.shape[1]
    w = kw.get("weight", np.ones(c))
    eps = kw.get("label_smoothing", 0.0)
    p = np_softmax(x[n])
    if t.dtype.kind == "f":
        q = np.sum(w * ((1 - eps) * t[n] + eps / c))
        denominator = x.shape[0]
    else:
        valid = t != kw.get("ignore_index", -100)
        if not valid[n]:
            return np.zeros((c, c))  # an ignored row contributes nothing
        q = (1 - eps) * w[t[n]] + eps / c * w.sum()
        denominator = np.sum(w[t[valid]])
    scale = {"mean": 1.0 / denominator, "sum": 1.0, "none": None}[kw["reduction"]]
    scale = upstream[n] if scale is None else scale * upstream
    return scale * q * (np.diag(p) - np.outer(p, p))


@pytest.mark.parametrize("f", LOSSES, ids=["composed", "fused"])
@given(problems(spatial=False), st.data())
@settings(max_examples=30)
def test_hessian_of_one_row_by_double_backward(f, problem, data):
    x, t, kw, upstream = problem
    n = data.draw(st.integers(0, x.shape[0] - 1), label="row")
    out, xt = run(f, x, t, kw, upstream, create_graph=True)
    g = xt.grad
    rows = []
    for j in range(x.shape[1]):
        xt.grad = None
        g[n, j].backward(retain_graph=True)
        zeros = np.zeros((x.shape[0] - 1,) + x.shape[1:], dtype=x.dtype)
        other = np.delete(xt.grad.data, n, axis=0) if xt.grad is not None else zeros
        assert_close(other, zeros, atol=1e-14)  # rows of logits do not interact
        rows.append(xt.grad.data[n] if xt.grad is not None else np.zeros(x.shape[1]))
    assert_close(np.array(rows), analytic_row_hessian(x, t, kw, upstream, n),
                               rtol=1e-9, atol=1e-12)


# ---- invariants --------------------------------------------------------------------------------------
@pytest.mark.parametrize("f", LOSSES, ids=["composed", "fused"])
@given(problems(scale=30.0, dtypes=(np.float64,)), st.data())
@settings(max_examples=30)
def test_invariants(f, problem, data):
    x, t, kw, upstream = problem
    out, xt = run(f, x, t, kw, upstream)
    grad = xt.grad.data
    # 1. each row (sample, spatial position) of dlogits sums to 0
    assert_close(grad.sum(axis=1), np.zeros((x.shape[0],) + x.shape[2:]), atol=1e-12)
    # 2. shifting every class score of a sample by the same constant changes nothing
    shift_shape = (x.shape[0], 1) + x.shape[2:]
    shift = data.draw(arrays(shift_shape, min_value=-1e3, max_value=1e3), label="shift")
    out2, xt2 = run(f, x + shift, t, kw, upstream)
    assert_close(out2.data, out.data, rtol=1e-9, atol=1e-9)
    assert_close(xt2.grad.data, grad, rtol=1e-9, atol=1e-9)
    # 3. the gradient is linear in the upstream gradient
    k = data.draw(st.floats(-10.0, 10.0), label="k")
    _, xt3 = run(f, x, t, kw, upstream * k)
    assert_close(xt3.grad.data, k * grad, rtol=1e-12, atol=1e-12)
    # 4. the loss is non-negative per sample (non-negative weights, probability targets)
    assert np.all(f(x, t, **{**kw, "reduction": "none"}).data >= -1e-12)


@given(problems(spatial=False))
def test_unweighted_mean_gradient_is_bounded_by_one_over_n(problem):
    x, t, kw, _ = problem
    kw = {k: v for k, v in kw.items() if k in ("label_smoothing",)}
    if t.dtype.kind != "f":
        t = np.where(t >= 0, t, 0)  # no ignored samples here
    for f in LOSSES:
        _, xt = run(f, x, t, kw, np.array(1.0))
        assert np.all(np.abs(xt.grad.data) <= 1.0 / x.shape[0] + 1e-15)


# ---- bad input, drawn --------------------------------------------------------------------------------
@pytest.mark.parametrize("f", LOSSES, ids=["composed", "fused"])
@given(st.data())
@settings(max_examples=30)
def test_out_of_range_targets_are_named_with_their_position(f, data):
    n = data.draw(st.integers(1, 6))
    c = data.draw(st.integers(1, 5))
    t = data.draw(hnp.arrays(np.int64, (n,), elements=st.integers(0, c - 1)))
    pos = data.draw(st.integers(0, n - 1))
    bad = data.draw(st.integers(c, 1000) | st.integers(-1000, -1).filter(lambda v: v != -100))
    t[pos] = bad
    t[:pos] = np.minimum(t[:pos], c - 1)  # everything before pos is valid, so pos is the first offender
    with pytest.raises(ValueError) as info:
        f(np.zeros((n, c)), t)
    assert f"target({pos},) = {bad}" in str(info.value)
