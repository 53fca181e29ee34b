"""``tinygrad-softmax bench``: time the engine against hand-written NumPy, in one process.

Every workload has two implementations of the same training step (forward + backward +
update): one written with this framework, where every gradient comes from ``backward()``,
and one hand-written in NumPy with the closed-form gradients, which is the floor an autodiff
framework on NumPy can reach. Before timing, the bench checks that both compute the same
loss and gradients. Then it interleaves the two rep by rep (alternating which goes first),
so drifts in machine load hit both, and reports medians, spread and the median of the
paired per-rep ratios next to each workload's target.

    W1  the article's model: N=1000, D=2, C=3, full batch (fused loss; W1c: composed loss)
    W2  CIFAR-sized linear softmax: N=500, D=3073, C=10, float32
    W3  an MLP 2 -> 100 ReLU -> 3 on the article's data
    W4  per-op overhead: 200 tiny ops on shape (4,), forward + backward, per op
    W5  a chain of 10,000 adds, forward + backward (and a 1,000,000-deep chain must work)
    MEM peak extra memory of softmax cross-entropy forward + backward, N=4096, C=1000, float32

Timing is reported, never asserted: the test suite only runs ``--quick`` as a smoke test.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

_THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS")


def _parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="tinygrad-softmax bench",
        description="Time training steps of this framework against hand-written NumPy closed forms "
                    "(same process, interleaved reps) and report the ratio per workload next to its target.")
    p.add_argument("--quick", action="store_true",
                   help="a smoke run in seconds: few reps, smaller chains and memory sizes")
    p.add_argument("--json", action="store_true", help="print the results as JSON instead of a table")
    p.add_argument("--threads", type=int, default=1, metavar="N",
                   help="pin BLAS threads to N (default 1; 0 leaves the library's default). Uses "
                        "threadpoolctl if installed, else sets OPENBLAS/OMP/MKL_NUM_THREADS and restarts")
    p.add_argument("--torch", action="store_true",
                   help="add PyTorch rows for W1-W5 if torch is installed (never a dependency)")
    p.add_argument("--reps", type=int, default=None, help="timed reps per workload (default 15; quick: 3)")
    p.add_argument("--only", default="", metavar="W1,W5,...",
                   help="comma-separated workloads to run (W1 W1c W2 W3 W4 W5 MEM); default all")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    limiter = _pin_threads(args.threads, argv)
    try:
        report = run(quick=args.quick, reps=args.reps, only=args.only, torch_rows=args.torch)
    finally:
        if limiter is not None:
            limiter.unregister()
    report["machine"]["threads_requested"] = args.threads
    report["machine"]["blas_threads"] = _PINNING
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(format_report(report))
    return 0 if report["checks_passed"] else 1


def _pin_threads(n: int, argv: list[str] | None) -> Any:
    """Limit BLAS threads to ``n``: with threadpoolctl when it is installed; otherwise through
    the environment variables, which BLAS reads only when NumPy loads -- so a bench started
    from the command line restarts itself once with them set. Returns the threadpoolctl
    limiter (or None); records what happened in ``_PINNING``."""
    global _PINNING
    if n <= 0:
        _PINNING = "not pinned (--threads 0)"
        return None
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        if all(os.environ.get(v) == str(n) for v in _THREAD_VARS):
            _PINNING = f"{n} via environment variables"
            return None
        if sys.argv[1:2] == ["bench"]:  # the command line: restart with the variables set
            env = dict(os.environ, **{v: str(n) for v in _THREAD_VARS})
            rest = sys.argv[2:] if argv is None else argv
            os.execve(sys.executable, [sys.executable, "-m", "tinygrad_softmax", "bench", *rest], env)
        _PINNING = "not pinned (no threadpoolctl, and BLAS was loaded before the environment was set)"
        return None
    _PINNING = f"{n} via threadpoolctl"
    return threadpool_limits(limits=n, user_api="blas")


_PINNING = "not pinned"


# ---- measurement -----------------------------------------------------------------------
@dataclass
class Row:
    name: str
    description: str
    target: float | None
    unit: str = "step"
    ours: list[float] = field(default_factory=list)
    numpy: list[float] = field(default_factory=list)
    ratios: list[float] = field(default_factory=list)
    check: str = ""
    note: str = ""

    def summary(self) -> dict[str, Any]:
        def stats(xs: list[float]) -> dict[str, float]:
            if not xs:
                return {}
            q = statistics.quantiles(xs, n=4) if len(xs) > 1 else [xs[0]] * 3
            return {"median": statistics.median(xs), "q1": q[0], "q3": q[2], "min": min(xs), "max": max(xs)}
        ratio = statistics.median(self.ratios) if self.ratios else None
        return {"name": self.name, "description": self.description, "unit": self.unit,
                "ours_s": stats(self.ours), "numpy_s": stats(self.numpy), "ratio": ratio,
                "ratio_spread": stats(self.ratios), "target": self.target,
                "within_target": None if ratio is None or self.target is None else ratio <= self.target,
                "check": self.check, "note": self.note}


def _time_per_call(fn: Callable[[], Any], calls: int) -> float:
    t0 = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - t0) / calls


def _calls_for(fn: Callable[[], Any], budget: float) -> int:
    """How many calls fill about ``budget`` seconds (at least one)."""
    t = _time_per_call(fn, 1)
    return max(1, int(budget / max(t, 1e-7)))


def interleaved(row: Row, ours: Callable[[], Any], numpy_fn: Callable[[], Any], reps: int,
                budget: float, per: int = 1) -> None:
    """Time both implementations rep by rep, alternating which runs first; ``per`` divides each
    time (e.g. the number of ops in one call) so the row reports a per-op time."""
    ours(), numpy_fn()  # warm up
    n_ours, n_np = _calls_for(ours, budget), _calls_for(numpy_fn, budget)
    for r in range(reps):
        pair = [(ours, n_ours, row.ours), (numpy_fn, n_np, row.numpy)]
        for fn, calls, out in pair if r % 2 == 0 else pair[::-1]:
            out.append(_time_per_call(fn, calls) / per)
        row.ratios.append(row.ours[-1] / row.numpy[-1])


# ---- the workloads -----------------------------------------------------------------------
def _close(a: Any, b: Any, rtol: float) -> bool:
    import numpy as np
    return bool(np.allclose(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64),
                            rtol=rtol, atol=rtol * 1e-3))


def article_step(X: Any, y: Any, W: Any, b: Any, lr: float, reg: float) -> tuple[float, Any, Any]:
    """One gradient-descent step of the article's classifier, hand-written in NumPy with its
    closed form dW = Xᵀ(S − Y)/N + λW, db = Σ(S − Y)/N; returns (loss, new W, new b)."""
    import numpy as np

    n, rows = X.shape[0], np.arange(X.shape[0])
    scores = X @ W + b
    exp_scores = np.exp(scores - np.max(scores, axis=1, keepdims=True))
    probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
    loss = -np.sum(np.log(probs[rows, y])) / n + 0.5 * reg * np.sum(W * W)
    dscores = probs
    dscores[rows, y] -= 1
    dscores /= n
    dW = X.T @ dscores + reg * W
    db = np.sum(dscores, axis=0)
    return float(loss), W - lr * dW, b - lr * db


def _linear_softmax_workload(name: str, desc: str, X: Any, y: Any, reg: float, lr: float, fused: bool,
                             target: float | None, reps: int, budget: float, torch: Any = None) -> Row:
    """W1/W1c/W2: the article's linear classifier, one full-batch gradient-descent step
    (with ``torch`` given: the same step in PyTorch instead of this framework)."""
    import numpy as np

    from .. import functional as F
    from ..optim import SGD
    from ..tensor import Tensor

    dtype = X.dtype
    d, c = X.shape[1], int(y.max()) + 1
    W0 = np.random.default_rng(0).normal(0.0, 1e-3, (d, c)).astype(dtype)
    loss_fn = F.softmax_cross_entropy if fused else F.cross_entropy

    Xt = Tensor(X)
    W, b = Tensor(W0.copy(), requires_grad=True), Tensor(np.zeros(c, dtype), requires_grad=True)
    opt = SGD([W, b], lr=lr)
    half_reg = 0.5 * reg

    def ours() -> float:
        opt.zero_grad()
        loss = loss_fn(Xt @ W + b, y) + half_reg * (W * W).sum()
        loss.backward()
        opt.step()
        return float(loss.data)

    if torch is not None:
        Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
        W, b = torch.tensor(W0, requires_grad=True), torch.zeros(c, dtype=Xt.dtype, requires_grad=True)
        topt = torch.optim.SGD([W, b], lr=lr)

        def ours() -> float:
            topt.zero_grad()
            loss = torch.nn.functional.cross_entropy(Xt @ W + b, yt) + half_reg * (W * W).sum()
            loss.backward()
            topt.step()
            return float(loss.detach())

    Wn, bn = W0.copy(), np.zeros(c, dtype)

    def hand() -> float:
        nonlocal Wn, bn
        loss, Wn, bn = article_step(X, y, Wn, bn, lr, reg)
        return loss

    row = Row(name, desc, target)
    rtol = 1e-10 if dtype == np.float64 else 1e-4
    l1, l2 = ours(), hand()
    ok = _close(l1, l2, rtol) and _close(_array(W), Wn, rtol) and _close(_array(b), bn, rtol)
    row.check = "loss, W and b agree after one step" if ok else \
        f"MISMATCH: loss {l1} vs {l2}, max |dW| {np.max(np.abs(W.data - Wn))}"
    if ok:
        interleaved(row, ours, hand, reps, budget)
    return row


def workload_mlp(reps: int, budget: float, torch: Any = None) -> Row:
    """W3: 2 -> 100 ReLU -> 3 on the article's data, fused loss, L2 on both weights."""
    import numpy as np

    from .. import nn
    from ..datasets import load_blog
    from ..optim import SGD
    from ..tensor import Tensor

    X, y = load_blog()
    n, reg, lr, hidden = X.shape[0], 1e-3, 1e-1, 100
    net = nn.Sequential(nn.Linear(2, hidden, rng=np.random.default_rng(0)), nn.ReLU(),
                        nn.Linear(hidden, 3, rng=np.random.default_rng(1)))
    lin1, lin2 = net[0], net[2]
    loss_fn = nn.CrossEntropyLoss()
    opt = SGD(net.parameters(), lr=lr)
    Xt, half_reg = Tensor(X), 0.5 * reg

    def ours() -> float:
        opt.zero_grad()
        loss = loss_fn(net(Xt), y) + half_reg * ((lin1.weight * lin1.weight).sum()
                                                 + (lin2.weight * lin2.weight).sum())
        loss.backward()
        opt.step()
        return float(loss.data)

    W1, b1 = lin1.weight.data.copy(), lin1.bias.data.copy()
    W2, b2 = lin2.weight.data.copy(), lin2.bias.data.copy()
    if torch is not None:
        params = [torch.tensor(a, requires_grad=True) for a in (W1, b1, W2, b2)]
        tX, ty, topt = torch.from_numpy(X), torch.from_numpy(y), torch.optim.SGD(params, lr=lr)
        lin1 = lin2 = None

        def ours() -> float:
            tW1, tb1, tW2, tb2 = params
            topt.zero_grad()
            scores = torch.relu(tX @ tW1 + tb1) @ tW2 + tb2
            loss = torch.nn.functional.cross_entropy(scores, ty) + half_reg * ((tW1 * tW1).sum()
                                                                                + (tW2 * tW2).sum())
            loss.backward()
            topt.step()
            return float(loss.detach())

    rows = np.arange(n)

    def hand() -> float:
        nonlocal W1, b1, W2, b2
        h = np.maximum(0, X @ W1 + b1)
        scores = h @ W2 + b2
        exp_scores = np.exp(scores - np.max(scores, axis=1, keepdims=True))
        probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
        loss = -np.sum(np.log(probs[rows, y])) / n + half_reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
        dscores = probs
        dscores[rows, y] -= 1
        dscores /= n
        dW2 = h.T @ dscores + reg * W2
        db2 = np.sum(dscores, axis=0)
        dh = dscores @ W2.T
        dh[h <= 0] = 0
        dW1 = X.T @ dh + reg * W1
        db1 = np.sum(dh, axis=0)
        W1, b1, W2, b2 = W1 - lr * dW1, b1 - lr * db1, W2 - lr * dW2, b2 - lr * db2
        return float(loss)

    row = Row("W3", "MLP 2->100 ReLU->3, article data, fused loss", 1.2)
    l1, l2 = ours(), hand()
    new_W1, new_W2 = (params[0], params[2]) if torch is not None else (lin1.weight, lin2.weight)
    ok = _close(l1, l2, 1e-10) and _close(_array(new_W1), W1, 1e-10) and _close(_array(new_W2), W2, 1e-10)
    row.check = "loss and all weights agree after one step" if ok else f"MISMATCH: loss {l1} vs {l2}"
    if ok:
        interleaved(row, ours, hand, reps, budget)
    return row


