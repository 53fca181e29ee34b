"""A whole training step compiled: the article's hidden-layer network, trained with compile.

Run: python examples/09_compiled_training_step.py [--steps N] [--show-source]

`tinygrad_softmax.compile` runs the step once with the engine recording every operation (the
forward pass, the backward pass that `loss.backward()` runs, and the optimizer's update), then
replays it as generated NumPy: no graph and no Python object per operation. The same network is
trained eagerly, from the same weights, next to it: after every step the losses and all the
weights must agree to 1e-12. Then both are timed. `--show-source` prints the generated code,
the backward pass autodiff wrote, next to which the article's closed form can be read.
"""

import argparse
import time

import numpy as np

import tinygrad_softmax as tg
from tinygrad_softmax import Tensor, nn, optim
from tinygrad_softmax import functional as F
from tinygrad_softmax.datasets import load_blog

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--steps", type=int, default=2000, help="gradient-descent steps (default 2000)")
parser.add_argument("--show-source", action="store_true", help="print the generated step")
args = parser.parse_args()

X, y = load_blog()  # the article's data: 1000 points, 3 classes
reg = 1e-3


def make():
    """The article's network (2 -> 100 ReLU -> 3), its loss and its optimizer, from fixed seeds."""
    net = nn.Sequential(nn.Linear(2, 100, rng=0), nn.ReLU(), nn.Linear(100, 3, rng=1))
    opt = optim.SGD(net.parameters(), lr=1.0)
    Xt = Tensor(X)

    def train_step():
        opt.zero_grad()
        scores = net(Xt)
        loss = F.cross_entropy(scores, y)
        loss = loss + 0.5 * reg * ((net[0].weight ** 2).sum() + (net[2].weight ** 2).sum())
        loss.backward()
        opt.step()
        return loss
    return net, train_step


net_c, step_c = make()
net_e, step_e = make()
compiled = tg.compile(step_c)  # the data are closed over: constants of the step

worst = 0.0
for i in range(args.steps):
    loss_c, loss_e = compiled(), step_e()
    worst = max(worst, abs(float(loss_c.data) - float(loss_e.data)),
                *(float(np.abs(p.data - q.data).max()) for p, q in zip(net_c.parameters(),
                                                                      net_e.parameters())))
    if i % max(1, args.steps // 5) == 0 or i == args.steps - 1:
        print(f"step {i:5d}  loss {float(loss_c.data):.6f}")
print(f"compiled and eager agree to {worst:.1e} over {args.steps} steps "
      f"(traced {compiled.traces} time): {worst <= 1e-12}")

with tg.no_grad():
    accuracy = float((net_c(Tensor(X)).argmax(axis=1) == Tensor(y)).astype(np.float64).mean().data)
print(f"training accuracy: {accuracy:.3f}")

for name, fn in (("eager", step_e), ("compiled", compiled)):
    t0 = time.perf_counter()
    for _ in range(100):
        fn()
    print(f"{name:9s} {(time.perf_counter() - t0) * 1e4:8.1f} µs per step")

if args.show_source:
    print(compiled.source)
