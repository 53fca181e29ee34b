"""The gradient checker: numerical_gradient against closed forms, and gradcheck, gradgradcheck and
check_derivation catching the derivation mistakes people really make (and passing the fixes).

Oracles are closed forms written here in NumPy; the checker is never used to check itself.
"""

import warnings

import numpy as np
import pytest
from _cube import WrongCube

import tinygrad_softmax as tg
from tinygrad_softmax import (
    Function,
    GradcheckError,
    Tensor,
    check_derivation,
    gradcheck,
    gradgradcheck,
    numerical_gradient,
    reference,
)
from tinygrad_softmax import functional as F
from tinygrad_softmax.gradient_check import LowPrecisionWarning
from tinygrad_softmax.ops import sum_to

RNG = np.random.default_rng(1234)


def randn(*shape):
    return RNG.standard_normal(shape)


# ---- numerical_gradient against closed forms ---------------------------------------------------
def test_numerical_gradient_matches_closed_forms():
    x = randn(2, 3)
    g = numerical_gradient(lambda t: (t * t * t).sum(), x)
    np.testing.assert_allclose(g, 3 * x**2, rtol=1e-8, atol=1e-9)
    np.testing.assert_allclose(numerical_gradient(lambda t: t.exp().sum(), x), np.exp(x), rtol=1e-8)
    p = RNG.uniform(0.5, 2.0, 4)
    np.testing.assert_allclose(numerical_gradient(lambda t: t.log().sum(), p), 1 / p, rtol=1e-8)


def test_numerical_gradient_of_a_vector_output_needs_and_uses_grad_output():
    A, x, v = randn(3, 4), randn(4), randn(3)
    with pytest.raises(ValueError, match=r"grad_output"):
        numerical_gradient(lambda a, t: a @ t, [A, x])
    gA, gx = numerical_gradient(lambda a, t: a @ t, [A, x], grad_output=v)
    np.testing.assert_allclose(gx, A.T @ v, rtol=1e-7, atol=1e-9)   # vᵀ(A x) differentiated in x
    np.testing.assert_allclose(gA, np.outer(v, x), rtol=1e-7, atol=1e-9)


def test_numerical_gradient_structure_and_constants():
    W, X, y = randn(3, 2), randn(4, 3), np.array([0, 1, 1, 0])

    def f(X, W, y):
        return F.cross_entropy(X @ W, y)

    gX, gW, gy = numerical_gradient(f, [Tensor(X), W, y])   # Tensor without grad and ints are fixed
    assert gX is None and gy is None and gW.shape == W.shape
    S = reference.softmax_probs(X @ W)
    Y = np.eye(2)[y]
    np.testing.assert_allclose(gW, X.T @ (S - Y) / 4, rtol=1e-6, atol=1e-9)
    as_dict = numerical_gradient(f, {"X": Tensor(X), "W": W, "y": y})
    assert set(as_dict) == {"W"}
    np.testing.assert_allclose(as_dict["W"], gW)


def test_numerical_gradient_step_scales_with_x():
    # At x = 1e12 a fixed step of 1e-6 is below the float spacing (1.2e-4) and would give 0/0;
    # the step eps·max(1, |x|) keeps the quotient exact for this quadratic.
    for x0 in [1e12, -3e9, 0.5]:
        g = numerical_gradient(lambda t: t * t, np.array(x0))
        assert g == pytest.approx(2 * x0, rel=1e-9)


def test_float32_input_is_differentiated_in_float64():
    x32 = RNG.uniform(0.5, 2.0, 5).astype(np.float32)
    g = numerical_gradient(lambda t: (t * t * t).sum(), x32)
    assert g.dtype == np.float64
    exact = 3 * x32.astype(np.float64) ** 2
    # A float32 central difference would be off by ~0.1·|f|/... here: 1e-8 or better.
    np.testing.assert_allclose(g, exact, rtol=1e-8)


# ---- gradcheck on correct code -----------------------------------------------------------------
def test_gradcheck_passes_correct_ops_and_returns_true():
    a, b = randn(3, 4), randn(4, 2)
    assert gradcheck(lambda a, b: (a @ b).tanh(), [a, b]) is True
    assert gradcheck(lambda a, b: a * b + b.exp(), [randn(2, 3), randn(3)]) is True