def workload_tiny_ops(reps: int, budget: float, torch: Any = None) -> Row:
    """W4: 200 tiny ops on shape (4,), cycling multiply, add, tanh, subtract; per op."""
    import numpy as np

    from ..tensor import Tensor

    rng = np.random.default_rng(0)
    n_ops = 200
    consts = [rng.uniform(0.5, 1.5, 4) for _ in range(n_ops)]
    x0 = rng.standard_normal(4)
    cts = [Tensor(c) for c in consts]

    def ours() -> Any:
        x = Tensor(x0, requires_grad=True)
        y = x
        for i, c in enumerate(cts):
            k = i % 4
            y = y * c if k == 0 else y + c if k == 1 else y.tanh() if k == 2 else y - c
        y.sum().backward()
        return x.grad.data  # type: ignore[union-attr]

    if torch is not None:
        tcs = [torch.from_numpy(c) for c in consts]

        def ours() -> Any:
            x = torch.tensor(x0, requires_grad=True)
            y = x
            for i, c in enumerate(tcs):
                k = i % 4
                y = y * c if k == 0 else y + c if k == 1 else torch.tanh(y) if k == 2 else y - c
            y.sum().backward()
            return x.grad.numpy()

    def hand() -> Any:
        y, saved = x0, []
        for i, c in enumerate(consts):
            k = i % 4
            if k == 0:
                y = y * c
            elif k == 1:
                y = y + c
            elif k == 2:
                y = np.tanh(y)
                saved.append(y)
            else:
                y = y - c
        g = np.ones(4)
        for i in range(n_ops - 1, -1, -1):
            k = i % 4
            if k == 0:
                g = g * consts[i]
            elif k == 2:
                g = g * (1 - saved.pop() ** 2)
        return g

    row = Row("W4", "200 tiny ops on shape (4,), forward + backward", 5.0, unit="op")
    ok = _close(ours(), hand(), 1e-12)
    row.check = "gradients agree" if ok else "MISMATCH in the gradient"
    if ok:
        interleaved(row, ours, hand, reps, budget, per=n_ops)
    return row


