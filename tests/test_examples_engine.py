"""examples/02_custom_function.py runs, checks itself, and its softplus is right."""

import runpy
from pathlib import Path

import numpy as np

from tinygrad_softmax import Tensor

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "02_custom_function.py"


def test_custom_function_example_runs_and_passes_its_gradient_check(capsys):
    ns = runpy.run_path(str(EXAMPLE), run_name="__main__")
    out = capsys.readouterr().out
    assert "gradient check passed: True" in out
    assert "first derivative" in out and "second derivative" in out

    # the example's op against closed forms: softplus = logaddexp(0, x), σ = 1/(1+e^-x), σ' = σ(1-σ)
    x0 = np.array([-700.0, -5.0, -0.3, 0.0, 0.3, 5.0, 700.0])
    x = Tensor(x0, requires_grad=True)
    y = ns["softplus"](x)
    np.testing.assert_allclose(y.detach().numpy(), np.logaddexp(0.0, x0), rtol=1e-13)
    y.sum().backward(create_graph=True)
    sig = 0.5 * (1.0 + np.tanh(x0 / 2))  # σ(x) written without its own overflow
    np.testing.assert_allclose(x.grad.detach().numpy(), sig, rtol=1e-12, atol=1e-300)
    g = x.grad
    x.grad = None
    g.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), sig * (1 - sig), rtol=1e-9, atol=1e-300)


def test_custom_function_example_main_reports_small_errors():
    ns = runpy.run_path(str(EXAMPLE), run_name="not_main")  # import only: main() not run yet
    errors = ns["main"]()
    assert errors["first_error"] < 1e-7 and errors["second_error"] < 1e-7
