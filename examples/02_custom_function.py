"""A custom differentiable op with ``Function``: a numerically careful softplus.

Run: python examples/02_custom_function.py

softplus(x) = log(1 + eˣ). Written naively it overflows for large x (e^1000 = inf), so the
forward pass uses the equivalent form max(x, 0) + log(1 + e^(−|x|)), whose exponential never
exceeds 1. Its derivative is the logistic sigmoid σ(x) = 1 / (1 + e^(−x)), itself a small
Function, so that the backward formula is made of recorded ops and softplus can be
differentiated twice. The script checks the first and second derivatives against float64
central differences and prints the results.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_softmax import Function, Tensor


class Sigmoid(Function):
    """σ(x) = 1 / (1 + e^(−x)).  Backward: dσ/dx = σ (1 − σ), written with the saved output."""

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        e = np.exp(-np.abs(x))  # in (0, 1]: no overflow for any x
        out = np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        (out,) = ctx.saved_tensors  # the output: an ndarray, or under create_graph the output Tensor
        return grad * out * (1.0 - out)


class Softplus(Function):
    """softplus(x) = log(1 + eˣ) = max(x, 0) + log(1 + e^(−|x|)).  Backward: d/dx = σ(x)."""

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(x)
        return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        (x,) = ctx.saved_tensors  # the input: an ndarray, or under create_graph the input Tensor
        return grad * Sigmoid.apply(x)  # a recorded op, so the gradient is differentiable too


def softplus(x: Tensor) -> Tensor:
    return Softplus.apply(x)


def central_difference(f: Any, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """d f(x) / dx for a scalar function f of a float64 array, one element at a time."""
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[i] = eps
        grad[i] = (f(x + step) - f(x - step)) / (2 * eps)
    return grad


def main() -> dict[str, float]:
    x0 = np.array([-30.0, -2.0, -0.5, 0.0, 0.7, 3.0, 40.0])
    r = np.random.default_rng(0).uniform(-1.0, 1.0, size=x0.shape)  # a non-constant upstream gradient

    # first derivative: L = Σ r·softplus(x), so dL/dx = r·σ(x)
    x = Tensor(x0, requires_grad=True)
    (softplus(x) * r).sum().backward(create_graph=True)
    grad = x.grad
    numeric = central_difference(lambda v: np.sum(r * (np.maximum(v, 0) + np.log1p(np.exp(-np.abs(v))))), x0)
    first_error = float(np.max(np.abs(grad.detach().numpy() - numeric)))

    # second derivative: d/dx Σ dL/dx = r·σ(x)(1 − σ(x)); compare with differences of the gradient
    x.grad = None
    grad.sum().backward()

    def first_gradient_sum(v: np.ndarray) -> float:
        t = Tensor(v, requires_grad=True)
        (softplus(t) * r).sum().backward()
        return float(t.grad.numpy().sum())

    second_error = float(np.max(np.abs(x.grad.numpy() - central_difference(first_gradient_sum, x0))))

    big = softplus(Tensor([1000.0, -1000.0])).numpy()  # the naive log(1 + e^x) gives inf here
    print("softplus(x)         =", softplus(Tensor(x0)).numpy().round(6))
    print("softplus(±1000)     =", big)
    print(f"first derivative:  max |backward − central difference| = {first_error:.2e}")
    print(f"second derivative: max |backward − central difference| = {second_error:.2e}")
    ok = first_error < 1e-7 and second_error < 1e-7 and np.allclose(big, [1000.0, 0.0])
    print("gradient check passed:", ok)
    return {"first_error": first_error, "second_error": second_error}


if __name__ == "__main__":
    main()