def workload_chain(length: int, deep: int, reps: int, budget: float, torch: Any = None) -> Row:
    """W5: y = x + c repeated ``length`` times, forward + backward; then one ``deep`` chain."""
    import numpy as np

    from ..tensor import Tensor

    x0, c0 = np.arange(4.0), np.ones(4)
    ct = Tensor(c0)

    def ours() -> Any:
        x = Tensor(x0, requires_grad=True)
        y = x
        for _ in range(length):
            y = y + ct
        y.sum().backward()
        return x.grad.data, y.data  # type: ignore[union-attr]

    if torch is not None:
        tc = torch.from_numpy(c0)

        def ours() -> Any:
            x = torch.tensor(x0, requires_grad=True)
            y = x
            for _ in range(length):
                y = y + tc
            y.sum().backward()
            return x.grad.numpy(), y.detach().numpy()

    def hand() -> Any:
        y = x0
        for _ in range(length):
            y = y + c0
        return np.ones_like(x0), y  # d(sum y)/dx = 1: the closed form of the backward

    row = Row("W5", f"a chain of {length:,} adds, forward + backward", 6.0, unit="chain")
    (g1, y1), (g2, y2) = ours(), hand()
    ok = _close(g1, g2, 1e-12) and _close(y1, y2, 1e-12)
    row.check = "output and gradient agree" if ok else "MISMATCH"
    if ok:
        interleaved(row, ours, hand, reps, budget)
    if deep:
        x = Tensor(np.zeros(1), requires_grad=True)
        t0 = time.perf_counter()
        y = x
        one = Tensor(np.ones(1))
        for _ in range(deep):
            y = y + one
        y.backward(np.ones(1))
        took = time.perf_counter() - t0
        ok_deep = x.grad is not None and float(x.grad.data[0]) == 1.0 and float(y.data[0]) == deep
        verdict = "works" if ok_deep else "FAILED"
        row.note = f"{deep:,}-deep chain: {verdict} ({took:.1f} s forward + backward)"
        if not ok_deep:
            row.check += "; deep chain FAILED"
        del x, y
    return row