def test_report_when_not_raising_is_truthy_with_data():
    a, b = randn(3, 4), randn(4, 2)
    rep = gradcheck(lambda a, b: a @ b, [a, b], raise_exception=False)
    assert rep and rep.passed and rep.failed == []
    assert rep.output_shape == (3, 2)
    ca = rep["a"]
    assert ca.n_failed == 0 and ca.n_elements == 12 and ca.n_entries == 6 * 12
    # the full Jacobian of a @ b with respect to a: d out[i, k] / d a[i', j] = [i = i'] b[j, k]
    J = np.einsum("ip,jk->ikpj", np.eye(3), b).reshape(6, 12)
    np.testing.assert_allclose(ca.analytic, J, atol=1e-12)
    np.testing.assert_allclose(ca.numerical, J, atol=1e-8)
    assert "passed" in str(rep) and "input 1 (b)" in str(rep)


def test_users_tensors_are_left_alone():
    W = Tensor(randn(3, 3), requires_grad=True)
    c = Tensor(randn(3, 3))  # does not require grad: held fixed, not reported
    rep = gradcheck(lambda w, c: (w @ c).sum(), [W, c], raise_exception=False)
    assert W.grad is None
    assert [i.label for i in rep.inputs] == ["input 0 (w)"]


def test_nothing_to_check_and_bad_outputs_are_usage_errors():
    with pytest.raises(ValueError, match="no input to check"):
        gradcheck(lambda x: x.sum(), Tensor(randn(3)))
    with pytest.raises(TypeError, match="must return a Tensor"):
        gradcheck(lambda x: x.data.sum(), randn(3))
    with pytest.raises(ValueError, match="eps"):
        gradcheck(lambda x: x.sum(), randn(3), eps=0.0)
    for tool in (gradcheck, gradgradcheck, numerical_gradient):
        with pytest.raises(TypeError, match="fn must be a callable"):
            tool(randn(3), randn(3))  # arguments swapped
    with pytest.raises(TypeError, match="fn must be a callable"):
        check_derivation("loss", randn(3), randn(3))


# ---- the mistakes of point 7 -------------------------------------------------------------------
class MatMul(Function):
    """a @ b; ``transpose=False`` reproduces the classic slip dA = g @ B instead of g @ Bᵀ."""

    transpose = True

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a @ b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return (g @ b.T if ctx.transpose else g @ b), a.T @ g


class MatMulNoTranspose(MatMul):
    transpose = False


class MeanSquaredError(Function):
    """mean((p − t)²) over N elements; ``scale_t=False`` forgets the 1/N in dL/dt only."""

    scale_t = True

    @staticmethod
    def forward(ctx, p, t):
        ctx.save_for_backward(p, t)
        return np.mean((p - t) ** 2)

    @staticmethod
    def backward(ctx, g):
        p, t = ctx.saved_tensors
        n = p.size
        dp = 2 * (p - t) * g / n
        dt = -2 * (p - t) * g / (n if ctx.scale_t else 1)
        return dp, dt


class MeanSquaredErrorMissingN(MeanSquaredError):
    scale_t = False


class Divide(Function):
    """a / b; ``sign=-1`` is right, ``sign=+1`` the sign error in dL/db = −g a / b²."""

    sign = -1

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a / b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return g / b, ctx.sign * g * a / (b * b)


class DivideSignError(Divide):
    sign = 1


class Scale(Function):
    """x * w; ``wrong_input=True`` differentiates with respect to the wrong input: dL/dw = g·w."""

    wrong_input = False

    @staticmethod
    def forward(ctx, x, w):
        ctx.save_for_backward(x, w)
        return x * w

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        return g * w, g * (w if ctx.wrong_input else x)


class ScaleWrongInput(Scale):
    wrong_input = True


class AddBias(Function):
    """x (N, D) + b (D,); the broadcast must be summed back: dL/db = Σ_n g[n]."""

    reduce = "sum"

    @staticmethod
    def forward(ctx, x, b):
        return x + b

    @staticmethod
    def backward(ctx, g):
        b_shape = ctx.parents[1].shape
        if ctx.reduce == "sum":
            return g, sum_to(g, b_shape)
        if ctx.reduce == "mean":
            return g, g.mean(axis=0) if isinstance(g, np.ndarray) else g.sum(axis=0) / g.shape[0]
        return g, g  # not reduced at all


