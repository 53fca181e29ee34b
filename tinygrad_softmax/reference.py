"""The blog's closed form in plain NumPy: what a learner writes after reading the article.

A linear classifier with scores ``f = X W + b`` (X: (N, D), W: (D, C), b: (C,)), probabilities
``S = softmax(f)`` row by row, one-hot targets ``Y`` and the loss

    L = −(1/N) Σ_n log S[n, y_n] + ½ λ Σ W²,

has the gradients derived in the article:

    dL/df = (S − Y) / N,    dL/dW = Xᵀ (S − Y) / N + λ W,    dL/db = Σ_n (S − Y)[n] / N.

No autodiff here: these functions are the oracle the engine's two losses are tested against.
"""

from __future__ import annotations

import numpy as np

__all__ = ["scores", "softmax_probs", "loss", "gradients", "loss_and_gradients"]


def scores(X: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Class scores f = X W + b, shape (N, C)."""
    return np.dot(X, W) + b


def softmax_probs(scores: np.ndarray) -> np.ndarray:
    """Row-wise softmax. Each row is shifted so its maximum is 0 first, so exp() cannot overflow."""
    exp_scores = np.exp(scores - np.max(scores, axis=1, keepdims=True))
    return exp_scores / np.sum(exp_scores, axis=1, keepdims=True)


def _one_hot(y: np.ndarray, n_classes: int) -> np.ndarray:
    Y = np.zeros((len(y), n_classes))
    Y[np.arange(len(y)), y] = 1.0
    return Y


def loss(X: np.ndarray, y: np.ndarray, W: np.ndarray, b: np.ndarray, reg: float) -> float:
    """Mean cross-entropy −(1/N) Σ log S[n, y_n] plus the L2 penalty ½·reg·Σ W²."""
    probs = softmax_probs(scores(X, W, b))
    n_samples = X.shape[0]
    correct_logprobs = -np.log(probs[np.arange(n_samples), y])
    return float(np.sum(correct_logprobs) / n_samples + 0.5 * reg * np.sum(W * W))


def gradients(X: np.ndarray, y: np.ndarray, W: np.ndarray, b: np.ndarray,
              reg: float) -> tuple[np.ndarray, np.ndarray]:
    """(dW, db) with dW = Xᵀ(S − Y)/N + reg·W (shape (D, C)) and db = Σ_n (S − Y)[n]/N (shape (C,))."""
    probs = softmax_probs(scores(X, W, b))
    dscores = (probs - _one_hot(y, W.shape[1])) / X.shape[0]
    dW = X.T.dot(dscores) + reg * W
    db = np.sum(dscores, axis=0)
    return dW, db


def loss_and_gradients(X: np.ndarray, y: np.ndarray, W: np.ndarray, b: np.ndarray,
                       reg: float) -> tuple[float, np.ndarray, np.ndarray]:
    """``(loss, dW, db)`` in one call."""
    dW, db = gradients(X, y, W, b, reg)
    return loss(X, y, W, b, reg), dW, db
