"""The engine around the ops: graph order, accumulation, freeing, grad mode, Tensor basics.

Expected values come from closed forms worked out in the comments (d(x*x)/dx = 2x, ...) or
from NumPy, never from the engine's own output.
"""

from __future__ import annotations

import ast
import gc
import sys
import threading
import time
import weakref
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinygrad_softmax import Function, Tensor, enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from tinygrad_softmax.testing import assert_close
from tinygrad_softmax.trace import tracing


class Tag(Function):
    """Identity that logs (tag, upstream grad) when its backward runs: shows the visit order."""

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, tag: str, log: list[Any]) -> np.ndarray:
        ctx.tag, ctx.log = tag, log
        return x.copy()

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        ctx.log.append((ctx.tag, np.array(g)))
        return g


# ---- order of the backward pass ----------------------------------------------------------
def test_backward_visits_in_exact_topological_order_with_full_gradients():
    """a -> b -> c -> d with skip connections: the only valid order is d, c, b, a, and each
    node must be visited once, after ALL its consumers have sent their contribution."""
    log: list[Any] = []
    x = Tensor([1.0, 2.0], requires_grad=True)
    a = Tag.apply(x, tag="a", log=log)
    b = Tag.apply(a + x, tag="b", log=log)
    c = Tag.apply(b + a, tag="c", log=log)
    d = Tag.apply(c + b + a, tag="d", log=log)
    d.backward(gradient=np.array([1.0, 10.0]))
    assert [tag for tag, _ in log] == ["d", "c", "b", "a"]
    # dd/dc = 1; dd/db = 1 (direct) + 1 (via c) = 2; dd/da = 1 + 1 + 2 = 4; dd/dx = 4 + 2 = 6
    for (_, g), k in zip(log, [1, 1, 2, 4]):
        assert_close(g, k * np.array([1.0, 10.0]), rtol=0, atol=0)
    assert_close(x.grad.data, [6.0, 60.0], rtol=0, atol=0)


# A random program: each step applies one op to earlier values (leaves or results, any of them,
# any number of times), so graphs get fan-out, diamonds and long skip connections. Leaves are
# made where the program says, between ops, not only at the start.
@st.composite
def programs(draw: Any) -> tuple[list[tuple[Any, ...]], list[int]]:
    steps: list[tuple[Any, ...]] = [("leaf",)]
    for _ in range(draw(st.integers(1, 14))):
        n = len(steps)
        kind = draw(st.sampled_from(["leaf", "add", "sub", "mul", "tanh", "half", "add", "mul"]))
        if kind in ("add", "sub", "mul"):
            steps.append((kind, draw(st.integers(0, n - 1)), draw(st.integers(0, n - 1))))
        elif kind in ("tanh", "half"):
            steps.append((kind, draw(st.integers(0, n - 1))))
        else:
            steps.append(("leaf",))
    outputs = draw(st.lists(st.integers(0, len(steps) - 1), min_size=1, max_size=3))
    return steps, outputs


def _run_program(steps: list[tuple[Any, ...]], outputs: list[int], leaf_arrays: list[np.ndarray],
                 made: list[Tensor] | None = None) -> Any:
    """Evaluate the program on ndarrays, or on Tensors if ``made`` is a list (each leaf Tensor
    is created when its step comes and appended to ``made``)."""
    values: list[Any] = []
    arrays = iter(leaf_arrays)
    for step in steps:
        if step[0] == "leaf":
            value: Any = next(arrays)
            if made is not None:
                value = Tensor(value.copy(), requires_grad=True)
                made.append(value)
        elif step[0] in ("add", "sub", "mul"):
            a, b = values[step[1]], values[step[2]]
            value = a + b if step[0] == "add" else a - b if step[0] == "sub" else a * b
        elif step[0] == "tanh":
            a = values[step[1]]
            value = a.tanh() if made is not None else np.tanh(a)
        else:
            value = values[step[1]] * 0.5
        values.append(value)
    total = values[outputs[0]].sum()
    for i in outputs[1:]:
        total = total + values[i].sum()
    return total


