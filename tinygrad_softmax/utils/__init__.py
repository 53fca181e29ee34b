"""Utilities with PyTorch's layout: ``tinygrad_softmax.utils.data`` holds ``TensorDataset`` and
``DataLoader``."""

from . import data

__all__ = ["data"]