class AddBiasNotReduced(AddBias):
    reduce = "none"


class AddBiasMeanReduced(AddBias):
    reduce = "mean"


def _fails_only(fn, inputs, failing):
    rep = gradcheck(fn, inputs, raise_exception=False)
    assert not rep
    assert [c.name for c in rep.failed] == failing, str(rep)
    with pytest.raises(GradcheckError) as info:
        gradcheck(fn, inputs)
    assert isinstance(info.value, AssertionError) and info.value.report.failed
    return rep, str(info.value)


def test_missing_transpose_is_caught_on_the_right_input():
    a, b = randn(3, 3), randn(3, 3)
    assert gradcheck(lambda a, b: MatMul.apply(a, b), [a, b])
    rep, msg = _fails_only(lambda a, b: MatMulNoTranspose.apply(a, b), [a, b], ["a"])
    ca = rep["a"]
    # the report's values at the worst entry are those of the wrong and the right closed forms
    k, j = np.ravel_multi_index(ca.worst_output_index, (3, 3)), np.ravel_multi_index(ca.worst_index, (3, 3))
    wrong_J = np.einsum("ip,kj->ikpj", np.eye(3), b).reshape(9, 9)   # d(g @ b)… : [i=p] b[k, j]
    right_J = np.einsum("ip,jk->ikpj", np.eye(3), b).reshape(9, 9)
    assert ca.analytic_value == pytest.approx(wrong_J[k, j], abs=1e-12)
    assert ca.numerical_value == pytest.approx(right_J[k, j], abs=1e-7)
    assert ca.max_abs_error == pytest.approx(np.abs(wrong_J - right_J).max(), rel=1e-6)
    assert "input 0 (a)" in msg and "FAILED" in msg and "input 1 (b), shape (3, 3) float64: ok" in msg
    assert f"{ca.n_failed} of 9 elements fail" in msg and "worst: d out" in msg


def test_missing_one_over_n_is_caught_on_the_right_input():
    p, t = randn(2, 3), randn(2, 3)
    assert gradcheck(lambda p, t: MeanSquaredError.apply(p, t), [p, t])
    rep, msg = _fails_only(lambda p, t: MeanSquaredErrorMissingN.apply(p, t), [p, t], ["t"])
    assert "constant factor" in msg and "0.166667" in msg   # the right gradient is 1/6 of the wrong one
    assert rep["t"].n_failed == 6


def test_sign_error_is_caught_on_the_right_input():
    a, b = randn(4), RNG.uniform(0.5, 2.0, 4)
    assert gradcheck(lambda a, b: Divide.apply(a, b), [a, b])
    rep, msg = _fails_only(lambda a, b: DivideSignError.apply(a, b).sum(), [a, b], ["b"])
    assert "sign error" in msg
    cb = rep["b"]
    j = cb.worst_index[0]
    assert cb.analytic_value == pytest.approx(a[j] / b[j] ** 2)
    assert cb.numerical_value == pytest.approx(-a[j] / b[j] ** 2, rel=1e-6)


def test_gradient_with_respect_to_the_wrong_input_is_caught():
    x, w = randn(5), randn(5)
    assert gradcheck(lambda x, w: Scale.apply(x, w), [x, w])
    _fails_only(lambda x, w: ScaleWrongInput.apply(x, w), [x, w], ["w"])


def test_broadcast_not_reduced_is_reported_clearly():
    x, b = randn(4, 3), randn(3)
    assert gradcheck(lambda x, b: AddBias.apply(x, b).sum(), [x, b])
    # The engine refuses the (4, 3) gradient for b with a ValueError; gradcheck turns it into a report
    # that blames b (not x) and says what to do.
    rep, msg = _fails_only(lambda x, b: AddBiasNotReduced.apply(x, b).tanh().sum(), [x, b], ["b"])
    assert "broadcast that was not reduced" in msg and "sum_to" in msg
    assert "shape (4, 3)" in msg and "input 1 (b), shape (3,)" in msg
    assert not rep["x"].checked and rep["x"].status == "NOT CHECKED"
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda x, b: AddBiasNotReduced.apply(x, b).sum(), [x, b])
    assert isinstance(info.value.__cause__, ValueError)   # the engine's error is kept as the cause