@given(programs(), st.integers(0, 2**32 - 1))
def test_random_graphs_get_finite_difference_gradients_and_a_topological_visit(program, seed):
    steps, outputs = program
    rng = np.random.default_rng(seed)
    arrays = [rng.uniform(-1.0, 1.0, 3) for step in steps if step[0] == "leaf"]
    leaves: list[Tensor] = []
    out = _run_program(steps, outputs, arrays, made=leaves)
    with tracing() as trace:
        out.backward()
    # every tensor is visited after all the tensors that consumed it
    position = {id(r.tensor): k for k, r in enumerate(trace)}
    for k, record in enumerate(trace):
        for inp in record.inputs:
            if id(inp) in position:
                assert position[id(inp)] > k, (record.op, k, position[id(inp)])
    # every leaf's gradient is the central difference of the same program run in NumPy
    h = 1e-6
    for j, leaf in enumerate(leaves):
        expected = np.zeros(3)
        for i in range(3):
            up, down = [a.copy() for a in arrays], [a.copy() for a in arrays]
            up[j][i] += h
            down[j][i] -= h
            expected[i] = (_run_program(steps, outputs, up) - _run_program(steps, outputs, down)) / (2 * h)
        got = np.zeros(3) if leaf.grad is None else leaf.grad.data
        assert_close(got, expected, rtol=1e-6, atol=1e-8)


def test_diamond_accumulates_before_passing_on():
    x = Tensor(3.0, requires_grad=True)
    h = x * x  # used by two branches
    y = h.exp() + h * 2.0
    y.backward()
    # dy/dx = (e^{x²} + 2) * 2x
    assert_close(x.grad.item(), (np.exp(9.0) + 2.0) * 6.0, rtol=1e-13)


def test_tensor_added_to_itself():
    a = Tensor([1.5, -2.0], requires_grad=True)
    (a + a).backward(gradient=np.array([1.0, 3.0]))
    assert_close(a.grad.data, [2.0, 6.0], rtol=0, atol=0)


def test_micrograd_case_b_equals_a_plus_a_then_c_equals_b_plus_b():
    a = Tensor(-4.0, requires_grad=True)
    b = a + a
    c = b + b
    c.backward()
    assert a.grad.item() == 4.0
    a2 = Tensor(2.0, requires_grad=True)
    (a2 * a2 * a2).backward()  # the same tensor three times in one product: 3a²
    assert a2.grad.item() == 12.0


def test_hundred_thousand_deep_chain_needs_no_recursion():
    n = 100_000
    x = Tensor(1.0, requires_grad=True)
    y = x
    start = time.perf_counter()
    for _ in range(n):
        y = y * 1.00001
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(200)  # an implementation that recursed once per node would fail now
    try:
        y.backward()
    finally:
        sys.setrecursionlimit(limit)
    assert_close(x.grad.item(), 1.00001**n, rtol=1e-9)
    del y  # freeing the (already released) chain must not recurse either
    assert time.perf_counter() - start < 20


# ---- accumulation and retain_graph ------------------------------------------------------------
def test_gradients_accumulate_across_backward_calls():
    x = Tensor([1.0, -2.0, 0.5], requires_grad=True)
    (x * x).sum().backward()
    (3.0 * x).sum().backward()
    assert_close(x.grad.data, 2 * np.array([1.0, -2.0, 0.5]) + 3.0, rtol=0, atol=0)
    x.grad = None  # the PyTorch way to reset
    (x * 1.0).sum().backward()
    assert_close(x.grad.data, [1.0, 1.0, 1.0], rtol=0, atol=0)


def test_grad_is_a_copy_not_an_alias_of_the_upstream_gradient():
    x = Tensor([1.0, 2.0], requires_grad=True)
    g = np.array([5.0, 6.0])
    (x + 0.0).backward(gradient=g)
    (x * 1.0).backward(gradient=g)
    assert_close(g, [5.0, 6.0], rtol=0, atol=0)  # the caller's array is untouched
    assert_close(x.grad.data, [10.0, 12.0], rtol=0, atol=0)