def workload_memory(n: int, c: int) -> list[Row]:
    """MEM: peak extra memory (tracemalloc) of softmax cross-entropy forward + backward."""
    import weakref

    import numpy as np

    from .. import functional as F
    from ..tensor import Tensor

    rng = np.random.default_rng(0)
    logits = (rng.standard_normal((n, c)) * 3).astype(np.float32)
    y = rng.integers(0, c, n)
    rows_idx = np.arange(n)

    def hand() -> Any:
        shifted = logits - np.max(logits, axis=1, keepdims=True)
        exp_scores = np.exp(shifted)
        probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
        loss = -np.mean(np.log(probs[rows_idx, y]))
        del shifted, exp_scores
        dlogits = probs
        dlogits[rows_idx, y] -= 1
        dlogits /= n
        return loss, dlogits

    def peak(fn: Callable[[], Any]) -> tuple[int, Any]:
        gc.collect()
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        result = fn()
        extra = tracemalloc.get_traced_memory()[1] - base
        tracemalloc.stop()
        return extra, result

    hand_peak, (hand_loss, hand_grad) = peak(hand)
    rows = []
    losses = (("MEM fused", F.softmax_cross_entropy, 1.5), ("MEM composed", F.cross_entropy, 4.0))
    for name, fn, target in losses:
        lt = Tensor(logits, requires_grad=True)
        probe: list[Any] = []

        def run(fn: Callable[..., Any] = fn, lt: Tensor = lt, probe: list[Any] = probe) -> Any:
            loss = fn(lt, y)
            probe.append(weakref.ref(loss))  # the whole graph hangs off the loss
            loss.backward()
            return float(loss.data)

        gc.collect()
        gc.disable()  # so only reference counting can free the graph: cycles would show up
        try:
            tracemalloc.start()
            base = tracemalloc.get_traced_memory()[0]
            loss_val = run()
            extra = tracemalloc.get_traced_memory()[1] - base
            left = tracemalloc.get_traced_memory()[0] - base
            tracemalloc.stop()
            freed = probe[0]() is None
        finally:
            gc.enable()
        grad_bytes = lt.grad.data.nbytes if lt.grad is not None else 0
        row = Row(name, f"softmax cross-entropy N={n}, C={c}, float32: peak extra memory", target,
                  unit="bytes")
        row.ours, row.numpy, row.ratios = [float(extra)], [float(hand_peak)], [extra / hand_peak]
        ok = lt.grad is not None and _close(loss_val, hand_loss, 1e-5) \
            and _close(lt.grad.data, hand_grad, 1e-4)
        released = left <= grad_bytes + 64 * 1024
        row.check = ("loss and gradient agree" if ok else "MISMATCH") + \
            ("; graph freed by reference counting" if freed else "; GRAPH KEPT ALIVE (cycle?)") + \
            ("; after backward only the gradient remains" if released else
             f"; {left - grad_bytes:,} bytes besides the gradient still held")
        row.note = f"ours {extra / 2**20:.1f} MiB vs hand-written {hand_peak / 2**20:.1f} MiB"
        rows.append(row)
    return rows


