"""The article's last paragraph: a one-hidden-layer network with the same cross-entropy loss.

Run: python examples/04_hidden_layer.py [--out DIR] [--iters N] [--no-plots]

Two datasets:
  * the article's points: the network bends its boundaries around the training points (the
    article calls its picture "a perfect example of overfitting"); the held-out accuracy shows
    how much of that bending is real structure -- on these points, the thin diagonal strip of one
    class is, so validation accuracy goes up too;
  * interleaved spirals, which no linear classifier can separate and the network can.
The network is written with tinygrad_softmax.nn (Linear -> ReLU -> Linear), trained with Adam;
every gradient comes from backward(). Decision-boundary PNGs are written when matplotlib is
installed (pip install -e ".[plot]").
"""

import argparse
import os

import numpy as np

from tinygrad_softmax import nn, optim
from tinygrad_softmax.datasets import load_blog, make_spiral
from tinygrad_softmax.models import MLP, Softmax

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--out", default=os.path.join("out", "examples"), help="where to write the PNGs")
parser.add_argument("--iters", type=int, default=500, help="training iterations per network (default 500)")
parser.add_argument("--seed", type=int, default=0, help="seed of the initialisation (default 0)")
parser.add_argument("--no-plots", action="store_true", help="skip the plots")
args = parser.parse_args()

try:
    if args.no_plots:
        raise ImportError
    import matplotlib  # noqa: F401

    from tinygrad_softmax.commands.demo import decision_boundary_png
except ImportError:
    decision_boundary_png = None
    if not args.no_plots:
        print('matplotlib is not installed: no plots (pip install -e ".[plot]" to get them)')


def accuracy(model, X, y):
    return float(np.mean(model.predict(X) == y))


# ---- 1. The network written out with nn: one hidden layer of 100 ReLUs -------------------
# This is what models.MLP(hidden_sizes=(100,)) builds; spelled out once to show the pieces.
X, y = load_blog()
X_train, y_train, X_val, y_val = X[:800], y[:800], X[800:], y[800:]
net = nn.Sequential(nn.Linear(2, 100, rng=args.seed), nn.ReLU(), nn.Linear(100, 3, rng=args.seed + 1))
loss_fn = nn.CrossEntropyLoss()
opt = optim.Adam(net.parameters(), lr=1e-2)
for _ in range(args.iters):
    opt.zero_grad()
    loss = loss_fn(net(X_train), y_train)
    loss.backward()
    opt.step()
pred = lambda X_: np.argmax(net(X_).detach().numpy(), axis=1)  # noqa: E731
print(f"hand-built network, {args.iters} Adam steps: final loss {loss.item():.4f}, "
      f"training accuracy {np.mean(pred(X_train) == y_train):.3f}, "
      f"validation accuracy {np.mean(pred(X_val) == y_val):.3f}")

# ---- 2. The article's data: linear classifier vs hidden layer -----------------------------
linear = Softmax(seed=args.seed)
linear.train(X_train, y_train, learning_rate=1e-2, reg=0.1, num_iters=1000)
mlp = MLP(hidden_sizes=(100,), seed=args.seed)
mlp.train(X_train, y_train, learning_rate=1e-2, reg=0.0, num_iters=args.iters)
print("\narticle's data          training  validation")
for label, model in (("linear softmax", linear), ("one hidden layer (100)", mlp)):
    print(f"  {label:<24} {accuracy(model, X_train, y_train):.3f}      {accuracy(model, X_val, y_val):.3f}")
print("  (overfitting would show as training accuracy rising while validation accuracy falls)")

# ---- 3. Spirals: where the hidden layer is needed ----------------------------------------
Xs, ys = make_spiral(n_per_class=100, n_classes=3, noise=0.2, seed=args.seed)
linear_s = Softmax(seed=args.seed, optimizer="adam")
linear_s.train(Xs, ys, learning_rate=5e-2, reg=0.0, num_iters=min(args.iters, 500))
mlp_s = MLP(hidden_sizes=(100,), seed=args.seed)
mlp_s.train(Xs, ys, learning_rate=1e-2, reg=1e-4, num_iters=args.iters)
print("\nspirals (300 points)    training accuracy")
print(f"  linear softmax           {accuracy(linear_s, Xs, ys):.3f}")
print(f"  one hidden layer (100)   {accuracy(mlp_s, Xs, ys):.3f}")

if decision_boundary_png is not None:
    os.makedirs(args.out, exist_ok=True)
    for name, model, Xp, yp, title in [
        ("hidden_layer_blog.png", mlp, X_train, y_train,
         "One hidden layer (100 ReLUs) on the article's data"),
        ("hidden_layer_spiral.png", mlp_s, Xs, ys, "One hidden layer (100 ReLUs) on the spirals"),
        ("linear_spiral.png", linear_s, Xs, ys, "Linear softmax on the spirals"),
    ]:
        path = os.path.join(args.out, name)
        decision_boundary_png(model, Xp, yp, path, title, step=0.01 if Xp is Xs else 0.02)
        print("wrote", path)
