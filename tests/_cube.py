"""x³ as a custom Function with its derivative 3x², and ``WrongCube`` whose backward gives 2x²:
the right and the wrong backward the gradient-check tests run their checker on."""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_softmax import Function


class Cube(Function):
    """x³ with dL/dx = 3x²·g; ``factor`` lets a test inject a wrong derivative."""

    factor = 3.0

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        (x,) = ctx.saved_tensors
        return ctx.factor * x * x * g


class WrongCube(Cube):
    """x³ whose backward gives 2x²·g (the right one is 3x²·g)."""

    factor = 2.0
