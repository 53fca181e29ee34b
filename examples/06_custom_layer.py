"""A custom layer: write forward and backward as a Function, check it, then train with it.

Run: python examples/06_custom_layer.py [--iters N]

The layer is Squareplus (Barron, 2021), a smooth ReLU with a learnable "hardness" b > 0:

    y = (x + sqrt(x² + b)) / 2
    dy/dx = (1 + x / sqrt(x² + b)) / 2,        dy/db = 1 / (4 sqrt(x² + b))

b is a single number broadcast over x, so its gradient is summed over every element
(ops.sum_to). The backward uses only operations that ndarrays and Tensors share, so the layer
is twice differentiable for free: gradcheck checks the first derivatives against finite
differences, gradgradcheck the second. A wrong backward is then shown to be caught, and the
layer is used in a small network on the spirals.
"""

import argparse

import numpy as np

from tinygrad_softmax import Function, Tensor, nn, optim
from tinygrad_softmax.datasets import make_spiral
from tinygrad_softmax.gradient_check import GradcheckError, gradcheck, gradgradcheck
from tinygrad_softmax.ops import sum_to

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--iters", type=int, default=400, help="training iterations (default 400)")
args = parser.parse_args()


class SquareplusFn(Function):
    """y = (x + sqrt(x² + b)) / 2, elementwise, with b broadcast against x."""

    @staticmethod
    def forward(ctx, x, b):
        if np.any(b <= 0):
            raise ValueError(f"squareplus needs b > 0, got {b}")
        root = np.sqrt(x * x + b)
        ctx.save_for_backward(x, b)
        return (x + root) / 2

    @staticmethod
    def backward(ctx, grad):
        x, b = ctx.saved_tensors  # ndarrays, or graph Tensors under create_graph=True
        root = (x * x + b) ** 0.5
        dx = grad * (1 + x / root) / 2
        db = sum_to(grad / (4 * root), ctx.parents[1].shape)  # undo the broadcast of b
        return dx, db


class Squareplus(nn.Module):
    """The layer: a Module with the learnable hardness b = exp(log_b) (positive whatever the
    optimizer does; log_b is a 0-d parameter, b = 4 initially)."""

    def __init__(self, b: float = 4.0):
        super().__init__()
        self.log_b = Tensor(np.log(b), requires_grad=True)

    def forward(self, x):
        return SquareplusFn.apply(x, self.log_b.exp())


rng = np.random.default_rng(0)
x = Tensor(rng.normal(scale=2.0, size=(4, 5)), requires_grad=True)
b = Tensor(np.float64(1.5), requires_grad=True)

# 1. first derivatives (both inputs) against central differences in float64
assert gradcheck(SquareplusFn.apply, [x, b])
print("gradcheck: dy/dx and dy/db agree with finite differences")

# 2. second derivatives: the backward formula is itself differentiated
assert gradgradcheck(SquareplusFn.apply, [x, b])
print("gradgradcheck: second derivatives agree with finite differences too")


# 3. a backward with a mistake (the 1/2 forgotten in dy/dx) does not get through
class BrokenSquareplusFn(SquareplusFn):
    @staticmethod
    def backward(ctx, grad):
        x, b = ctx.saved_tensors
        root = (x * x + b) ** 0.5
        return grad * (1 + x / root), sum_to(grad / (4 * root), ctx.parents[1].shape)


try:
    gradcheck(BrokenSquareplusFn.apply, [x, b])
except GradcheckError as e:
    print("the broken backward was caught:", str(e).splitlines()[0])
else:
    raise AssertionError("gradcheck accepted a wrong backward")

# 4. the layer inside a network, trained on the spirals; b is learned along with the weights
X, y = make_spiral(n_per_class=100, n_classes=3, seed=0)
act = Squareplus()
net = nn.Sequential(nn.Linear(2, 64, rng=0), act, nn.Linear(64, 3, rng=1))
loss_fn = nn.CrossEntropyLoss()
opt = optim.Adam(net.parameters(), lr=1e-2)
first = None
for _ in range(args.iters):
    opt.zero_grad()
    loss = loss_fn(net(X), y)
    loss.backward()
    opt.step()
    first = loss.item() if first is None else first
accuracy = np.mean(np.argmax(net(X).detach().numpy(), axis=1) == y)
print(f"network with Squareplus on the spirals: loss {first:.3f} -> {loss.item():.3f}, "
      f"training accuracy {accuracy:.3f}, learned b = {np.exp(act.log_b.item()):.3f}")
assert loss.item() < first