def test_a_leaf_gradient_summed_in_backward_is_kept_without_a_copy_and_aliases_nothing():
    # x + x sends the caller's array to both slots; their sum is a new array, which the leaf
    # keeps without copying. Writing to it must not reach the caller's array.
    x = Tensor([1.0, 2.0], requires_grad=True)
    g = np.array([5.0, 6.0])
    (x + x).backward(gradient=g)
    assert_close(x.grad.data, [10.0, 12.0], rtol=0, atol=0)
    x.grad.data[...] = 0.0
    assert_close(g, [5.0, 6.0], rtol=0, atol=0)
    (x * 1.0 + x * 2.0).backward(gradient=g)  # a second backward adds to the (kept) buffer's value
    assert_close(x.grad.data, [15.0, 18.0], rtol=0, atol=0)


def test_a_0d_leaf_used_twice_gets_an_array_gradient_that_keeps_adding_up():
    # the sum of two 0-d gradients is a NumPy scalar; .grad must still hold a writable array
    x = Tensor(2.0, requires_grad=True)
    (x * x).backward()  # d(x²)/dx = 2x = 4
    assert type(x.grad.data) is np.ndarray and x.grad.item() == 4.0
    (x * x).backward()
    assert type(x.grad.data) is np.ndarray and x.grad.item() == 8.0
    x.grad.data[...] = 0.0


def test_intermediates_that_sum_several_gradients_are_released_during_the_walk():
    # h feeds two ops, so its gradient is a sum; h must still be freed once walked past
    class Probe(Function):
        @staticmethod
        def forward(ctx: Any, v: np.ndarray, alive: list[Any]) -> np.ndarray:
            ctx.alive = alive
            return v.copy()

        @staticmethod
        def backward(ctx: Any, g: Any) -> Any:
            gc.collect()
            ctx.alive.append(sum(r() is not None for r in refs))
            return g

    refs: list[Any] = []
    alive: list[int] = []
    x = Tensor(np.ones(3), requires_grad=True)
    probe = Probe.apply(x, alive=alive)  # made before every h, so visited after all of them
    h = x
    for _ in range(5):
        h = h * 1.5
        refs.append(weakref.ref(h))
        h = h + h.tanh()  # the h above is used twice: its gradient is a sum
    out = probe.sum() * 0.0 + h.sum()
    del h, probe
    out.backward()
    assert alive == [0]


def test_deep_copies_of_a_model_backward_together_with_the_original():
    import copy

    from tinygrad_softmax import nn
    net = nn.Linear(2, 3, rng=np.random.default_rng(0))
    twin = copy.deepcopy(net)  # its tensors are new tensors: new creation numbers
    x = Tensor(np.random.default_rng(1).normal(size=(4, 2)))
    ((net(x) * net(x)).sum() + (twin(x) * 3.0).sum()).backward()
    assert_close(twin.weight.grad.data, 3.0 * x.data.sum(axis=0)[:, None] * np.ones((2, 3)))
    expected = 2 * x.data.T @ (x.data @ net.weight.data + net.bias.data)  # d Σ(xW + b)² / dW
    assert_close(net.weight.grad.data, expected, rtol=1e-12)


def test_a_graph_unpickled_in_another_process_backwards_in_the_right_order():
    # the child process has made far fewer tensors than the parent: restored creation numbers
    # must not be the parent's
    import pickle
    import subprocess
    keep = [Tensor(np.zeros(1)) for _ in range(2000)]  # the parent's counter runs ahead
    x = Tensor([1.0, 2.0], requires_grad=True)
    h = x * 3.0
    child = (
        "import pickle, sys\n"
        "import numpy as np\n"
        "x, h = pickle.loads(sys.stdin.buffer.read())\n"
        "(h.exp() + h * 2.0).sum().backward()\n"
        "print(repr(x.grad.data.tolist()))\n"
    )
    done = subprocess.run([sys.executable, "-c", child], input=pickle.dumps((x, h)), capture_output=True,
                          check=True)
    got = np.array(ast.literal_eval(done.stdout.decode()))  # a list literal printed by the child
    assert_close(got, 3.0 * np.exp(3.0 * x.data) + 6.0, rtol=1e-12)
    del keep


def test_second_backward_through_freed_graph_errors():
    x = Tensor([0.5, 1.0], requires_grad=True)
    y = x.exp().sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph"):
        y.backward()


def test_backward_through_a_shared_subgraph_freed_by_another_output_errors():
    x = Tensor([0.5, 1.0], requires_grad=True)
    z = x.exp()
    z.sum().backward()
    with pytest.raises(RuntimeError, match="retain_graph"):
        (z * 2.0).sum().backward()