def _array(t: Any) -> Any:
    """The values of one of our Tensors or of a torch tensor, as an ndarray."""
    from ..tensor import Tensor

    return t.data if isinstance(t, Tensor) else t.detach().numpy()


def workload_torch(quick: bool, reps: int, budget: float) -> list[Row]:
    """The same workloads with PyTorch on the 'ours' side (only with --torch, if installed):
    the same hand-written baselines, the same correctness checks, one CPU thread."""
    try:
        import torch
    except ImportError:
        return [Row("torch", "PyTorch is not installed: no torch rows", None, check="skipped")]
    import numpy as np

    from ..datasets import load_blog

    torch.set_num_threads(1)
    X, y = load_blog()
    rng = np.random.default_rng(0)
    X2, y2 = rng.standard_normal((500, 3073)).astype(np.float32), rng.integers(0, 10, 500)
    y2[:10] = np.arange(10)
    rows = [
        _linear_softmax_workload("W1 torch", "PyTorch: " + W1_DESC, X, y, 0.1, 1e-2, True, None, reps,
                                 budget, torch),
        _linear_softmax_workload("W2 torch", "PyTorch: " + W2_DESC, X2, y2, 0.25, 1e-7, True, None, reps,
                                 budget, torch),
        workload_mlp(reps, budget, torch),
        workload_tiny_ops(reps, budget, torch),
        workload_chain(1_000 if quick else 10_000, 0, reps, budget, torch),
    ]
    for row in rows:
        row.name = row.name if row.name.endswith("torch") else f"{row.name} torch"
        row.target, row.note = None, f"torch {torch.__version__}"
    return rows


