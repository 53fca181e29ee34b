"""nn.init: in-place fills with PyTorch's formulas; bounds and statistics checked against them."""

import math

import numpy as np
import pytest

from tinygrad_softmax import Tensor, nn, optim
from tinygrad_softmax.nn import init


def empty(*shape, dtype=np.float64):
    return Tensor(np.full(shape, np.nan, dtype=dtype), requires_grad=dtype != np.int64)


def test_fills_are_in_place_and_return_the_tensor():
    t = empty(3, 4)
    data = t.data
    for fill, expected in ((init.zeros_, 0.0), (init.ones_, 1.0), (lambda t: init.constant_(t, 2.5), 2.5)):
        assert fill(t) is t and t.data is data
        np.testing.assert_array_equal(t.data, np.full((3, 4), expected))
    assert t.is_leaf and t.requires_grad and t.grad_fn is None  # nothing recorded
    ints = Tensor(np.arange(3))
    init.ones_(ints)
    assert ints.dtype == np.int64 and ints.tolist() == [1, 1, 1]


def test_an_optimizer_holding_the_parameter_sees_the_new_values():
    lin = nn.Linear(3, 2, rng=0)
    opt = optim.SGD(lin.parameters(), lr=1.0)
    init.zeros_(lin.weight)
    assert opt.params[0] is lin.weight and np.all(opt.params[0].data == 0)


def test_uniform_and_normal_statistics():
    u = init.uniform_(empty(200, 100), a=-2.0, b=3.0, generator=0).data
    assert u.min() >= -2.0 and u.max() < 3.0
    # mean of U(a, b) is (a+b)/2, variance (b-a)²/12; 20000 draws: 5-sigma tolerances
    assert abs(u.mean() - 0.5) < 5 * math.sqrt(25 / 12 / u.size)
    assert abs(u.var() - 25 / 12) < 0.05 * 25 / 12
    n = init.normal_(empty(200, 100), mean=1.5, std=0.3, generator=1).data
    assert abs(n.mean() - 1.5) < 5 * 0.3 / math.sqrt(n.size)
    assert abs(n.std() - 0.3) < 5 * 0.3 / math.sqrt(2 * n.size)  # std error of a sample std: σ/√(2n)


def test_same_generator_seed_same_values_and_float32_kept():
    a = init.normal_(empty(4, 5), generator=7).data.copy()
    b = init.normal_(empty(4, 5), generator=np.random.default_rng(7)).data
    np.testing.assert_array_equal(a, b)
    f = init.uniform_(empty(3, 3, dtype=np.float32), generator=0)
    assert f.dtype == np.float32


@pytest.mark.parametrize("name, param, expected", [
    ("linear", None, 1.0), ("sigmoid", None, 1.0), ("conv2d", None, 1.0), ("tanh", None, 5 / 3),
    ("relu", None, math.sqrt(2)), ("leaky_relu", None, math.sqrt(2 / (1 + 0.01**2))),
    ("leaky_relu", 0.2, math.sqrt(2 / 1.04)), ("selu", None, 0.75)])
def test_calculate_gain_table(name, param, expected):
    assert init.calculate_gain(name, param) == pytest.approx(expected, rel=1e-15)


def test_xavier_uniform_bound_from_the_fans():
    # a 2-D weight in Linear's layout (in, out) = (300, 100): a = gain·sqrt(6 / (300 + 100))
    w = init.xavier_uniform_(empty(300, 100), gain=2.0, generator=0).data
    a = 2.0 * math.sqrt(6 / 400)
    assert np.abs(w).max() <= a and np.abs(w).max() > 0.99 * a  # 30000 draws reach the edge
    assert abs(w.var() - a * a / 3) < 0.03 * a * a / 3
    s = init.xavier_normal_(empty(300, 100), generator=1).data
    assert abs(s.std() - math.sqrt(2 / 400)) < 0.02 * math.sqrt(2 / 400)


@pytest.mark.parametrize("mode, fan", [("fan_in", 400), ("fan_out", 50)])
def test_kaiming_uniform_bound_uses_the_right_fan(mode, fan):
    # Linear's layout (in_features, out_features) = (400, 50): fan_in is 400, as PyTorch's
    # kaiming_uniform_(linear.weight) uses in_features
    w = init.kaiming_uniform_(empty(400, 50), a=0, mode=mode, nonlinearity="relu", generator=0).data
    bound = math.sqrt(2) * math.sqrt(3 / fan)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    n = init.kaiming_normal_(empty(400, 50), mode=mode, nonlinearity="relu", generator=0).data
    assert abs(n.std() - math.sqrt(2 / fan)) < 0.03 * math.sqrt(2 / fan)


def test_kaiming_uniform_with_a_sqrt5_is_linears_default_bound():
    w = init.kaiming_uniform_(empty(64, 500), a=math.sqrt(5), generator=3).data
    k = 1 / math.sqrt(64)  # nn.Linear(64, ...)'s U(-1/sqrt(in), 1/sqrt(in))
    assert np.abs(w).max() <= k and np.abs(w).max() > 0.99 * k


def test_fans_of_a_convolution_shaped_tensor():
    # (out, in, kh, kw) = (8, 4, 3, 3): fan_in = 4·9 = 36, fan_out = 8·9 = 72
    w = init.kaiming_uniform_(empty(8, 4, 3, 3), nonlinearity="linear", generator=0).data
    assert np.abs(w).max() <= math.sqrt(3 / 36)
    w = init.kaiming_uniform_(empty(8, 4, 3, 3), mode="fan_out", nonlinearity="linear", generator=0).data
    assert np.abs(w).max() <= math.sqrt(3 / 72) and np.abs(w).max() > 0.95 * math.sqrt(3 / 72)


def test_errors_are_clear():
    with pytest.raises(ValueError, match="at least 2 axes.*\\(5,\\)"):
        init.xavier_uniform_(empty(5))
    with pytest.raises(ValueError, match="mode"):
        init.kaiming_uniform_(empty(2, 2), mode="fan_avg")
    with pytest.raises(ValueError, match="unsupported nonlinearity 'swish'"):
        init.calculate_gain("swish")
    with pytest.raises(TypeError, match="floating-point.*int64"):
        init.normal_(Tensor(np.zeros((2, 2), dtype=np.int64)))
    with pytest.raises(TypeError, match="fills a Tensor in place, got ndarray"):
        init.zeros_(np.zeros(3))
    with pytest.raises(ValueError, match="a <= b"):
        init.uniform_(empty(2), 1.0, 0.0)
    with pytest.raises(ValueError, match="std"):
        init.normal_(empty(2), std=-1.0)


def test_nn_init_is_the_init_module():
    import tinygrad_softmax.init as module
    from tinygrad_softmax.nn.init import xavier_uniform_  # PyTorch's spelling

    assert nn.init is module and xavier_uniform_ is module.xavier_uniform_