def test_broadcast_not_reduced_is_traced_back_through_other_ops():
    x, b = randn(4, 3), randn(3)
    rep = gradcheck(lambda x, b: AddBiasNotReduced.apply(x.exp(), b * 2).sum(), [x, b], raise_exception=False)
    assert [c.name for c in rep.failed] == ["b"]


def test_broadcast_reduced_with_mean_instead_of_sum_is_caught_numerically():
    x, b = randn(4, 3), randn(3)
    rep, msg = _fails_only(lambda x, b: AddBiasMeanReduced.apply(x, b).sum(), [x, b], ["b"])
    assert "constant factor" in msg and "× the analytic gradient" in msg


def test_backward_that_ignores_the_upstream_gradient_is_caught():
    class ForgetsG(Square):  # Square (the second-derivative section): x², saving x; a wrong backward
        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x  # forgot "* g": invisible in a sum (g = 1), caught by the zero-gradient probe

    _, msg = _fails_only(lambda x: ForgetsG.apply(x).sum(), [randn(3)], ["x"])
    assert "ignores the upstream gradient" in msg


def test_non_scalar_output_checks_every_output_element():
    class Flip(Function):
        @staticmethod
        def forward(ctx, x):
            return x[::-1].copy()

        @staticmethod
        def backward(ctx, g):
            return g  # should be g[::-1]

    rep = gradcheck(lambda x: Flip.apply(x), randn(3), raise_exception=False)
    c = rep["x"]
    # Jacobian: analytic identity, numerical anti-identity: they differ in 4 entries, at x[0] and x[2]
    assert (c.n_failed_entries, c.n_entries, c.n_failed, c.n_elements) == (4, 9, 2, 3)
    assert c.worst_output_index == (0,) and c.worst_index == (0,)
    assert (c.analytic_value, c.numerical_value) == (1.0, pytest.approx(0.0, abs=1e-9))
    assert "2 of 3 elements fail (4 of 9 Jacobian entries)" in str(rep)
    assert "d out[0] / d x[0]: analytic 1, numerical 0" in str(rep)


def test_message_gives_errors_index_and_values():
    class ThreeX(Square):  # Square (the second-derivative section): x², saving x; a wrong backward
        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 3 * x * g  # should be 2x

    x = np.array([0.5, -2.0, 1.25])
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda x: ThreeX.apply(x).sum(), x)
    msg = str(info.value)
    assert "max abs error 2, max rel error 0.5" in msg          # |3x − 2x| = |x|, relative |x|/|2x|
    assert "3 of 3 elements fail" in msg
    assert "worst: d out / d x[1]: analytic -6, numerical -4" in msg


# ---- fast mode ---------------------------------------------------------------------------------
def test_fast_mode_needs_few_evaluations_and_falls_back_on_failure():
    calls = []

    def f(x):
        calls.append(1)
        return (x * x).sum()

    x = randn(200)
    assert gradcheck(f, x, fast_mode=True)
    assert len(calls) < 10          # the full check would evaluate f 400+ times
    calls.clear()
    assert gradcheck(f, x)
    assert len(calls) > 400

    rep = gradcheck(lambda a, b: MatMulNoTranspose.apply(a, b), [randn(3, 3), randn(3, 3)], fast_mode=True,
                    raise_exception=False)
    assert not rep and "after a fast-mode failure" in rep.mode
    assert [c.name for c in rep.failed] == ["a"]


def test_fast_mode_alone_judges_a_jacobian_too_large_for_the_full_check():
    x = randn(3000)  # a 3000 × 3000 Jacobian: 9e6 entries
    with pytest.raises(ValueError, match="fast_mode=True"):
        gradcheck(lambda t: t * 2, x)
    assert gradcheck(lambda t: t * 2, x, fast_mode=True)
    rep = gradcheck(lambda t: WrongCube.apply(t), x, fast_mode=True, raise_exception=False)  # 2x², not 3x²
    assert not rep and rep.mode.startswith("fast") and [c.name for c in rep.failed] == ["t"]
    c = rep["t"]
    # the projection: analytic Σ 2x²·v·s·u against the right 3x²·v·s·u, so their ratio is 2/3
    assert c.analytic_value / c.numerical_value == pytest.approx(2 / 3, rel=1e-6)
    assert "random projection" in str(rep) and "too large" in str(rep)


