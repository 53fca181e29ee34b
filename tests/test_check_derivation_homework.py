"""check_derivation's homework form: a NumPy function returning (loss, grad), checked exactly against
autodiff, diagnosed by kind, sampled at full size, with a report that behaves.

The losses here are written so that they also run on Tensors *today* (``@``, ``*``, ``.sum()``): the
autodiff side is then available and the exact comparison is exercised. Losses that need NumPy's
protocols on Tensors (np.exp, np.sum(t, axis=...)) run on finite differences only until those land;
tests that need them live in tests/test_homework_autodiff.py. The right gradients are closed forms
written here; mistakes are introduced by hand, each one meant to produce one finding kind.
"""

import time

import numpy as np
import pytest

from tinygrad_softmax import GradcheckError, check_derivation
from tinygrad_softmax.gradient_check import derivation

RNG = np.random.default_rng(14)


# ---- losses -------------------------------------------------------------------------------------
def lsq(W, X, T, reg):
    """Least squares with L2: L = Σ(XW − T)²/N + ½·reg·ΣW², dL/dW = 2Xᵀ(XW − T)/N + reg·W."""
    N = X.shape[0]
    R = X @ W - T
    loss = (R * R).sum() / N + 0.5 * reg * (W * W).sum()
    return loss, 2 * X.T @ R / N + reg * W


def softmax_loss(W, X, y, reg):
    """The article's loss, written in NumPy as the article does (np.exp, np.sum(axis=...))."""
    N = X.shape[0]
    scores = X.dot(W)
    scores = scores - np.max(scores, axis=1, keepdims=True)
    exp_scores = np.exp(scores)
    probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
    loss = np.sum(-np.log(probs[np.arange(N), y])) / N + 0.5 * reg * np.sum(W * W)
    dscores = probs.copy()
    dscores[np.arange(N), y] -= 1
    dscores /= N
    return loss, X.T.dot(dscores) + reg * W


def lsq_data(n=8, d=5, c=3, w_scale=1.0):
    return w_scale * RNG.standard_normal((d, c)), RNG.standard_normal((n, d)), RNG.standard_normal((n, c))


def with_grad(f, change):
    """f with its gradient replaced by change(grad, W, X, third, reg)."""
    def g(W, X, T, reg):
        loss, grad = f(W, X, T, reg)
        return loss, change(grad, W, X, T, reg)
    return g


def kinds(report):
    return [f.kind for f in report.findings]


# ---- exact against exact ------------------------------------------------------------------------
@pytest.mark.parametrize("w_scale, reg", [(1e-3, 0.0), (1e-3, 1e3), (1.0, 3e-4), (1e3, 0.0), (1e3, 1e3)])
def test_a_right_gradient_passes_at_every_scale(w_scale, reg):
    W, X, T = lsq_data(w_scale=w_scale)
    report = check_derivation(lsq, (W, X, T, reg))
    assert report, report
    c = report["W"]
    assert c.autodiff is not None and c.agree["hand/autodiff"] and c.culprit is None
    assert c.exact_tol is not None and c.exact_tol <= 1e-10 * np.abs(c.autodiff).max() * 1.0001


@pytest.mark.parametrize("w_scale, reg", [(1e-3, 0.0), (1.0, 1.0), (1e3, 1e3)])
def test_an_error_of_1e_8_of_the_scale_fails(w_scale, reg):
    W, X, T = lsq_data(w_scale=w_scale)
    _, right = lsq(W, X, T, reg)
    bump = np.zeros_like(W)
    bump[1, 2] = 1e-8 * np.abs(right).max()
    report = check_derivation(with_grad(lsq, lambda g, *_: g + bump), (W, X, T, reg))
    c = report["W"]
    assert not report and c.culprit == "hand-derived"
    assert c.agree["hand/autodiff"] is False and c.agree["autodiff/fd"] is True
    assert c.n_disagree == 1 and c.n_compared == W.size
    assert "1 of 15 entries disagree with autodiff" in str(report)


