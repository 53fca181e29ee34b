"""Deterministic tests of tinygrad_softmax.functional and tinygrad_softmax.reference.

Oracles: NumPy restatements of PyTorch's formulas (tests/_ce_oracle.py), the blog's closed form,
central differences in float64 and hand-computed values. Warnings are errors in this module, so any
overflow or divide-by-zero inside the losses fails a test.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from _ce_oracle import central_difference, np_log_softmax, np_softmax, torch_cross_entropy

from tinygrad_softmax import Tensor
from tinygrad_softmax import functional as F
from tinygrad_softmax import reference as R
from tinygrad_softmax.datasets import load_blog
from tinygrad_softmax.testing import assert_close

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")  # NumPy overflow, divide, invalid

LOSSES = [F.cross_entropy, F.softmax_cross_entropy]
RNG = np.random.default_rng(20260101)


def loss_and_grad(f, x, t, upstream=None, **kw):
    xt = Tensor(np.array(x), requires_grad=True)
    out = f(xt, t, **kw)
    out.backward(upstream)
    return out.data, xt.grad.data


# ---- logsumexp / log_softmax / softmax ---------------------------------------------------------
@pytest.mark.parametrize("axis", [0, 1, -1])
@pytest.mark.parametrize("keepdims", [False, True])
def test_logsumexp_matches_numpy_and_its_gradient_is_softmax(axis, keepdims):
    x = RNG.normal(size=(3, 4)) * 3
    expected = np.log(np.sum(np.exp(x), axis=axis, keepdims=keepdims))
    xt = Tensor(x, requires_grad=True)
    out = F.logsumexp(xt, axis=axis, keepdims=keepdims)
    assert_close(out.data, expected, rtol=1e-13)
    out.sum().backward()
    assert_close(xt.grad.data, np.exp(x) / np.exp(x).sum(axis=axis, keepdims=True), rtol=1e-12)


def test_logsumexp_of_huge_values_does_not_overflow():
    x = np.array([[1000.0, 1000.0], [-1000.0, -1001.0]])
    expected = np.array([1000.0 + np.log(2.0), -1000.0 + np.log1p(np.exp(-1.0))])
    assert_close(F.logsumexp(x).data, expected, rtol=1e-15)


@pytest.mark.parametrize("axis", [0, -1])
def test_softmax_and_log_softmax_match_numpy(axis):
    x = RNG.normal(size=(4, 5)) * 10
    assert_close(F.softmax(x, axis=axis).data, np_softmax(x, axis=axis), rtol=1e-12)
    assert_close(F.log_softmax(x, axis=axis).data, np_log_softmax(x, axis=axis), rtol=1e-12)
    assert_close(F.softmax(x, axis=axis).data.sum(axis=axis), np.ones(x.shape[1 + axis]), rtol=1e-14)


def test_log_softmax_is_finite_where_softmax_underflows():
    x = np.array([0.0, -2000.0])
    assert F.softmax(x).data[1] == 0.0  # exp(-2000) underflows ...
    assert F.log_softmax(x).data[1] == pytest.approx(-2000.0)  # ... but its log is exact


def test_detached_shift_gives_exact_gradients_on_ties_and_second_derivatives():
    # A row of equal logits: the max has a 3-way tie, yet d lse/dx must be exactly softmax = 1/3 each.
    xt = Tensor(np.array([2.0, 2.0, 2.0]), requires_grad=True)
    F.logsumexp(xt).backward(create_graph=True)
    assert_close(xt.grad.data, [1 / 3] * 3, rtol=1e-15)
    # Second derivative of lse: diag(p) - p p^T, checked column by column.
    g = xt.grad
    p = np.full(3, 1 / 3)
    for j in range(3):
        xt.grad = None
        g[j].backward(retain_graph=True)
        assert_close(xt.grad.data, (np.diag(p) - np.outer(p, p))[j], atol=1e-15)


def test_relu_helper():
    xt = Tensor(np.array([-1.0, 0.5, 2.0]), requires_grad=True)
    out = F.relu(xt)
    out.sum().backward()
    assert_close(out.data, [0.0, 0.5, 2.0], rtol=0, atol=0)
    assert_close(xt.grad.data, [0.0, 1.0, 1.0], rtol=0, atol=0)


# ---- the blog's closed form (reference.py) -------------------------------------------------------
def _blog_problem(n=7, d=3, c=4, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)), rng.integers(0, c, n), rng.normal(size=(d, c)), rng.normal(size=c)


def test_reference_loss_matches_the_definition():
    X, y, W, b = _blog_problem()
    f = X @ W + b
    S = np.exp(f) / np.exp(f).sum(axis=1, keepdims=True)
    expected = -np.mean(np.log(S[np.arange(len(y)), y])) + 0.5 * 0.3 * np.sum(W**2)
    assert R.loss(X, y, W, b, 0.3) == pytest.approx(expected, rel=1e-13)
    assert_close(R.softmax_probs(R.scores(X, W, b)), S, rtol=1e-13)


def test_reference_gradients_match_central_differences():
    X, y, W, b = _blog_problem()
    dW, db = R.gradients(X, y, W, b, 0.7)
    assert dW.shape == W.shape and db.shape == b.shape
    fd_W = central_difference(lambda w: R.loss(X, y, w, b, 0.7), W)
    fd_b = central_difference(lambda v: R.loss(X, y, W, v, 0.7), b)
    assert_close(dW, fd_W, rtol=1e-6, atol=1e-8)
    assert_close(db, fd_b, rtol=1e-6, atol=1e-8)
    loss, dW2, db2 = R.loss_and_gradients(X, y, W, b, 0.7)
    assert loss == R.loss(X, y, W, b, 0.7)
    assert_close(dW2, dW, rtol=0, atol=0)
    assert_close(db2, db, rtol=0, atol=0)


@pytest.mark.parametrize("f", LOSSES)
def test_autodiff_on_the_blog_dataset_reproduces_the_closed_form(f):
    X, y = load_blog()  # independent of the working directory
    rng = np.random.default_rng(2016)
    W0, b0, reg = rng.normal(scale=0.5, size=(2, 3)), rng.normal(size=3), 0.1
    W, b = Tensor(W0, requires_grad=True), Tensor(b0, requires_grad=True)
    loss = f(Tensor(X) @ W + b, y) + 0.5 * reg * (W * W).sum()
    loss.backward()
    ref_loss, dW, db = R.loss_and_gradients(X, y, W0, b0, reg)
    assert loss.item() == pytest.approx(ref_loss, rel=1e-12)
    assert_close(W.grad.data, dW, rtol=1e-10, atol=1e-14)
    assert_close(b.grad.data, db, rtol=1e-10, atol=1e-14)


def test_the_other_l2_convention_gives_a_different_gradient():
    # The article's L2 term is ½λΣW², whose gradient is λW. λΣW² (no ½) would give 2λW: must differ.
    X, y, W0, b0 = _blog_problem()
    W = Tensor(W0, requires_grad=True)
    (F.cross_entropy(Tensor(X) @ W + b0, y) + 0.7 * (W * W).sum()).backward()
    dW, _ = R.gradients(X, y, W0, b0, 0.7)
    assert not np.allclose(W.grad.data, dW)
    assert_close(W.grad.data - dW, 0.7 * W0, rtol=1e-10)


# ---- PyTorch semantics ---------------------------------------------------------------------------
def _prob_targets(shape, class_axis=1):
    p = RNG.dirichlet(np.ones(shape[class_axis]), size=[n for i, n in enumerate(shape) if i != class_axis])
    return np.ascontiguousarray(np.moveaxis(p, -1, class_axis))


CASES = [
    # (name, logits shape, target kind, keyword arguments)
    ("plain", (5, 4), "idx", {}),
    ("weight", (5, 4), "idx", {"weight": np.array([0.2, 1.0, 3.0, 0.5])}),
    ("ignore", (6, 3), "idx_ignore", {"ignore_index": 1}),
    ("ignore_default", (6, 3), "idx_ignore", {}),
    ("weight_ignore_smooth", (6, 3), "idx_ignore",
     {"weight": np.array([2.0, 0.5, 1.0]), "label_smoothing": 0.2}),
    ("smooth", (5, 4), "idx", {"label_smoothing": 0.3}),
    ("smooth_one", (5, 4), "idx", {"label_smoothing": 1.0}),
    ("probs", (5, 4), "prob", {}),
    ("probs_weight_smooth", (5, 4), "prob",
     {"weight": np.array([0.2, 1.0, 3.0, 0.5]), "label_smoothing": 0.1}),
    ("unbatched", (4,), "idx", {"weight": np.array([0.2, 1.0, 3.0, 0.5])}),
    ("unbatched_probs", (4,), "prob", {"label_smoothing": 0.25}),
    ("spatial", (2, 3, 4, 2), "idx_ignore", {"weight": np.array([1.0, 2.0, 0.5]), "label_smoothing": 0.1}),
    ("spatial_probs", (2, 3, 4), "prob", {"weight": np.array([1.0, 2.0, 0.5])}),
]


def _case(shape, kind, kw):
    x = RNG.normal(size=shape) * 2
    class_axis = 0 if len(shape) == 1 else 1
    c = shape[class_axis]
    batch = tuple(n for i, n in enumerate(shape) if i != class_axis)
    if kind == "prob":
        t = _prob_targets(shape, class_axis) if len(shape) > 1 else RNG.dirichlet(np.ones(c))
    else:
        t = np.array(RNG.integers(0, c, batch))
        if kind == "idx_ignore":
            t.flat[::3] = kw.get("ignore_index", -100)
    return x, t


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name,shape,kind,kw", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("f", LOSSES)
def test_pytorch_semantics_value_and_gradient(f, name, shape, kind, kw, reduction):
    x, t = _case(shape, kind, kw)
    expected = torch_cross_entropy(x, t, reduction=reduction, **kw)
    upstream = RNG.normal(size=expected.shape)
    loss, grad = loss_and_grad(f, x, t, upstream, reduction=reduction, **kw)
    assert loss.shape == expected.shape
    assert_close(loss, expected, rtol=1e-12, atol=1e-14)
    fd = central_difference(lambda z: torch_cross_entropy(z, t, reduction=reduction, **kw), x, upstream)
    assert_close(grad, fd, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("f", LOSSES)
def test_weighted_mean_denominator_by_hand(f):
    # Two samples, classes 0 and 1 with weights 1 and 3: mean = (1*l0 + 3*l1) / (1 + 3), not / 2.
    x = np.array([[0.0, 0.0], [0.0, np.log(3.0)]])
    loss = f(x, np.array([0, 1]), weight=np.array([1.0, 3.0])).item()
    l0, l1 = np.log(2.0), -np.log(3.0 / 4.0)
    assert loss == pytest.approx((l0 + 3 * l1) / 4, rel=1e-14)


@pytest.mark.parametrize("f", LOSSES)
def test_probability_target_mean_divides_by_batch_size_not_weights(f):
    x = np.zeros((2, 2))  # log S = log 1/2 everywhere
    t = np.array([[1.0, 0.0], [0.0, 1.0]])
    loss = f(x, t, weight=np.array([1.0, 3.0])).item()
    assert loss == pytest.approx((1 * np.log(2) + 3 * np.log(2)) / 2, rel=1e-14)


@pytest.mark.parametrize("f", LOSSES)
def test_one_hot_probabilities_equal_class_indices(f):
    x = RNG.normal(size=(5, 3))
    y = np.array([0, 2, 1, 1, 0])
    onehot = np.eye(3)[y]
    for kw in ({}, {"label_smoothing": 0.3}, {"reduction": "none"}):
        assert_close(f(x, onehot, **kw).data, f(x, y, **kw).data, rtol=1e-13)


@pytest.mark.parametrize("f", LOSSES)
def test_gradient_flows_to_probability_targets(f):
    # l = -Σ w_c ((1-ε) t_c + ε/C) logp_c is linear in t: d l / d t = -(1-ε) w logp (mean: divided by N).
    x = RNG.normal(size=(3, 4))
    w = np.array([1.0, 2.0, 0.5, 1.5])
    t = Tensor(_prob_targets((3, 4)), requires_grad=True)
    f(x, t, weight=w, label_smoothing=0.2).backward()
    assert_close(t.grad.data, -(0.8 * w) * np_log_softmax(x) / 3, rtol=1e-12)


@pytest.mark.parametrize("f", LOSSES)
def test_unbatched_logits_with_scalar_target_is_one_sample(f):
    x = np.array([1.0, 2.0, 0.5])
    loss, grad = loss_and_grad(f, x, 1)
    p = np_softmax(x)
    assert loss.shape == ()
    assert loss == pytest.approx(-np.log(p[1]), rel=1e-14)
    assert_close(grad, p - np.eye(3)[1], rtol=1e-13, atol=1e-16)
    assert f(x, np.int64(1), reduction="none").shape == ()


# ---- empty and all-ignored batches ----------------------------------------------------------------
@pytest.mark.parametrize("f", LOSSES)
@pytest.mark.parametrize("target", [np.zeros(0, dtype=np.int64), np.zeros((0, 3))], ids=["indices", "probs"])
def test_empty_batch_matches_pytorch(f, target):
    x = Tensor(np.zeros((0, 3)), requires_grad=True)
    loss = f(x, target)  # mean over zero samples: 0/0 = nan, with no warning
    assert np.isnan(loss.item())
    loss.backward()
    assert x.grad.shape == (0, 3)
    assert f(x, target, reduction="sum").item() == 0.0
    assert f(x, target, reduction="none").shape == (0,)


@pytest.mark.parametrize("f", LOSSES)
@pytest.mark.parametrize("kw", [{}, {"label_smoothing": 0.3}, {"weight": np.array([1.0, 2.0, 3.0])}])
def test_all_ignored_batch_matches_pytorch(f, kw):
    x = Tensor(RNG.normal(size=(4, 3)), requires_grad=True)
    target = np.full(4, -100)
    loss = f(x, target, **kw)
    assert np.isnan(loss.item())  # Σ w[y_n] over no samples is 0: 0/0
    loss.backward()
    assert_close(x.grad.data, np.zeros((4, 3)), rtol=0, atol=0)  # ignored rows get no gradient
    assert f(x, target, reduction="sum", **kw).item() == 0.0
    assert_close(f(x, target, reduction="none", **kw).data, np.zeros(4), rtol=0, atol=0)


@pytest.mark.parametrize("f", LOSSES)
def test_ignored_rows_get_zero_gradient_and_zero_loss(f):
    x = RNG.normal(size=(4, 3))
    t = np.array([0, 2, 2, 1])
    loss, grad = loss_and_grad(f, x, t, ignore_index=2, label_smoothing=0.1)
    assert_close(grad[1:3], np.zeros((2, 3)), rtol=0, atol=0)
    assert f(x, t, ignore_index=2, reduction="none").data[1] == 0.0
    # ignoring rows = dropping them
    assert_close(loss, f(x[[0, 3]], t[[0, 3]], label_smoothing=0.1).item(), rtol=1e-14)


# ---- numerical robustness ------------------------------------------------------------------------
@pytest.mark.parametrize("f", LOSSES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_logits_of_magnitude_1e4(f, dtype):
    x = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, 1e4], [5e3, 5e3, -1e4]], dtype=dtype)
    t = np.array([1, 2, 0])
    xt = Tensor(x, requires_grad=True)
    loss = f(xt, t)
    loss.backward()
    assert loss.dtype == dtype and xt.grad.dtype == dtype
    # exact values: logp[0,1] = -2e4, logp[1,2] = 0, logp[2,0] = -log 2
    assert loss.item() == pytest.approx((2e4 + 0 + np.log(2)) / 3, rel=1e-6)
    expected_grad = np.array([[1, -1, 0], [0, 0, 0], [-0.5, 0.5, 0]]) / 3
    assert_close(xt.grad.data, expected_grad.astype(dtype), atol=1e-6)


@pytest.mark.parametrize("f", LOSSES)
def test_rows_mixing_plus_minus_1e300(f):
    x = np.array([[1e300, -1e300, 0.0], [-1e300, 1e300, 1e300]])
    for t, kw, expected in [
        (np.array([1, 2]), {}, (2e300 + np.log(2)) / 2),
        (np.array([0, 0]), {"label_smoothing": 0.3}, None),
        (np.array([[0.2, 0.3, 0.5], [0.0, 0.5, 0.5]]), {}, (0.3 * 2e300 + 0.5 * 1e300 + np.log(2)) / 2),
    ]:
        xt = Tensor(x, requires_grad=True)
        loss = f(xt, t, **kw)
        loss.backward()
        assert np.isfinite(loss.item()) and np.all(np.isfinite(xt.grad.data))
        if expected is not None:
            assert loss.item() == pytest.approx(expected, rel=1e-14)
        assert_close(xt.grad.data.sum(axis=1), np.zeros(len(x)), atol=1e-15)


@pytest.mark.parametrize("f", LOSSES)
def test_underflowing_target_probability_gives_large_finite_loss(f):
    x = np.array([[0.0, -800.0]])  # S[0, 1] = exp(-800) underflows to 0 in float64
    assert np_softmax(x)[0, 1] == 0.0
    loss, grad = loss_and_grad(f, x, np.array([1]))
    assert loss == pytest.approx(800.0, rel=1e-14)
    assert_close(grad, [[1.0, -1.0]], atol=1e-300)
    x32 = x.astype(np.float32)
    assert f(x32, np.array([1])).item() == pytest.approx(800.0, rel=1e-6)


@pytest.mark.parametrize("f", LOSSES)
def test_float32_keeps_dtype_everywhere(f):
    x = Tensor(RNG.normal(size=(4, 3)).astype(np.float32), requires_grad=True)
    w = np.array([1.0, 2.0, 0.5])  # float64 weights do not promote the result
    loss = f(x, np.array([0, 1, 2, 1]), weight=w, label_smoothing=0.1)
    assert loss.dtype == np.float32
    loss.backward()
    assert x.grad.dtype == np.float32
    t = Tensor(_prob_targets((4, 3)).astype(np.float32), requires_grad=True)
    loss = f(x, t, reduction="none")
    assert loss.dtype == np.float32


@pytest.mark.parametrize("f", LOSSES)
@pytest.mark.parametrize("layout", ["transposed (N, C) view", "(1, C, d) whose rows are a strided view"])
@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_non_contiguous_logits_give_the_oracle_gradient(f, layout, reduction):
    # Logits that are a strided view make strided intermediates: a gradient written through a
    # reshaped copy instead of a view would be lost. Check against central differences.
    if layout.startswith("transposed"):
        x = np.ascontiguousarray(RNG.normal(size=(3, 5))).T  # (5, 3), F-ordered
        t = np.array([0, 2, 1, 1, 0])
    else:
        x = RNG.normal(size=(1, 3, 2))
        t = np.array([[2, 0]])
    expected = torch_cross_entropy(x, t, reduction=reduction)
    upstream = RNG.normal(size=expected.shape)
    loss, grad = loss_and_grad(f, x, t, upstream, reduction=reduction)
    assert_close(loss, expected, rtol=1e-12, atol=1e-14)
    fd = central_difference(lambda z: torch_cross_entropy(z, t, reduction=reduction), x, upstream)
    assert_close(grad, fd, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("f", LOSSES)
@pytest.mark.parametrize("tdtype", [np.int8, np.uint8, np.int32, np.uint32, np.int64, np.uint64])
def test_every_integer_dtype_of_class_indices_gives_the_oracle_loss_and_gradient(f, tdtype):
    x = RNG.normal(size=(5, 4))
    t = np.array([3, 0, 1, 3, 2], dtype=tdtype)
    loss, grad = loss_and_grad(f, x, t)
    assert_close(loss, torch_cross_entropy(x, t.astype(np.int64)), rtol=1e-12)
    fd = central_difference(lambda z: torch_cross_entropy(z, t.astype(np.int64)), x, np.array(1.0))
    assert_close(grad, fd, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("f", LOSSES)
def test_targets_whose_class_weights_sum_to_zero_give_nan_as_in_pytorch(f):
    # the weighted mean divides by Σ w[y_n] = 0: PyTorch returns nan (and nan gradients)
    x = Tensor(RNG.normal(size=(2, 3)), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = f(x, np.array([0, 0]), weight=np.array([0.0, 1.0, 2.0]))
        loss.backward()
    assert np.isnan(loss.item()) and np.all(np.isnan(x.grad.data))


# ---- the fused op is one node, and its second derivatives are right -------------------------------
def test_fused_loss_is_a_single_graph_node():
    x = Tensor(RNG.normal(size=(3, 4)), requires_grad=True)
    loss = F.softmax_cross_entropy(x, np.array([0, 1, 3]))
    assert type(loss.grad_fn).__name__ == "SoftmaxCrossEntropy"
    assert loss.grad_fn.parents == (x,)
    composed = F.cross_entropy(x, np.array([0, 1, 3]))
    assert type(composed.grad_fn).__name__ != "SoftmaxCrossEntropy"


@pytest.mark.parametrize("f", LOSSES)
def test_hessian_by_double_backward_equals_diag_p_minus_ppT_over_n(f):
    x0 = RNG.normal(size=(3, 4))
    x = Tensor(x0, requires_grad=True)
    f(x, np.array([2, 0, 1])).backward(create_graph=True)
    g = x.grad
    p = np_softmax(x0[1])
    hessian_row = []
    for j in range(4):
        x.grad = None
        g[1, j].backward(retain_graph=True)
        assert_close(x.grad.data[[0, 2]], np.zeros((2, x.shape[1])), rtol=0, atol=0)  # rows do not interact
        hessian_row.append(x.grad.data[1])
    assert_close(np.array(hessian_row), (np.diag(p) - np.outer(p, p)) / 3, atol=1e-15)


# ---- bad input -----------------------------------------------------------------------------------
X34 = np.zeros((3, 4))

BAD = [
    # (logits, target, kwargs, error type, fragments the message must contain)
    (X34, np.array([0, 4, 1]), {}, ValueError, ["target(1,) = 4", "out of range", "[0, 3]"]),
    (X34, np.array([0, 1, -3]), {}, ValueError, ["target(2,) = -3", "negative"]),
    (X34, np.array([0, 1, -100]), {"ignore_index": 5}, ValueError, ["target(2,) = -100"]),
    (np.zeros(4), 7, {}, ValueError, ["target() = 7"]),
    (X34, np.array([0.0, 1.0, 2.0]), {}, ValueError, ["integer dtype", "float64"]),
    (X34, np.array([True, False, True]), {}, ValueError, ["integer dtype", "bool"]),
    (X34, np.array([0, 1]), {}, ValueError, ["(2,)", "(3, 4)", "(3,)"]),
    (X34, np.array([[0, 1, 2]]), {}, ValueError, ["(1, 3)", "(3,)"]),
    (X34, np.ones((3, 4), dtype=np.int64), {}, ValueError, ["floating", "int64"]),
    (X34, np.array([[0.5, 0.5, 0, 0], [np.nan, 1, 0, 0], [1, 0, 0, 0]]), {}, ValueError,
     ["target(1, 0) = nan"]),
    (X34, np.eye(4)[:3], {"ignore_index": 0}, ValueError, ["ignore_index=0", "probability"]),
    (X34, np.array([0, 1, 2]), {"weight": np.ones(3)}, ValueError, ["weight", "(4,)", "(3,)"]),
    (X34, np.array([0, 1, 2]), {"weight": np.array([1, np.inf, 1, 1])}, ValueError, ["weight(1,) = inf"]),
    (np.array([[0, 1.0], [np.nan, 0]]), np.array([0, 1]), {}, ValueError, ["logits(1, 0) = nan"]),
    (np.array([[0, 1.0], [0, -np.inf]]), np.array([0, 1]), {}, ValueError, ["logits(1, 1) = -inf"]),
    (X34, np.array([0, 1, 2]), {"reduction": "avg"}, ValueError, ["'avg'", "'mean'"]),
    (X34, np.array([0, 1, 2]), {"reduction": None}, ValueError, ["None"]),
    (X34, np.array([0, 1, 2]), {"label_smoothing": 1.5}, ValueError, ["label_smoothing", "1.5"]),
    (X34, np.array([0, 1, 2]), {"label_smoothing": -0.1}, ValueError, ["-0.1"]),
    (X34, np.array([0, 1, 2]), {"label_smoothing": float("nan")}, ValueError, ["nan"]),
    (X34, np.array([0, 1, 2]), {"label_smoothing": "0.1"}, TypeError, ["label_smoothing"]),
    (X34, np.array([0, 1, 2]), {"ignore_index": 1.5}, TypeError, ["ignore_index", "1.5"]),
    (np.zeros((3, 4), dtype=np.int64), np.array([0, 1, 2]), {}, TypeError, ["floating", "int64"]),
    (np.float64(1.0), 0, {}, ValueError, ["0-d"]),
    (np.zeros((3, 0)), np.zeros(3, dtype=np.int64), {}, ValueError, ["no classes"]),
]


@pytest.mark.parametrize("f", LOSSES)
@pytest.mark.parametrize("logits,target,kw,error,fragments", BAD)
def test_bad_input_raises_a_clear_error(f, logits, target, kw, error, fragments):
    with pytest.raises(error) as info:
        f(Tensor(logits), target, **kw)
    for fragment in fragments:
        assert fragment in str(info.value), (fragment, str(info.value))


@pytest.mark.parametrize("f", LOSSES)
def test_weight_requiring_grad_is_refused(f):
    with pytest.raises(ValueError, match="weight must not require grad"):
        f(X34, np.array([0, 1, 2]), weight=Tensor(np.ones(4), requires_grad=True))


@pytest.mark.parametrize("f", LOSSES)
def test_spatial_target_errors_name_the_position(f):
    x = np.zeros((2, 3, 2, 2))
    t = np.zeros((2, 2, 2), dtype=np.int64)
    t[1, 0, 1] = 3
    with pytest.raises(ValueError, match=r"target\(1, 0, 1\) = 3"):
        f(x, t)


@pytest.mark.parametrize("f", [F.cross_entropy, F.softmax_cross_entropy], ids=["composed", "fused"])
def test_finite_logits_whose_sum_overflows_are_accepted_without_warnings(f):
    # every entry is finite, but a sum over them would overflow: the argument check must not
    # mistake that for an inf, nor warn about it
    x = Tensor(np.array([[1.5e308, 1.5e308], [1.5e308, 1.5e308]]), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = f(x, np.array([0, 1]))
        loss.backward()
    assert loss.item() == pytest.approx(np.log(2.0), rel=1e-15)
    assert_close(x.grad.data, [[-0.25, 0.25], [0.25, -0.25]], rtol=1e-15)


@pytest.mark.parametrize("f", [F.cross_entropy, F.softmax_cross_entropy], ids=["composed", "fused"])
def test_logits_near_the_float64_limit_give_the_exact_loss_without_warnings(f):
    # max − min overflows to −inf here, but exp(−inf) = 0 is exactly right: the loss is 0
    x = Tensor(np.array([[1e308, -1e308], [-1e308, 1e308]]), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = f(x, np.array([0, 1]))
        loss.backward()
    assert loss.item() == 0.0
    assert_close(x.grad.data, np.zeros((2, 2)), rtol=0, atol=0)