def test_retain_graph_allows_a_second_backward_and_accumulates():
    x = Tensor([0.5, 1.0], requires_grad=True)
    y = (x.exp() * x).sum()  # dy/dx = e^x (1 + x)
    y.backward(retain_graph=True)
    y.backward(retain_graph=True)
    y.backward()  # the last one may free
    assert_close(x.grad.data, 3 * np.exp(x.data) * (1 + x.data), rtol=1e-14)
    with pytest.raises(RuntimeError, match="retain_graph"):
        y.backward()


class SinWithScratch(Function):
    """sin(x); saves cos(x), an array nobody else holds, so we can watch it being freed."""

    made: list[np.ndarray] = []

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        cos = np.cos(x)
        SinWithScratch.made.append(cos)
        ctx.save_for_backward(cos)
        return np.sin(x)

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        (cos,) = ctx.saved_tensors
        return g * cos


def test_saved_arrays_are_released_after_backward():
    x = Tensor([0.1, 0.2], requires_grad=True)
    y = SinWithScratch.apply(x)
    scratch = weakref.ref(SinWithScratch.made.pop())
    e = y.exp()
    ctx, ectx = y.grad_fn, e.grad_fn
    assert scratch() is not None
    e.sum().backward()
    assert_close(x.grad.data, np.exp(np.sin(x.data)) * np.cos(x.data), rtol=1e-14)
    assert scratch() is None, "the saved cos(x) outlived backward"
    for c in (ctx, ectx):
        assert c.parents == ()
        with pytest.raises(RuntimeError, match="freed"):
            c.saved_tensors  # noqa: B018


def test_saved_arrays_are_kept_with_retain_graph():
    x = Tensor([0.1, 0.2], requires_grad=True)
    y = SinWithScratch.apply(x)
    scratch = weakref.ref(SinWithScratch.made.pop())
    y.sum().backward(retain_graph=True)
    assert scratch() is not None
    assert y.grad_fn.parents == (x,)


def _build_graph(x: Tensor) -> tuple[Tensor, list[Any]]:
    a = x * 2.0
    b = a.exp()  # Exp saves its output: the ctx must not keep the output alive by a cycle
    c = b / (a * a + 1.0)  # Div saves its output too
    d = SinWithScratch.apply(c)
    SinWithScratch.made.clear()
    e = d[np.array([0, 0, 1])].max() + c.tanh().sum()
    return e, [a, b, c, d, a.grad_fn, b.grad_fn, c.grad_fn, d.grad_fn, e.grad_fn]


@pytest.mark.parametrize("mode", ["no backward", "backward", "retain_graph"])
def test_graph_has_no_reference_cycles(mode):
    """With the cycle collector off, dropping the output frees every intermediate at once."""
    x = Tensor([0.3, -0.2], requires_grad=True)
    gc.collect()
    gc.disable()
    try:
        e, objs = _build_graph(x)
        refs = [weakref.ref(o) for o in objs]
        del objs
        if mode == "backward":
            e.backward()
        elif mode == "retain_graph":
            e.backward(retain_graph=True)
        if mode != "backward":  # (a plain backward may free intermediates already)
            assert all(r() is not None for r in refs)
        del e
        alive = [type(r()).__name__ for r in refs if r() is not None]
        assert alive == [], f"kept alive by a reference cycle: {alive}"
    finally:
        gc.enable()
    if mode != "no backward":
        assert x.grad is not None


# ---- grad mode ---------------------------------------------------------------------------------
def test_no_grad_context_records_nothing():
    w = Tensor([1.0, 2.0], requires_grad=True)
    with no_grad():
        assert not is_grad_enabled()
        y = (w * 3.0).exp().sum()
    assert is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None and y.is_leaf
    with pytest.raises(RuntimeError):
        y.backward()
    z = (y * w).sum()  # y is a constant now: only the direct path reaches w
    z.backward()
    assert_close(w.grad.data, np.full(2, np.exp(3.0) + np.exp(6.0)))