def test_dict_inputs_are_passed_as_keywords_and_named():
    rep = gradcheck(lambda a, b: (a * b).sum(), {"b": randn(3), "a": Tensor(randn(3), requires_grad=True)},
                    raise_exception=False)
    assert rep and [c.label for c in rep.inputs] == ["b", "a"]
    assert gradgradcheck(lambda a, b: (a * b).tanh(), [randn(3), randn(3)], fast_mode=True)


# ---- where finite differences are not valid ----------------------------------------------------
def test_kink_is_diagnosed():
    rep = gradcheck(lambda x: x.relu().sum(), np.array([0.0, 1.0, -1.0]), raise_exception=False)
    assert not rep and rep["x"].kinks == [(0,)]
    assert "kink at x[0]" in str(rep)
    assert gradcheck(lambda x: x.relu().sum(), np.array([0.3, 1.0, -1.0]))


def test_near_tie_in_max_is_diagnosed_as_a_kink():
    x = np.array([1.0, 1.0 + 1e-7, -2.0])   # the two largest are closer than the step
    rep = gradcheck(lambda x: x.max(), x, raise_exception=False)
    assert not rep and rep["x"].kinks
    assert gradcheck(lambda x: x.max(), np.array([1.0, 1.125, -2.0]))


def test_float32_input_warns_and_is_still_checked():
    x = Tensor(randn(3).astype(np.float32), requires_grad=True)
    with pytest.warns(LowPrecisionWarning, match="float64"):
        assert gradcheck(lambda x: (x * x).sum(), x)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gradcheck(lambda x: (x * x).sum(), randn(3))   # float64: no warning