def test_the_small_regularisation_slip_of_the_issue_is_caught_and_named():
    # reg = 3e-4 added twice: absolute error ~1e-4·|W|, far inside finite differences' tolerance
    W, X, T = lsq_data()
    reg = 3e-4
    report = check_derivation(with_grad(lsq, lambda g, W, *_: g + reg * W), (W, X, T, reg))
    assert not report and report["W"].agree["hand/fd"] is True   # fd alone could not see it
    assert kinds(report) == ["extra_term"]
    msg = report.findings[0].message
    assert "extra term 0.0003 × W (= reg)" in msg


def test_float32_inputs_get_an_ulp_tolerance():
    W, X, T = (a.astype(np.float32) for a in lsq_data())
    report = check_derivation(lsq, (W, X, T, 0.5))
    assert report, report
    ulps = 64 * np.finfo(np.float32).eps
    assert report["W"].exact_tol == pytest.approx(ulps * np.abs(report["W"].autodiff).max())
    wrong = check_derivation(with_grad(lsq, lambda g, *_: g * np.float32(1.001)), (W, X, T, 0.5))
    assert not wrong and kinds(wrong) == ["scale"]


# ---- finding kinds --------------------------------------------------------------------------------
def test_scale_names_the_missing_one_over_n():
    W, X, T = lsq_data(n=8)
    report = check_derivation(with_grad(lsq, lambda g, *_: g * 8), (W, X, T, 0.0))
    assert kinds(report) == ["scale"]
    assert "1/8" in report.findings[0].message and "1/N" in report.findings[0].message


def test_sign():
    W, X, T = lsq_data()
    report = check_derivation(with_grad(lsq, lambda g, *_: -g), (W, X, T, 0.1))
    assert kinds(report) == ["sign"]


def test_transpose():
    W, X, T = lsq_data(d=4, c=4)
    report = check_derivation(with_grad(lsq, lambda g, *_: g.T), (W, X, T, 0.1))
    assert kinds(report) == ["transpose"]


def test_missing_term_is_worded_as_missing():
    W, X, T = lsq_data()
    report = check_derivation(with_grad(lsq, lambda g, W, X, T, reg: g - reg * W), (W, X, T, 0.3))
    assert kinds(report) == ["missing_term"]
    assert "missing a term 0.3 × W (= reg)" in report.findings[0].message


def test_extra_term_is_worded_as_extra():
    W, X, T = lsq_data()
    report = check_derivation(with_grad(lsq, lambda g, W, X, T, reg: g + reg * W), (W, X, T, 0.3))
    assert kinds(report) == ["extra_term"] and "extra term 0.3 × W" in report.findings[0].message


def test_a_scalar_sum_where_the_array_belongs_is_an_offset_and_a_missing_term():
    W, X, T = lsq_data()
    report = check_derivation(with_grad(lsq, lambda g, W, X, T, reg: g - reg * W + reg * np.sum(W)),
                              (W, X, T, 0.3))
    assert kinds(report) == ["offset_along_axis", "missing_term"]
    assert "np.sum(W) where W belongs" in report.findings[0].message


def test_offset_constant_along_one_axis():
    W, X, T = lsq_data()
    row = RNG.standard_normal(W.shape[1])
    report = check_derivation(with_grad(lsq, lambda g, *_: g + row), (W, X, T, 0.1))
    assert kinds(report) == ["offset_along_axis"] and "axis 0" in report.findings[0].message
    report = check_derivation(with_grad(lsq, lambda g, *_: g + 0.25), (W, X, T, 0.1))
    assert kinds(report) == ["offset_along_axis"] and "same 0.25" in report.findings[0].message