# ---- the run and its report -----------------------------------------------------------------
def machine_facts() -> dict[str, Any]:
    import numpy as np

    facts: dict[str, Any] = {
        "python": platform.python_version(), "platform": platform.platform(),
        "cpu_count": os.cpu_count(), "numpy": np.__version__,
        "thread_env": {v: os.environ.get(v) for v in (*_THREAD_VARS, "OPENBLAS_CORETYPE")},
    }
    try:
        config = np.show_config(mode="dicts")  # NumPy >= 1.25
        blas = config.get("Build Dependencies", {}).get("blas", {})
        facts["blas"] = f"{blas.get('name', '?')} {blas.get('version', '')}".strip()
    except Exception:  # older NumPy: no dict form of the build configuration
        facts["blas"] = "unknown"
    try:
        from threadpoolctl import threadpool_info
        facts["threadpools"] = [{k: p.get(k) for k in ("internal_api", "version", "num_threads",
                                                        "architecture")} for p in threadpool_info()]
    except ImportError:
        facts["threadpools"] = "threadpoolctl not installed"
    return facts


W1_DESC = "article model N=1000 D=2 C=3, fused loss"
W2_DESC = "linear softmax N=500 D=3073 C=10, float32, fused"


def run(quick: bool = False, reps: int | None = None, only: str = "",
        torch_rows: bool = False) -> dict[str, Any]:
    import numpy as np

    from ..datasets import load_blog

    reps = reps or (3 if quick else 15)
    budget = 0.01 if quick else 0.05  # seconds of work per timed rep and implementation
    wanted = {w.strip().upper() for w in only.split(",") if w.strip()}

    def want(name: str) -> bool:
        return not wanted or name.upper() in wanted

    rows: list[Row] = []
    X, y = load_blog()
    if want("W1"):
        rows.append(_linear_softmax_workload("W1", W1_DESC, X, y, 0.1, 1e-2, True, 1.5, reps, budget))
    if want("W1c"):
        rows.append(_linear_softmax_workload("W1c", "article model N=1000 D=2 C=3, composed loss", X, y,
                                             0.1, 1e-2, False, 3.0, reps, budget))
    if want("W2"):
        rng = np.random.default_rng(0)
        X2 = rng.standard_normal((500, 3073)).astype(np.float32)
        y2 = rng.integers(0, 10, 500)
        y2[:10] = np.arange(10)  # every class present
        rows.append(_linear_softmax_workload("W2", W2_DESC, X2, y2, 0.25, 1e-7, True, 1.05, reps, budget))
    if want("W3"):
        rows.append(workload_mlp(reps, budget))
    if want("W4"):
        rows.append(workload_tiny_ops(reps, budget))
    if want("W5"):
        rows.append(workload_chain(1_000 if quick else 10_000, 0 if quick else 1_000_000, reps, budget))
    if want("MEM"):
        rows.extend(workload_memory(*((512, 100) if quick else (4096, 1000))))
    if torch_rows:
        rows.extend(workload_torch(quick, reps, budget))
    results = [r.summary() for r in rows]
    return {"machine": machine_facts(), "quick": quick, "reps": reps, "results": results,
            "checks_passed": all(not r["check"].startswith("MISMATCH") and "FAILED" not in r["check"]
                                 and "KEPT ALIVE" not in r["check"] for r in results)}