# ---- second derivatives ------------------------------------------------------------------------
class Square(Function):
    """x²; saving x keeps the backward differentiable. ``save_derived=True`` saves 2x instead: a new
    array, so under create_graph it comes back as a constant and the second derivative is lost."""

    save_derived = False

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(2 * x if ctx.save_derived else x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        (s,) = ctx.saved_tensors
        return g * s if ctx.save_derived else 2 * s * g


class SquareSavesDerived(Square):
    save_derived = True


def test_gradgradcheck_passes_and_matches_the_closed_form_hessian():
    x = randn(4)
    rep = gradgradcheck(lambda x: (x * x * x).sum(), x, grad_output=np.array(2.0), raise_exception=False)
    assert rep, str(rep)
    # first gradient G = 3x²·v with v = 2: dG/dx = diag(6x·2), dG/dv = 3x²
    np.testing.assert_allclose(rep["x"].analytic, np.diag(12 * x), atol=1e-12)
    np.testing.assert_allclose(rep["grad_output"].analytic.ravel(), 3 * x**2, atol=1e-12)
    assert gradgradcheck(lambda a, b: (a @ b).tanh(), [randn(2, 3), randn(3, 2)])
    assert gradgradcheck(lambda x: Square.apply(x), randn(3))


def test_gradgradcheck_catches_a_wrong_second_derivative():
    x = randn(3)
    assert gradcheck(lambda x: SquareSavesDerived.apply(x), x)      # first derivatives are right
    with pytest.raises(GradcheckError) as info:
        gradgradcheck(lambda x: SquareSavesDerived.apply(x), x)
    rep = info.value.report
    assert [c.name for c in rep.failed] == ["x"] and rep["grad_output"].passed
    assert "gradgradcheck FAILED (second derivatives" in str(rep)
    assert "d grad_x[" in str(rep)


# ---- check_derivation --------------------------------------------------------------------------
X, Y_LABELS = randn(6, 4), np.array([0, 2, 1, 1, 0, 2])
W0, B0, LAM = randn(4, 3), randn(3), 0.1


def softmax_loss(X, y, W, b):
    return F.cross_entropy(X @ W + b, y) + 0.5 * LAM * (W * W).sum()


def test_check_derivation_agrees_with_the_blog_closed_form():
    rep = check_derivation(softmax_loss, [Tensor(X), Y_LABELS, W0, B0],
                           lambda X, y, W, b: reference.gradients(X, y, W, b, LAM))
    assert rep and [c.name for c in rep.inputs] == ["W", "b"]
    assert all(c.culprit is None for c in rep.inputs)
    text = str(rep)
    assert "all three agree" in text and "hand-derived" in text and "finite diff" in text and "W[" in text


def test_check_derivation_blames_a_forgotten_lambda_w():
    def forgot_reg(X, y, W, b):
        return reference.gradients(X, y, W, b, 0.0)  # dW without +λW

    rep = check_derivation(softmax_loss, {"X": Tensor(X), "y": Y_LABELS, "W": W0, "b": B0}, forgot_reg)
    assert not rep and [c.name for c in rep.failed] == ["W"]
    cw = rep["W"]
    assert cw.culprit == "hand-derived" and cw.agree == {"hand/autodiff": False, "hand/fd": False,
                                                        "autodiff/fd": True}
    assert cw.max_diff["hand/autodiff"] == pytest.approx(np.abs(LAM * W0).max())
    assert [f.kind for f in cw.findings] == ["missing_term"] and "0.1 × W" in cw.findings[0].message
    assert rep["b"].culprit is None
    with pytest.raises(GradcheckError):
        check_derivation(softmax_loss, [Tensor(X), Y_LABELS, W0, B0], forgot_reg, raise_exception=True)


def test_check_derivation_blames_autodiff_when_a_backward_is_wrong():
    a, b = randn(3, 3), randn(3, 3)
    right = (np.ones((3, 3)) @ b.T, a.T @ np.ones((3, 3)))   # d sum(a @ b)
    rep = check_derivation(lambda a, b: MatMulNoTranspose.apply(a, b).sum(), [a, b], right)
    assert rep["a"].culprit == "autodiff" and rep["b"].culprit is None


def test_check_derivation_blames_finite_differences_at_a_kink():
    x = np.array([0.0, 2.0])
    rep = check_derivation(lambda x: x.relu().sum(), x, np.array([0.0, 1.0]))
    assert rep["x"].culprit == "finite differences"


def test_check_derivation_reports_a_wrongly_shaped_hand_gradient():
    x = randn(2, 3)
    rep = check_derivation(lambda x: (x * x).sum(), x, (2 * x).sum(axis=0))
    assert not rep and any("shape (3,)" in n for n in rep["x"].notes)


def test_check_derivation_accepts_all_forms_of_expected():
    a, b = randn(3), randn(3)

    def f(a, b):
        return (a * b).sum()

    for expected in [(b, a), [b, a], {"a": b, "b": a}, {0: b, 1: a}, lambda a, b: (b, a)]:
        assert check_derivation(f, [a, b], expected), expected
    assert check_derivation(f, [a, Tensor(b)], b)            # one checked input: a single array
    assert check_derivation(f, [a, Tensor(b)], [b, None])    # or one entry per input
    with pytest.raises(ValueError, match="checked input"):
        check_derivation(f, [a, b], b)
    with pytest.raises(ValueError, match="grad_output"):
        check_derivation(lambda a, b: a * b, [a, b], (b, a))


def test_public_names_are_exported():
    for name in ["gradcheck", "gradgradcheck", "check_derivation", "numerical_gradient", "GradcheckError"]:
        assert name in tg.__all__ and getattr(tg, name) is not None
    assert issubclass(tg.GradcheckError, AssertionError)


def test_a_float32_output_is_named_as_the_cause_not_misread_as_a_kink():
    # f(x) = 3·Σ float32(x): the gradient 3 is right, but differences of a float32 output at eps=1e-6
    # carry rounding of about 1.2e-7/1e-6 ≈ 0.1 -- the report must say so and not diagnose kinks.
    x = np.array([0.3, -1.7, 2.4, 0.9])

    def f(t):
        return (t.astype(np.float32) * 3).sum()

    with pytest.warns(LowPrecisionWarning, match="fn returns float32"):
        rep = gradcheck(f, x, raise_exception=False)
    assert not rep and rep["t"].kinks == []
    assert "kink" not in str(rep) and "fn returns float32 even for float64 inputs" in str(rep)
    with pytest.warns(LowPrecisionWarning):
        assert gradcheck(f, x, eps=1e-3)  # a linear map: a large step costs no truncation error