def test_no_grad_as_decorator_and_restores_on_exception():
    w = Tensor([1.0], requires_grad=True)

    @no_grad()
    def double(t: Tensor) -> Tensor:
        assert not is_grad_enabled()
        return t * 2.0

    @no_grad()
    def fails() -> None:
        raise KeyError("boom")

    assert not double(w).requires_grad
    assert is_grad_enabled()
    with pytest.raises(KeyError):
        fails()
    assert is_grad_enabled()
    with pytest.raises(KeyError), no_grad():
        raise KeyError("boom")
    assert is_grad_enabled()


def test_enable_grad_inside_no_grad_and_nesting():
    w = Tensor([1.0], requires_grad=True)

    @enable_grad()
    def recorded(t: Tensor) -> Tensor:
        return t * 2.0

    with no_grad():
        with enable_grad():
            assert is_grad_enabled()
            y = w * 2.0
            with no_grad():
                assert not is_grad_enabled()
            assert is_grad_enabled()
        assert not is_grad_enabled()
        assert recorded(w).requires_grad
        assert not is_grad_enabled()
    assert y.requires_grad and y.grad_fn is not None


def test_set_grad_enabled_context_and_call():
    w = Tensor([1.0], requires_grad=True)
    with set_grad_enabled(False):
        assert not (w * 2).requires_grad
        with set_grad_enabled(True):
            assert (w * 2).requires_grad
        assert not is_grad_enabled()
    assert is_grad_enabled()
    with pytest.raises(TypeError):
        set_grad_enabled("no")  # type: ignore[arg-type]
    try:
        set_grad_enabled(False)  # PyTorch: called as a function, it switches the mode
        assert not is_grad_enabled()
    finally:
        set_grad_enabled(True)
    assert is_grad_enabled()


def test_grad_mode_is_thread_local():
    w = Tensor([1.0], requires_grad=True)
    inside, checked = threading.Event(), threading.Event()
    seen: dict[str, Any] = {}

    def other_thread() -> None:
        inside.wait(5)
        seen["enabled"] = is_grad_enabled()
        seen["records"] = (w * 2.0).requires_grad
        checked.set()

    worker = threading.Thread(target=other_thread)
    worker.start()
    with no_grad():
        inside.set()
        assert checked.wait(5)
        assert not (w * 2.0).requires_grad  # still off here
    worker.join()
    assert seen == {"enabled": True, "records": True}

    def starts_enabled() -> None:
        seen["fresh"] = is_grad_enabled()

    with no_grad():  # a thread started inside no_grad still begins with grad on
        t = threading.Thread(target=starts_enabled)
        t.start()
        t.join()
    assert seen["fresh"] is True


# ---- leaves, requires_grad, retain_grad, detach ----------------------------------------------
def test_requires_grad_propagation_and_is_leaf():
    w = Tensor([1.0, 2.0], requires_grad=True)
    c = Tensor([3.0, 4.0])
    assert w.is_leaf and c.is_leaf and w.grad_fn is None
    y = w * c
    assert y.requires_grad and not y.is_leaf and y.grad_fn is not None
    z = c * c
    assert not z.requires_grad and z.is_leaf and z.grad_fn is None
    assert not (w > 1.0).requires_grad  # comparisons are constants
    assert not w.astype(np.int32).requires_grad
    assert c.requires_grad_() is c and c.requires_grad and c.is_leaf
    c.requires_grad = False
    assert not c.requires_grad
    y2 = (w * c).sum()
    y2.backward()
    assert c.grad is None
    assert_close(w.grad.data, [3.0, 4.0], rtol=0, atol=0)


def test_only_leaves_get_grad_unless_retain_grad():
    x = Tensor([1.0, 2.0], requires_grad=True)
    h = x * x
    h.retain_grad()
    k = h * 3.0
    (k * k).sum().backward()  # L = 9 x⁴: dL/dh = 18 h, dL/dk = 2k
    assert_close(h.grad.data, 18 * x.data**2)
    assert k.grad is None
    assert_close(x.grad.data, 36 * x.data**3)
    with pytest.raises(RuntimeError):
        Tensor([1.0]).retain_grad()


def test_detach_shares_data_and_stops_gradients():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x * 2.0
    d = y.detach()
    assert np.shares_memory(d.data, y.data)
    assert d.is_leaf and not d.requires_grad and d.grad_fn is None
    (d * x).sum().backward()  # d is a constant 2x: gradient 2x, not 4x
    assert_close(x.grad.data, [2.0, 4.0], rtol=0, atol=0)