def _fmt_value(value: float, unit: str) -> str:
    """A time per ``unit`` (seconds in, a readable unit out), or a memory size."""
    if unit == "bytes":
        return f"{value / 2**20:.1f} MiB"
    for scale, suffix in ((1.0, "s"), (1e-3, "ms"), (1e-6, "µs"), (1e-9, "ns")):
        if value >= scale:
            return f"{value / scale:.2f} {suffix}/{unit}"
    return f"{value * 1e9:.2f} ns/{unit}"


def format_report(report: dict[str, Any]) -> str:
    m = report["machine"]
    lines = [f"tinygrad-softmax bench ({'quick' if report['quick'] else 'full'}, {report['reps']} reps)",
             f"machine: {m['cpu_count']} CPUs, Python {m['python']}, NumPy {m['numpy']}, BLAS {m['blas']}, "
             f"BLAS threads {m.get('blas_threads')}",
             "", f"{'workload':<13}{'ours (median)':>16}{'numpy (median)':>17}{'ratio':>8}"
             f"{'spread (q1-q3)':>17}{'target':>9}  result"]
    for r in report["results"]:
        ratio = r["ratio"]
        if ratio is None:
            lines.append(f"{r['name']:<13}{'':>16}{'':>17}{'-':>8}{'':>17}{'':>9}  {r['check']}")
            continue
        spread = r["ratio_spread"]
        verdict = "" if r["within_target"] is None else ("inside" if r["within_target"] else "OUTSIDE")
        target = f"≤{r['target']}×" if r["target"] else "-"
        lines.append(f"{r['name']:<13}{_fmt_value(r['ours_s']['median'], r['unit']):>16}"
                     f"{_fmt_value(r['numpy_s']['median'], r['unit']):>17}{ratio:7.2f}×"
                     f"{spread['q1']:8.2f}-{spread['q3']:<6.2f}  {target:>7}  {verdict}")
    lines.append("")
    for r in report["results"]:
        note = f" {r['note']}." if r["note"] else ""
        lines.append(f"{r['name']}: {r['description']}. Check: {r['check']}.{note}")
    lines.append("")
    lines.append("ratio = median over reps of (ours / hand-written NumPy) in the same process; timing is "
                 "reported, not asserted.")
    return "\n".join(lines)
