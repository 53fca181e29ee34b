"""detect_anomaly: NaN/inf in forward and backward, the message, and the mode being off by default."""

from __future__ import annotations

import inspect
import warnings

import numpy as np
import pytest

from tinygrad_softmax import AnomalyError, Function, Tensor, detect_anomaly, is_anomaly_enabled
from tinygrad_softmax.hooks import observers

HERE = __file__


def line_of(marker: str) -> int:
    """The line number of the (unique) line of this file that contains ``marker``."""
    lines = inspect.getsource(inspect.getmodule(line_of)).splitlines()
    hits = [i + 1 for i, line in enumerate(lines) if marker in line and "line_of(" not in line]
    assert len(hits) == 1, hits
    return hits[0]


@pytest.fixture(autouse=True)
def quiet_numpy():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # NumPy's own "invalid value in log"
        yield
    assert observers() == ()  # no observer left behind by any test


class DividesByZero(Function):
    """Forward is fine (2x); backward divides the gradient by zero: inf."""

    @staticmethod
    def forward(ctx, x):
        return 2 * x

    @staticmethod
    def backward(ctx, g):
        return g / np.zeros_like(g)


class ZeroOverZero(Function):
    """Backward returns 0/0 = NaN."""

    @staticmethod
    def forward(ctx, x):
        return x.sum(axis=1)

    @staticmethod
    def backward(ctx, g):
        ones = np.ones((g.shape[0], 3))
        return (g[:, None] * ones) * 0.0 / np.zeros_like(ones)


def test_nan_in_forward_names_op_shapes_and_user_line():
    x = Tensor([[1.0, -2.0, 3.0]], requires_grad=True)
    with pytest.raises(AnomalyError) as info, detect_anomaly():
        y = x.log()  # MARK-forward-log
    err = info.value
    assert isinstance(err, RuntimeError)
    assert (err.op, err.phase, err.kind) == ("Log", "forward", "nan")
    assert err.input_shapes == ((1, 3),) and err.output_shape == (1, 3)
    assert err.location == f"{HERE}:{line_of('MARK-forward-log')}"
    msg = str(err)
    assert "Log" in msg and "(1, 3)" in msg and "nan" in msg
    assert f"{HERE}:{line_of('MARK-forward-log')}" in msg
    assert "y = x.log()" in msg  # the source line itself
    assert "y" not in locals()


def test_inf_in_forward_and_check_inf_false_lets_it_through():
    a = Tensor([1.0, 2.0])
    zero = Tensor([0.0, 1.0], requires_grad=True)
    with pytest.raises(AnomalyError, match=r"Div \(forward\) produced inf") as info, detect_anomaly():
        a / zero  # MARK-div
    assert info.value.location.endswith(f":{line_of('MARK-div')}")
    assert info.value.input_shapes == ((2,), (2,))
    with detect_anomaly(check_inf=False):
        out = a / zero
    assert np.isinf(out.detach().numpy()[0])


def test_inf_in_backward_from_a_custom_function():
    x = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    with pytest.raises(AnomalyError) as info, detect_anomaly():
        y = DividesByZero.apply(x)  # MARK-custom-created
        loss = (y * y).sum()
        loss.backward()
    err = info.value
    assert (err.op, err.phase, err.kind) == ("DividesByZero", "backward", "inf")
    assert err.input_shapes == ((2, 2),) and err.output_shape == (2, 2)
    # where the op was made, not where .backward() was called
    assert err.location == f"{HERE}:{line_of('MARK-custom-created')}"
    assert "gradient it computed for input 0 (shape (2, 2))" in str(err)
    assert x.grad is None  # stopped before anything reached the leaf


def test_nan_in_backward_is_reported_with_shapes():
    x = Tensor(np.ones((4, 3)), requires_grad=True)
    with pytest.raises(AnomalyError, match=r"ZeroOverZero \(backward\).*contains nan") as info, \
            detect_anomaly():
        ZeroOverZero.apply(x).sum().backward()
    assert info.value.input_shapes == ((4, 3),) and info.value.output_shape == (4,)


def test_backward_of_sqrt_at_zero_is_caught_in_plain_and_create_graph_mode():
    for create_graph in (False, True):
        z = Tensor([0.0, 4.0], requires_grad=True)
        with pytest.raises(AnomalyError) as info, detect_anomaly():
            y = (z ** 0.5).sum()  # MARK-sqrt
            y.backward(create_graph=create_graph)
        assert info.value.kind == "inf"
        assert info.value.location.endswith(f":{line_of('MARK-sqrt')}")
        assert "Pow" in str(info.value)
        assert info.value.phase == ("backward (create_graph)" if create_graph else "backward")


def test_a_0d_backward_inf_is_blamed_on_the_op_that_computed_it():
    # NumPy turns 0-d results into scalars; the op that made the inf must still be named,
    # not the next op that receives it
    x = Tensor(0.0, requires_grad=True)
    with pytest.raises(AnomalyError) as info, detect_anomaly(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        norm = (x * x).sum() ** 0.5  # MARK-norm
        norm.backward()
    assert "Pow (backward)" in str(info.value) and "for input 0" in str(info.value)
    assert info.value.location.endswith(f":{line_of('MARK-norm')}")


def test_a_nan_already_in_the_input_data_is_reported_as_such():
    data = Tensor([np.nan, 1.0])
    w = Tensor([2.0, 3.0], requires_grad=True)
    with pytest.raises(AnomalyError, match=r"Mul \(forward\) passed on nan: its input 0") as info, \
            detect_anomaly():
        data * w
    assert info.value.kind == "nan"


def test_an_infinite_upstream_gradient_is_reported():
    x = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(AnomalyError, match="incoming gradient"), detect_anomaly():
        (x * 3).backward(gradient=np.array([np.inf, 1.0]))


def test_finite_computation_passes_and_gives_the_same_gradients():
    x = Tensor([0.5, 1.5], requires_grad=True)
    with detect_anomaly():
        assert is_anomaly_enabled()
        (x.log() * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.log([0.5, 1.5]) + 1.0)  # d(x log x)/dx = log x + 1
    assert not is_anomaly_enabled()


def test_off_by_default_and_after_the_block_nothing_is_raised():
    assert observers() == () and not is_anomaly_enabled()
    x = Tensor([-1.0], requires_grad=True)
    assert np.isnan(x.log().detach().numpy()).all()  # no error: the mode is off
    with pytest.raises(AnomalyError), detect_anomaly():
        x.log()
    assert observers() == ()
    y = x.log()  # off again
    assert np.isnan(y.detach().numpy()).all()


def test_as_a_decorator_including_recursion():
    @detect_anomaly()
    def f(t, depth):
        assert is_anomaly_enabled()
        return f(t, depth - 1) if depth else t.log()

    assert f(Tensor([2.0]), 3).item() == pytest.approx(np.log(2.0))
    with pytest.raises(AnomalyError):
        f(Tensor([-2.0]), 3)
    assert observers() == ()