# ---- NumPy interop and conversions -----------------------------------------------------------
def test_numpy_interop_returns_tensors_and_differentiates():
    arr = np.array([[1.0, 2.0], [3.0, 4.0]])
    t = Tensor([[0.5, -1.0], [2.0, 0.0]], requires_grad=True)
    assert np.asarray(t.detach()) is t.data  # without grad: converts freely, sharing memory
    assert np.asarray(t.detach(), dtype=np.float32).dtype == np.float32
    with pytest.raises(RuntimeError, match=r"detach\(\)"):  # with grad: refused, as PyTorch's numpy()
        np.asarray(t)
    for out, want in [(arr + t, arr + t.data), (arr - t, arr - t.data), (arr * t, arr * t.data),
                      (arr @ t, arr @ t.data), (t @ arr, t.data @ arr), (2 * t, 2 * t.data),
                      (t / 4, t.data / 4), (1 / (t + 3), 1 / (t.data + 3)),
                      (np.float64(2.0) * t, 2 * t.data)]:
        assert isinstance(out, Tensor)
        assert out.requires_grad
        assert_close(out.data, want, rtol=0, atol=0)
    (arr @ t).sum().backward()  # d/dt sum(arr @ t) = arrᵀ 1
    assert_close(t.grad.data, arr.T @ np.ones((2, 2)), rtol=0, atol=0)


def test_construction_from_lists_scalars_arrays_and_dtype():
    assert Tensor([[1, 2], [3, 4]]).dtype == np.array([[1, 2], [3, 4]]).dtype
    assert Tensor([1.0, 2.0]).dtype == np.float64
    s = Tensor(3.5)
    assert s.shape == () and s.ndim == 0 and s.size == 1 and s.item() == 3.5
    a32 = np.arange(6, dtype=np.float32).reshape(2, 3)
    t = Tensor(a32)
    assert t.dtype == np.float32 and t.shape == (2, 3) and t.ndim == 2 and t.size == 6
    assert np.shares_memory(t.data, a32)  # like np.asarray: no copy
    assert Tensor([1, 2], dtype=np.float32).dtype == np.float32
    assert Tensor(True).dtype == np.bool_
    assert Tensor(t).data is t.data
    assert Tensor(np.float32(2.0)).dtype == np.float32
    r = Tensor([[1.0, 2.0]], requires_grad=True)
    assert r.requires_grad and r.grad is None


def test_item_numpy_tolist_len_iter_float():
    t = Tensor([[1.0, 2.0], [3.0, 4.0]])
    assert t.numpy() is t.data
    assert t.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert Tensor([[7.0]]).item() == 7.0 and isinstance(Tensor([[7.0]]).item(), float)
    assert float(Tensor(2.5)) == 2.5 and int(Tensor(3)) == 3
    assert len(t) == 2
    rows = list(t)
    assert all(isinstance(r, Tensor) for r in rows)
    assert_close(rows[1].data, [3.0, 4.0], rtol=0, atol=0)
    assert bool(Tensor(1.0)) and not bool(Tensor(0.0))


def test_comparisons_are_constant_bool_tensors():
    t = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    for out, want in [(t < 2, [True, False, False]), (t <= 2, [True, True, False]),
                      (t > 2, [False, False, True]), (t >= 2, [False, True, True]),
                      (t == 2, [False, True, False]),
                      (t != Tensor([1.0, 0.0, 3.0]), [False, True, False])]:
        assert isinstance(out, Tensor) and out.dtype == np.bool_ and not out.requires_grad
        assert_close(out.data, want, rtol=0, atol=0)


def test_repr_is_readable():
    w = Tensor([1.0, 2.0], requires_grad=True)
    r = repr(w)
    assert r.startswith("Tensor(") and "1." in r and "2." in r and "requires_grad=True" in r
    y = w * 2.0
    assert "grad_fn=<Mul>" in repr(y)
    assert "float32" in repr(Tensor(np.zeros(2, dtype=np.float32)))
    assert "requires_grad" not in repr(Tensor([1.0])) and "grad_fn" not in repr(Tensor([1.0]))
