"""Build a small graph, run backward, and compare with derivatives worked out by hand.

Run: python examples/01_first_graph.py
"""

import numpy as np

from tinygrad_softmax import Tensor

# L = sum(relu(x @ W + b)) + 0.5 * sum(W * W)
x = Tensor([[1.0, -2.0], [0.5, 3.0]])
W = Tensor([[0.1, -0.3, 0.2], [0.4, 0.1, -0.5]], requires_grad=True)
b = Tensor([0.0, 0.1, -0.2], requires_grad=True)

h = x @ W + b
loss = h.relu().sum() + 0.5 * (W * W).sum()
loss.backward()

print("loss   =", loss.item())
print("dL/dW  =\n", W.grad.numpy())
print("dL/db  =", b.grad.numpy())

# The same derivatives by hand: dL/dh = 1 where h > 0, so dL/dW = xᵀ·mask + W, dL/db = Σ mask.
mask = (h.detach().numpy() > 0).astype(float)
assert np.allclose(W.grad.numpy(), x.numpy().T @ mask + W.detach().numpy())
assert np.allclose(b.grad.numpy(), mask.sum(axis=0))
print("matches the hand-derived gradients: True")
