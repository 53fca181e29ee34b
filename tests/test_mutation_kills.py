"""Behaviours that a mutation run of ``ops.py`` and ``functional.py`` found untested (issue 18).

Each test here was written for a mutant that survived the fast selection: it pins a behaviour
that an edit of the source could change without any other test noticing. The references are
NumPy, the standard library (``math.erf``), closed forms or PyTorch's documented conventions,
never the output of the code under test. docs/testing.md lists what the mutation run measured.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_softmax.functional as F
from tinygrad_softmax import Tensor, ops
from tinygrad_softmax.testing import assert_close


def _message(exc_type: type[BaseException], fn, *args, **kwargs) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(exc_type) as info:
        fn(*args, **kwargs)
    return str(info.value)


# ---- erf's Taylor table ----------------------------------------------------------------------
def test_the_erf_table_builder_gives_polynomials_within_ulps_of_math_erf(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # The table is built once, at import; build it again here (so a change of the builder shows)
    # and evaluate erf with it, at the centers, half-way between them and in between.
    table = ops._erf_taylor_table(ops._ERF_STEP, ops._ERF_TOP, 11)
    assert table.shape == (11, 97)  # centers 0, 1/16, ..., 6
    monkeypatch.setattr(ops, "_ERF_TABLE", table)
    xs = np.concatenate([np.arange(0.0, 6.0 + 1 / 64, 1 / 64), [0.3, 1.234567, 2.71828, 4.999, 5.97]])
    xs = np.concatenate([xs, -xs])
    want = np.array([math.erf(v) for v in xs])
    got = ops._erf(xs)
    np.testing.assert_allclose(got, want, rtol=4e-16, atol=0)
    # the derivative rows, closed forms: erf' = 2/√π e^(−c²), erf''/2! = −c·erf'(c)
    c = np.arange(97) / 16
    d1 = 2 / math.sqrt(math.pi) * np.exp(-c * c)
    np.testing.assert_allclose(table[1], d1, rtol=1e-14)
    np.testing.assert_allclose(table[2], -c * d1, rtol=1e-14, atol=1e-300)
    np.testing.assert_allclose(table[3], (4 * c * c - 2) * d1 / 6, rtol=1e-13, atol=1e-300)


# ---- one_hot ----------------------------------------------------------------------------------
def test_one_hot_with_zero_classes_of_an_empty_tensor_is_an_empty_matrix() -> None:
    # PyTorch: F.one_hot(torch.tensor([], dtype=torch.long), num_classes=0) has shape (0, 0)
    out = F.one_hot(np.array([], dtype=np.int64), num_classes=0)
    assert_close(out, np.zeros((0, 0), dtype=np.int64))


def test_one_hot_messages_read_exactly() -> None:
    assert _message(ValueError, F.one_hot, np.array([], dtype=np.int64)) == (
        "one_hot: cannot infer the number of classes from an empty tensor; pass num_classes")
    assert _message(ValueError, F.one_hot, np.array([1]), num_classes=-2) == (
        "one_hot: num_classes must be -1 or >= 0, got -2")


# ---- dropout ----------------------------------------------------------------------------------
def test_dropout_default_probability_is_one_half() -> None:
    out = F.dropout(Tensor(np.ones(20000)), generator=3).data
    kept = out != 0
    np.testing.assert_array_equal(out[kept], 2.0)
    assert abs(kept.mean() - 0.5) < 0.02  # 5.6 standard deviations of a binomial mean


def test_dropout_keeps_a_float_dtype_and_gives_float64_for_integers() -> None:
    out32 = F.dropout(Tensor(np.ones(1000, dtype=np.float32)), p=0.3, generator=0)
    assert out32.dtype == np.float32
    kept = out32.data != 0
    np.testing.assert_array_equal(out32.data[kept], np.float32(1 / 0.7))
    ints = np.arange(1, 1001, dtype=np.int64)
    out = F.dropout(Tensor(ints), p=0.3, generator=0)
    assert out.dtype == np.float64  # the mask is float64 (an int mask would truncate 1/0.7 to 1)
    kept = out.data != 0
    np.testing.assert_allclose(out.data[kept], ints[kept] / 0.7, rtol=1e-15)


def test_dropout_refuses_a_bool_probability_and_inplace() -> None:
    x = Tensor([1.0, 2.0])
    assert _message(ValueError, F.dropout, x, p=True) == (
        "dropout probability has to be between 0 and 1, but got True")
    assert _message(ValueError, F.dropout, x, 0.5, True, True) == (
        "dropout: inplace=True is not supported; write x = dropout(x, p)")
    assert _message(TypeError, F.dropout, x, 0.5, True, 7) == (
        "dropout: the fourth argument is inplace (as in PyTorch), got 7; pass the generator as generator=...")


# ---- the names in the messages of activations and losses ----------------------------------------
INT = Tensor(np.array([1, 2]))
F2 = Tensor(np.array([0.2, 0.7]))
F3 = Tensor(np.array([0.2, 0.7, 0.5]))


@pytest.mark.parametrize("name", ["leaky_relu", "elu", "gelu", "silu", "softplus"])
def test_activations_name_themselves_when_refusing_an_integer_input(name: str) -> None:
    assert _message(TypeError, getattr(F, name), INT) == (
        f"{name}: input must be floating point, got dtype int64")


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "binary_cross_entropy",
                                  "binary_cross_entropy_with_logits"])
def test_elementwise_losses_name_themselves_in_every_message(name: str) -> None:
    fn = getattr(F, name)
    assert _message(ValueError, fn, F2, F2, reduction="avg") == (
        f"{name}: reduction must be 'mean', 'sum' or 'none', got 'avg'")
    if name in ("mse_loss", "l1_loss"):
        assert _message(ValueError, fn, F2, F3) == (
            f"{name}: target shape (3,) differs from input shape (2,); PyTorch broadcasts them (with a "
            "warning), which rarely is what was meant. Give the target the input's shape, e.g. "
            "target.reshape(input.shape), or broadcast it explicitly")
        return
    assert _message(TypeError, fn, INT, F2) == f"{name}: input must be floating point, got dtype int64"
    assert _message(ValueError, fn, F2, F3) == (
        f"{name}: target size (3,) differs from input size (2,); give them the same shape "
        "(as PyTorch requires)")
    assert _message(ValueError, fn, F2, F2, weight=np.ones(3)) == (
        f"{name}: weight of shape (3,) does not broadcast to the input's shape (2,)")
    assert _message(TypeError, fn, F2, F2, weight=np.array(["a", "b"])) == (
        f"{name}: weight must be numeric, got dtype <U1")
    if name == "binary_cross_entropy":
        assert _message(ValueError, fn, Tensor([1.5, 0.5]), F2) == (
            "binary_cross_entropy: all elements of input must lie in [0, 1] (probabilities); "
            "for raw scores use binary_cross_entropy_with_logits")
    else:
        assert _message(ValueError, fn, F2, F2, pos_weight=np.ones(3)) == (
            f"{name}: pos: weight of shape (3,) does not broadcast to the input's shape (2,)")


def test_nll_loss_messages_read_exactly() -> None:
    logp = Tensor(np.log(np.full((2, 3), 1 / 3)))
    y = np.array([0, 2])
    assert _message(ValueError, F.nll_loss, logp, y, reduction="avg") == (
        "nll_loss: reduction must be 'mean', 'sum' or 'none', got 'avg'")
    assert _message(TypeError, F.nll_loss, Tensor(np.array([[1, 2]])), y[:1]) == (
        "nll_loss: input must be floating point, got dtype int64")
    assert _message(ValueError, F.nll_loss, Tensor(1.0), np.array(0)) == (
        "nll_loss: input must have a class axis, shape (C,), (N, C) or (N, C, d1, ...); got a 0-d tensor")
    assert _message(ValueError, F.nll_loss, logp, np.array([0, 3])) == (
        "nll_loss: target value 3 is out of bounds: class indices must lie in [0, 2] or equal "
        "ignore_index=-100")
    assert _message(ValueError, F.nll_loss, logp, y, weight=Tensor(np.ones(3), requires_grad=True)) == (
        "nll_loss: weight must not require grad (class weights are constants, as in PyTorch's nll_loss)")
    assert _message(ValueError, F.nll_loss, logp, y, weight=np.ones(4)) == (
        "nll_loss: weight of shape (4,) does not broadcast to the input's shape (3,)")
    # a weight that broadcasts to (C,) but is not one entry per class
    assert _message(ValueError, F.nll_loss, logp, y, weight=np.ones(1)) == (
        "nll_loss: weight must have shape (3,), one entry per class, got (1,)")


def test_nll_loss_refuses_a_target_equal_to_the_number_of_classes() -> None:
    # the bound is exclusive: with C = 3 classes, 3 is out of range (not a deep IndexError)
    with pytest.raises(ValueError, match="target value 3 is out of bounds"):
        F.nll_loss(Tensor(np.zeros((1, 3))), np.array([3]))


# ---- dtypes of the losses: the input's, whatever the target's or weight's -----------------------
def test_losses_keep_a_float32_input_dtype_with_float64_targets_and_weights() -> None:
    x = np.array([[0.2, 0.7], [0.9, 0.4]], dtype=np.float32)
    t = np.array([[0.0, 1.0], [1.0, 0.0]])  # float64
    w = np.array([0.5, 2.0])  # float64, broadcast along rows
    x64 = x.astype(np.float64)
    bce = -(t * np.log(x64) + (1 - t) * np.log1p(-x64))
    for weight, factor in ((None, 1.0), (w, w), (list(w), w)):
        got = F.binary_cross_entropy(Tensor(x), Tensor(t), weight=weight, reduction="none")
        assert_close(got, (bce * factor).astype(np.float32), rtol=1e-6)
    sp = np.logaddexp(0.0, -x64) * t + np.logaddexp(0.0, x64) * (1 - t)
    got = F.binary_cross_entropy_with_logits(Tensor(x), Tensor(t), weight=w, reduction="none")
    assert_close(got, (sp * w).astype(np.float32), rtol=1e-6)
    got = F.binary_cross_entropy_with_logits(Tensor(x), Tensor(t), pos_weight=w, reduction="none")
    pw = np.logaddexp(0.0, -x64) * t * w + np.logaddexp(0.0, x64) * (1 - t)
    assert_close(got, pw.astype(np.float32), rtol=1e-6)
    y = np.array([1, 0])
    got = F.nll_loss(Tensor(np.log(x)), y, weight=w, reduction="none")
    assert_close(got, -(np.log(x64)[[0, 1], y] * w[y]).astype(np.float32), rtol=1e-6)


def test_binary_cross_entropy_with_an_integer_target_is_the_float_loss() -> None:
    x = np.array([0.2, 0.7])
    got = F.binary_cross_entropy(Tensor(x), Tensor(np.array([0, 1])), reduction="none")
    assert_close(got, -np.log(np.array([0.8, 0.7])), rtol=1e-15)


def test_binary_cross_entropy_with_logits_has_no_linear_tail() -> None:
    # log(1 + e^x) exactly for large x (PyTorch's linear tail belongs to F.softplus only):
    # at x = 30, log1p(e^-30) ≈ 9.4e-14 is 27 ulps of 30
    x = Tensor(np.array([30.0, -30.0]), requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(x, Tensor(np.array([0.0, 1.0])), reduction="sum")
    assert_close(loss, np.logaddexp(0.0, 30.0) * 2, rtol=1e-15)
    loss.backward()
    sig = 1 / (1 + np.exp(-30.0))
    assert_close(x.grad, np.array([sig, -sig]), rtol=1e-15)


def test_softplus_linear_tail_starts_past_20_by_default() -> None:
    # PyTorch: softplus(x) = x where beta * x > threshold = 20
    x = Tensor(np.array([20.5, 19.5, 20.0]), requires_grad=True)
    out = F.softplus(x)
    assert out.data[0] == 20.5
    # at exactly 20 the smooth branch still applies (strict >): log(1 + e^20) = 20 + 2.1e-9
    assert_close(out.data[1:], np.logaddexp(0.0, np.array([19.5, 20.0])), rtol=1e-15)
    out.sum().backward()
    assert_close(x.grad, np.array([1.0, 1 / (1 + np.exp(-19.5)), 1 / (1 + np.exp(-20.0))]), rtol=1e-15)


def test_loss_weights_that_require_grad_receive_their_gradient() -> None:
    x = np.array([[0.2, 0.7], [0.9, 0.4]])
    t = np.array([[0.0, 1.0], [1.0, 0.0]])
    w = Tensor(np.array([0.5, 2.0]), requires_grad=True)
    F.binary_cross_entropy(Tensor(x), Tensor(t), weight=w, reduction="sum").backward()
    per = -(t * np.log(x) + (1 - t) * np.log1p(-x))
    assert_close(w.grad, per.sum(axis=0), rtol=1e-14)
    for kw in ("weight", "pos_weight"):
        w = Tensor(np.array([0.5, 2.0]), requires_grad=True)
        F.binary_cross_entropy_with_logits(Tensor(x), Tensor(t), reduction="sum", **{kw: w}).backward()
        pos, neg = t * np.logaddexp(0.0, -x), (1 - t) * np.logaddexp(0.0, x)
        want = (pos + neg).sum(axis=0) if kw == "weight" else pos.sum(axis=0)
        assert_close(w.grad, want, rtol=1e-14)


def test_binary_cross_entropy_at_probabilities_0_and_1_does_not_warn() -> None:
    import warnings
    x = Tensor(np.array([0.0, 1.0, 0.5]), requires_grad=True)
    t = Tensor(np.array([0.0, 1.0, 1.0]), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = F.binary_cross_entropy(x, t, reduction="sum")
        loss.backward()
    # PyTorch's clamp of each log at -100: log(1 − x) − log(x) = −100 − 0 at x = 1, 0 + 100 at x = 0
    assert_close(t.grad, np.array([100.0, -100.0, 0.0]), rtol=1e-15)
    assert_close(loss, np.log(2.0), rtol=1e-15)


# ---- elu's second derivative at 0 -----------------------------------------------------------------
def test_elu_second_derivative_at_zero_follows_the_left_branch() -> None:
    # elu'(x) = alpha * e^x for x <= 0 (PyTorch's branch at 0), so elu''(0) = alpha, not alpha - 1
    x = Tensor(np.array([0.0, -1.0, 2.0]), requires_grad=True)
    F.elu(x, alpha=1.5).sum().backward(create_graph=True)
    g, x.grad = x.grad, None
    assert g is not None
    assert_close(g, np.array([1.5, 1.5 * np.exp(-1.0), 1.0]), rtol=1e-15)
    g.sum().backward()
    assert_close(x.grad, np.array([1.5, 1.5 * np.exp(-1.0), 0.0]), rtol=1e-15)
    assert_close(F.elu(Tensor(np.array([0.0])), alpha=1.5), np.array([0.0]), rtol=0, atol=0)


# ---- item assignment and padding, in create_graph mode too ---------------------------------------
def test_assigning_a_value_with_leading_unit_axes_gives_it_a_gradient_of_its_shape() -> None:
    x = Tensor(np.zeros((2, 3)), requires_grad=True)
    v = Tensor(np.array([[1.0, 2.0, 3.0]]), requires_grad=True)  # (1, 3) written into x[0], shape (3,)
    y = x * 1.0
    y[0] = v
    (y * Tensor(np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]))).sum().backward()
    assert_close(v.grad, np.array([[1.0, 2.0, 3.0]]))
    assert_close(x.grad, np.array([[0.0, 0.0, 0.0], [4.0, 5.0, 6.0]]))


def test_assigning_twice_to_one_position_of_a_graph_tensor_is_refused_with_a_message() -> None:
    y = Tensor(np.zeros(3), requires_grad=True) * 1.0
    with pytest.raises(ValueError) as info:
        y[[0, 0]] = Tensor(np.array([1.0, 2.0]))
    assert str(info.value).endswith(
        "writes some positions of a tensor that requires grad twice; which write wins is unspecified, "
        "so its gradient would be too. Use unique indices")


def test_padding_that_crops_has_a_zero_gradient_at_the_cropped_entries_in_create_graph_mode() -> None:
    x = Tensor(np.arange(1.0, 6.0), requires_grad=True)
    y = F.pad(x, (-1, 2), value=7.0)  # drops x[0], appends two 7s
    assert_close(y, np.array([2.0, 3.0, 4.0, 5.0, 7.0, 7.0]))
    (y * y).sum().backward(create_graph=True)
    assert isinstance(x.grad, Tensor) and x.grad.grad_fn is not None
    assert_close(x.grad, np.array([0.0, 4.0, 6.0, 8.0, 10.0]))


# ---- indices ---------------------------------------------------------------------------------------
def test_an_empty_list_is_an_integer_index_and_an_empty_bool_array_is_not() -> None:
    t = Tensor(np.arange(6.0).reshape(2, 3))
    assert_close(t.gather(1, np.zeros((2, 0))), np.zeros((2, 0)))  # NumPy makes [] float64
    assert_close(t.gather(1, [[], []]), np.zeros((2, 0)))
    with pytest.raises(TypeError, match="gather: index must hold integers, got dtype bool"):
        t.gather(1, np.zeros((2, 0), dtype=bool))


# ---- logsumexp's default axis in its signature -----------------------------------------------------
def test_logsumexp_signature_shows_the_default_axis_as_minus_one() -> None:
    import inspect
    assert "dim: 'Any' = -1" in str(inspect.signature(F.logsumexp))


# ---- einsum ----------------------------------------------------------------------------------------
def test_einsum_ignores_spaces_and_names_its_refusals() -> None:
    a, b = np.arange(6.0).reshape(2, 3), np.arange(12.0).reshape(3, 4)
    assert_close(F.einsum("ij, jk -> ik", Tensor(a), Tensor(b)), np.einsum("ij,jk->ik", a, b))
    assert _message(ValueError, F.einsum, "ij") == "einsum needs at least one operand"
    assert _message(TypeError, F.einsum, 3, Tensor(a)) == (
        "einsum subscripts must be a string such as 'ij,jk->ik', got 3")


def test_einsum_ellipsis_for_several_axes_and_for_none() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, 3, 4, 5)), rng.standard_normal((2, 3, 5, 2))
    assert_close(F.einsum("...ij,...jk->...ik", Tensor(a), Tensor(b)), a @ b, rtol=1e-13)
    a2, b2 = a[0, 0], b[0, 0]  # '...' standing for no axis at all
    assert_close(F.einsum("...ij,...jk->...ik", Tensor(a2), Tensor(b2)), a2 @ b2, rtol=1e-13)
    # more '...' axes than there are letters of one case (27 unit axes)
    c = rng.standard_normal((1,) * 27 + (3,))
    assert_close(F.einsum("...i->...", Tensor(c)), c.sum(axis=-1), rtol=1e-13)


@pytest.mark.parametrize("letters", ["abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ"])
def test_einsum_gradient_of_a_diagonal_when_one_alphabet_is_used_up(letters: str) -> None:
    # the backward needs a fresh letter for the repeated one; all letters of one case are taken
    x = Tensor(np.arange(4.0).reshape((1,) * 25 + (2, 2)), requires_grad=True)
    out = F.einsum(letters + letters[-1] + "->", x)  # the trace of the last two axes
    assert_close(out, 0.0 + 3.0)
    out.backward()
    assert_close(x.grad, np.eye(2).reshape(x.shape))


def test_einsum_gradient_of_a_later_operand_when_an_earlier_one_needs_none() -> None:
    a = Tensor(np.arange(6.0).reshape(2, 3))  # a constant
    b = Tensor(np.ones((3, 2)), requires_grad=True)
    F.einsum("ij,jk->ik", a, b).sum().backward()
    assert_close(b.grad, np.repeat(a.data.sum(axis=0)[:, None], 2, axis=1))


def test_einsum_gradient_with_two_repeated_letters() -> None:
    x = Tensor(np.arange(16.0).reshape(2, 2, 2, 2), requires_grad=True)
    out = F.einsum("iijj->", x)  # Σ_ij x[i, i, j, j]
    assert_close(out, sum(x.data[i, i, j, j] for i in range(2) for j in range(2)))
    out.backward()
    want = np.einsum("ik,jl->ikjl", np.eye(2), np.eye(2))
    assert_close(x.grad, want)


# ---- where, cumsum, pow: more modes and edges ------------------------------------------------------
def test_where_gradients_in_create_graph_mode_follow_the_condition() -> None:
    from tinygrad_softmax import where
    x = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    y = Tensor(np.array([4.0, 5.0, 6.0]), requires_grad=True)
    cond = np.array([True, False, True])
    (where(cond, x, y) * where(cond, x, y)).sum().backward(create_graph=True)
    assert_close(x.grad, np.array([2.0, 0.0, 6.0]))
    assert_close(y.grad, np.array([0.0, 10.0, 0.0]))


def test_cumsum_along_the_last_axis_of_a_vector() -> None:
    x = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    out = x.cumsum(dim=-1)
    assert_close(out, np.cumsum(x.data))
    out.sum().backward()
    assert_close(x.grad, np.array([3.0, 2.0, 1.0]))


def test_pow_backward_that_overflows_to_inf_does_not_warn() -> None:
    import warnings
    x = Tensor(np.array([1e-300, 2.0]), requires_grad=True)
    y = Tensor(np.array([-1.0, 2.0]), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (x**y).sum().backward()
    # d(x**y)/dx = y·x**(y−1): −1e600 overflows to −inf (the right limit), 2·2 = 4
    assert_close(x.grad, np.array([-np.inf, 4.0]))


# ---- softmax's and cross_entropy's messages, max over a NaN row -------------------------------------
def test_softmax_of_3d_and_4d_inputs_names_pytorchs_implicit_dim() -> None:
    for shape, dim in (((2, 2, 2), 0), ((2, 2, 2, 2), 1)):
        assert _message(TypeError, F.softmax, Tensor(np.zeros(shape))) == (
            f"softmax() of a {len(shape)}-D tensor (shape {shape}) needs dim= (or axis=): PyTorch's "
            f"implicit choice would be dim {dim}, not the last axis")


def test_cross_entropy_argument_messages_read_exactly() -> None:
    x, y = Tensor(np.zeros((2, 3))), np.array([0, 1])
    for fn in (F.cross_entropy, F.softmax_cross_entropy):
        assert _message(ValueError, fn, Tensor(1.0), np.array(0)) == (
            "logits must have at least one dimension (the classes), got a 0-d tensor")
        assert _message(ValueError, fn, x, y, weight=Tensor(np.ones(3), requires_grad=True)) == (
            "weight must not require grad: gradients with respect to class weights are not supported "
            "(as in torch.nn.functional.cross_entropy)")
        assert _message(TypeError, fn, x, y, weight=np.array(["a", "b", "c"])) == (
            "weight must be numeric, got dtype <U1")


def test_max_over_a_row_of_nans_is_nan_without_a_warning() -> None:
    import warnings
    x = Tensor(np.array([[np.nan, np.nan], [1.0, 2.0]]), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = x.max(axis=1)
        out.sum().backward()
    assert np.isnan(out.data[0]) and out.data[1] == 2.0
    assert np.all(np.isnan(x.grad.data[0])) and x.grad.data[1].tolist() == [0.0, 1.0]


def test_erf_of_an_integer_tensor_is_float64() -> None:
    out = ops.Erf.apply(Tensor(np.array([0, 1, -2])))
    assert_close(out, np.array([0.0, math.erf(1.0), math.erf(-2.0)]), rtol=1e-15)