def test_subset_names_rows_and_columns():
    W, X, T = lsq_data(d=6, c=4)

    def one_column_doubled(g, *_):
        g = g.copy()
        g[:, 2] *= 2
        return g

    report = check_derivation(with_grad(lsq, one_column_doubled), (W, X, T, 0.1))
    assert kinds(report) == ["subset"]
    assert "only columns 2 of 4" in report.findings[0].message
    assert report["W"].n_disagree == 6


def test_subset_in_dscores_space_names_the_correct_classes():
    # dscores[np.arange(N), y] = -1 instead of -= 1: only the (i, y_i) entries of dscores are wrong,
    # and dW = Xᵀ·dscores carries that pattern back when X has no more rows than columns.
    N, D, C = 6, 8, 3
    W, X, y = 0.1 * RNG.standard_normal((D, C)), RNG.standard_normal((N, D)), RNG.integers(0, C, N)

    def assigned(W, X, y, reg):
        loss, _ = softmax_loss(W, X, y, reg)
        s = X.dot(W)
        p = np.exp(s - s.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        p[np.arange(N), y] = -1
        return loss, X.T.dot(p / N) + reg * W

    report = check_derivation(assigned, (W, X, y, 0.1))
    assert kinds(report) == ["subset"]
    assert "only the entries of the correct classes" in report.findings[0].message


def test_subset_in_dscores_space_recognises_rows_indexed_by_labels():
    # dscores[y] -= 1 (rows picked by label value) instead of dscores[np.arange(N), y] -= 1
    N, D, C = 6, 9, 3
    W, X = 0.1 * RNG.standard_normal((D, C)), RNG.standard_normal((N, D))
    y = np.array([0, 2, 1, 1, 0, 2])

    def rows_by_label(W, X, y, reg):
        loss, _ = softmax_loss(W, X, y, reg)
        s = X.dot(W)
        p = np.exp(s - s.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        p[y] -= 1
        return loss, X.T.dot(p / N) + reg * W

    report = check_derivation(rows_by_label, (W, X, y, 0.1))
    assert kinds(report) == ["subset"] and "np.arange(N), y" in report.findings[0].message


def test_zero():
    W, X, T = lsq_data()
    report = check_derivation(with_grad(lsq, lambda g, *_: np.zeros_like(g)), (W, X, T, 0.1))
    assert kinds(report) == ["zero"]


def test_nonfinite():
    W, X, T = lsq_data()

    def nan_at_0_1(g, *_):
        g = np.array(g, dtype=float)
        g[0, 1] = np.nan
        return g

    report = check_derivation(with_grad(lsq, nan_at_0_1), (W, X, T, 0.1))
    assert kinds(report) == ["nonfinite"] and "W[0, 1]" in report.findings[0].message


# ---- without autodiff -----------------------------------------------------------------------------
def test_a_function_that_drops_the_graph_falls_back_and_says_so():
    W, X, T = lsq_data()

    def via_asarray(W, X, T, reg):
        plain = W if isinstance(W, np.ndarray) else np.asarray(W.data)   # a Tensor's array: no graph
        return lsq(plain, X, T, reg)

    report = check_derivation(via_asarray, (W, X, T, 0.1))
    assert report and report.autodiff is not None and "graph was dropped" in report.autodiff
    assert "compared with finite differences only" in str(report)
    assert report["W"].autodiff is None and report["W"].agree == {"hand/fd": True}


def test_fallback_diagnoses_from_finite_differences_and_names_the_users_line():
    N, D, C = 5, 4, 3
    W, X, y = 0.1 * RNG.standard_normal((D, C)), RNG.standard_normal((N, D)), RNG.integers(0, C, N)

    def only_numpy(W, X, y, reg):
        if not isinstance(W, np.ndarray):
            raise TypeError("plain arrays only")   # the line the report must name
        loss, dW = softmax_loss(W, X, y, reg)
        return loss, dW - reg * W

    report = check_derivation(only_numpy, (W, X, y, 0.2))
    assert "your function could not run on Tensors: TypeError: plain arrays only at" in report.autodiff
    assert "test_check_derivation_homework.py:" in report.autodiff
    assert "(in only_numpy)" in report.autodiff
    assert not report and kinds(report) == ["missing_term"]


# ---- fast at full size ----------------------------------------------------------------------------
def test_full_size_runs_sampled_and_fast():
    N, D, C = 500, 3073, 10
    X, y = RNG.standard_normal((N, D)), RNG.integers(0, C, N)
    W = 1e-3 * RNG.standard_normal((D, C))
    start = time.perf_counter()
    report = check_derivation(softmax_loss, (W, X, y, 0.1))
    elapsed = time.perf_counter() - start
    assert report, report
    assert report.mode.startswith("sampled") and "sampled" in str(report)
    assert elapsed < 2.0, f"took {elapsed:.2f} s"


def test_sampled_mode_still_catches_and_diagnoses():
    W, X, T = lsq_data(n=20, d=60, c=50)   # 3000 entries > FAST_THRESHOLD
    assert W.size > derivation.FAST_THRESHOLD
    _, right = lsq(W, X, T, 0.1)
    bump = np.zeros_like(W)
    bump[7, 3] = 1e-8 * np.abs(right).max()
    report = check_derivation(with_grad(lsq, lambda g, *_: g + bump), (W, X, T, 0.1))
    assert not report and report.mode.startswith("sampled") and report["W"].n_disagree == 1
    assert kinds(report) == ["subset"]
    report = check_derivation(with_grad(lsq, lambda g, W, X, T, reg: g - reg * W), (W, X, T, 0.1))
    assert kinds(report) == ["missing_term"]


def test_sampled_fallback_diagnoses_from_a_few_measurements():
    N, D, C = 30, 80, 40
    W, X, y = 0.1 * RNG.standard_normal((D, C)), RNG.standard_normal((N, D)), RNG.integers(0, C, N)

    def numpy_only(W, X, y, reg):
        if not isinstance(W, np.ndarray):
            raise TypeError("plain arrays only")
        return softmax_loss(W, X, y, reg)

    assert check_derivation(numpy_only, (W, X, y, 0.1))
    for change, kind in [(lambda g, W: g * 2, "scale"), (lambda g, W: -g, "sign"),
                         (lambda g, W: g - 0.1 * W, "missing_term"), (lambda g, W: 0 * g, "zero"),
                         (lambda g, W: g + 0.5, "offset_along_axis")]:
        def wrong(W, X, y, reg, change=change):
            loss, g = numpy_only(W, X, y, reg)
            return loss, change(g, W)

        report = check_derivation(wrong, (W, X, y, 0.1))
        assert not report and report.mode.startswith("sampled") and kinds(report) == [kind], kind


# ---- the report -------------------------------------------------------------------------------------
def test_users_exception_is_reported_as_theirs():
    W, X, T = lsq_data()

    def broken(W, X, T, reg):
        return 1 / 0, W

    report = check_derivation(broken, (W, X, T, 0.1))
    assert not report and report.error.startswith("your function raised ZeroDivisionError")
    assert "test_check_derivation_homework.py:" in report.error and "(in broken)" in report.error
    with pytest.raises(GradcheckError) as info:
        check_derivation(broken, (W, X, T, 0.1), raise_exception=True)
    assert info.value.report.error == report.error


def test_print_repr_and_truthiness():
    W, X, T = lsq_data()
    good = check_derivation(lsq, (W, X, T, 0.1))
    bad = check_derivation(with_grad(lsq, lambda g, *_: 2 * g), (W, X, T, 0.1))
    assert bool(good) is True and bool(bad) is False
    assert repr(bad) == str(bad) and "difference" in repr(bad) and "scale:" in repr(bad)
    with pytest.raises(GradcheckError) as info:
        check_derivation(with_grad(lsq, lambda g, *_: 2 * g), (W, X, T, 0.1), raise_exception=True)
    assert info.value.report.findings[0].kind == "scale"


def test_constants_and_wrt():
    W, X, T = lsq_data()
    # default wrt: the first floating array; X, T and reg are constants
    report = check_derivation(lsq, (W, X, T, 0.1))
    assert [c.name for c in report.inputs] == ["W"]
    # by name, several at once, with a dict of gradients
    def both(W, X, T, reg):
        loss, dW = lsq(W, X, T, reg)
        R = X @ W - T
        return loss, {"W": dW, "T": -2 * R / X.shape[0]}

    report = check_derivation(both, {"W": W, "X": X, "T": T, "reg": 0.1}, wrt=["W", "T"])
    assert report and [c.name for c in report.inputs] == ["W", "T"]
    with pytest.raises(ValueError, match="not a floating-point array"):
        check_derivation(lsq, (W, X, T, 0.1), wrt="reg")
    with pytest.raises(ValueError, match="not one of the inputs"):
        check_derivation(lsq, (W, X, T, 0.1), wrt="Q")


def test_wrong_return_and_wrong_shape_are_reported():
    W, X, T = lsq_data()
    report = check_derivation(lambda W, X, T, reg: lsq(W, X, T, reg)[1], (W, X, T, 0.1))
    assert not report and "must return (loss, grad)" in report.error
    report = check_derivation(with_grad(lsq, lambda g, *_: g.sum(axis=0)), (W, X, T, 0.1))
    assert not report and any("shape (3,)" in n for n in report["W"].notes)


def test_an_input_modified_in_place_is_reported():
    W, X, T = lsq_data()

    def centers_x(W, X, T, reg):
        X -= X.mean(axis=0)
        return lsq(W, X, T, reg)

    report = check_derivation(centers_x, (W, X.copy(), T, 0.1))
    assert not report and "modified X in place" in str(report)


def test_three_way_form_judges_hand_against_autodiff_exactly():
    from tinygrad_softmax import functional as F

    W, X = 0.5 * RNG.standard_normal((4, 3)), RNG.standard_normal((6, 4))
    y = RNG.integers(0, 3, 6)

    def loss(W, X, y):
        return F.cross_entropy(X @ W, y)

    _, dW = softmax_loss(W, X, y, 0.0)
    assert check_derivation(loss, [W, X, y], dW, wrt="W")
    bad = check_derivation(loss, [W, X, y], dW * (1 + 1e-8), wrt="W")
    assert not bad and bad["W"].culprit == "hand-derived" and kinds(bad) == ["scale"]


def test_a_graph_dropped_halfway_is_not_trusted():
    # X.dot(W) is an ndarray method: given a Tensor W it does not record a graph, but the regulariser
    # (W * W).sum() does, so the loss comes back as a Tensor whose gradient misses the data term.
    # Autodiff then disagrees with finite differences; the check must not blame the right gradient.
    W, X, T = lsq_data()

    def dot_method(W, X, T, reg):
        N = X.shape[0]
        R = X.dot(W) - T
        loss = (R * R).sum() / N + 0.5 * reg * (W * W).sum()
        return loss, 2 * X.T.dot(X.dot(W) - T) / N + reg * W

    report = check_derivation(dot_method, (W, X, T, 0.5))
    assert report, report   # the right gradient is not blamed
    if report["W"].autodiff is None:   # autodiff was dropped: the report says why
        assert "autodiff: not used" in str(report) and report.autodiff


def test_an_infinite_loss_is_reported_not_checked():
    N, D, C = 6, 5, 3
    W, X, y = 1e3 * RNG.standard_normal((D, C)), RNG.standard_normal((N, D)), RNG.integers(0, C, N)
    with np.errstate(divide="ignore"):
        loss, _ = softmax_loss(W, X, y, 0.0)
        assert loss == np.inf   # a correct-class probability underflowed to 0
        report = check_derivation(softmax_loss, (W, X, y, 0.0))
    assert not report and "loss is inf" in report.error and "log-sum-exp" in report.error
