"""The backward explorer: the page's data are the engine's gradients, the page is self-contained,
the layouts are layered, and in a real (headless) browser the page steps through backward without
a JavaScript error, displaying at every step the gradients the engine computes."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from tinygrad_softmax import Tensor
from tinygrad_softmax import functional as F
from tinygrad_softmax.commands.explore import main
from tinygrad_softmax.explore import explore, explorer_html, graph_svg, layout
from tinygrad_softmax.trace import traced_backward
from tinygrad_softmax.viz import reachable

ROOT = Path(__file__).resolve().parents[1]


def page_data(page: str) -> dict:
    m = re.search(r'<script type="application/json" id="data">(.*?)</script>', page, re.S)
    assert m is not None
    return json.loads(m.group(1).replace("<\\/", "</"))


def values(a: dict) -> np.ndarray:
    """An array from the page's JSON (only small arrays carry every value)."""
    return np.array([float(v) for v in a["v"]]).reshape(a["shape"])


def softmax_model(n: int = 5, seed: int = 0, reg: float = 0.1):
    """The article's loss on random data: mean cross-entropy of X W + b, plus ½·reg·ΣW²."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    y = rng.integers(0, 3, size=n)
    W = Tensor(rng.normal(size=(2, 3)), requires_grad=True)
    b = Tensor(rng.normal(size=3), requires_grad=True)
    Xt = Tensor(X)
    loss = F.cross_entropy(Xt @ W + b, y) + 0.5 * reg * (W * W).sum()
    return loss, {"X": Xt, "W": W, "b": b, "loss": loss}, (X, y, reg)


def closed_form(X: np.ndarray, y: np.ndarray, W: np.ndarray, b: np.ndarray, reg: float):
    """The article's gradients: dW = Xᵀ(S − Y)/N + reg·W, db = Σ(S − Y)/N."""
    f = X @ W + b
    S = np.exp(f - f.max(axis=1, keepdims=True))
    S /= S.sum(axis=1, keepdims=True)
    S[np.arange(len(y)), y] -= 1
    return X.T @ S / len(y) + reg * W, S.sum(axis=0) / len(y)


def engine_grads(loss: Tensor) -> list[Tensor]:
    """The graph's tensors in the page's order, each with ``.grad`` from a plain backward in which
    every intermediate called retain_grad() (the engine's own path, not the trace)."""
    tensors, _ = reachable(loss)
    for t in tensors:
        if t.requires_grad and t.grad_fn is not None:
            t.retain_grad()
    loss.backward(retain_graph=True)
    return tensors


def test_page_data_are_the_engines_gradients_and_the_closed_form():
    loss, names, (X, y, reg) = softmax_model()
    W, b = names["W"], names["b"]
    data = page_data(explorer_html(loss, names, layout="simple"))
    assert W.grad is None and b.grad is None  # exploring leaves .grad as it was
    tensors = engine_grads(loss)
    dW, db = closed_form(X, y, W.data, b.data, reg)
    np.testing.assert_allclose(W.grad.data, dW, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(b.grad.data, db, rtol=1e-10, atol=1e-12)
    visited = [s["node"] for s in data["steps"]]
    assert len(visited) == len(set(visited)) == sum(t.requires_grad for t in tensors)
    assert visited[0] == 0 and data["nodes"][0]["root"] and data["nodes"][0]["name"] == "loss"
    for step in data["steps"]:
        t = tensors[step["node"]]
        np.testing.assert_allclose(values(step["grad"]), t.grad.data, rtol=1e-12, atol=0)
    # what the ops send adds up, in the running sums, to what each tensor then receives
    last_sum: dict[int, np.ndarray] = {}
    for step in data["steps"]:
        for send in step["sends"]:
            t = tensors[send["to"]]
            if not t.requires_grad:
                assert send["grad"] is None
                continue
            total = values(send["sum"]) if send["k"] > 1 else values(send["grad"])
            if send["k"] > 1:
                np.testing.assert_allclose(total, last_sum[send["to"]] + values(send["grad"]), rtol=1e-12)
            last_sum[send["to"]] = total
    for i, total in last_sum.items():
        np.testing.assert_allclose(total, tensors[i].grad.data, rtol=1e-12, atol=0)
    w_node = next(n for n in data["nodes"] if n["name"] == "W")
    assert w_node["kind"] == "param" and sum(  # W is used three times: W*W twice and X @ W
        1 for s in data["steps"] for snd in s["sends"] if snd["to"] == w_node["id"]) == 3


def test_nodes_show_op_arguments_formulas_and_composites():
    loss, names, _ = softmax_model()
    data = page_data(explorer_html(loss, names, layout="simple"))
    ops = {n["op"] for n in data["nodes"]}
    assert {"MatMul", "Add", "Exp", "Log", "Sum", "GetItem", "Mul"} <= ops
    sums = [n for n in data["nodes"] if n["op"] == "Sum"]
    assert {"axis": "-1", "keepdims": "True"} in [n["args"] for n in sums]
    mul = next(n for n in data["nodes"] if n["op"] == "Mul")
    assert mul["formula"].startswith("Backward: dL/da = g * b")
    comps = {tuple(n["comp"]) for n in data["nodes"]}
    assert ("cross_entropy", "log_softmax") in comps and ("cross_entropy",) in comps
    assert {c["name"] for c in data["clusters"]} == {"cross_entropy", "log_softmax"}
    matmul = next(n for n in data["nodes"] if n["op"] == "MatMul")
    assert matmul["comp"] == []  # built outside the loss call


def test_large_arrays_are_summarised_with_statistics_and_a_heat_map():
    x = Tensor(np.arange(200.0).reshape(40, 5) / 100, requires_grad=True)
    data = page_data(explorer_html((x * x).sum(), {"x": x}, layout="simple"))
    node = next(n for n in data["nodes"] if n["name"] == "x")
    v = node["value"]
    assert "v" not in v and v["shape"] == [40, 5]
    assert v["stats"]["min"] == 0 and v["stats"]["max"] == pytest.approx(1.99)
    assert v["stats"]["mean"] == pytest.approx(np.mean(x.data))
    assert v["stats"]["norm"] == pytest.approx(np.linalg.norm(x.data))
    heat = v["heat"]
    assert (heat["rows"], heat["cols"]) == (16, 5) and len(heat["v"]) == 80
    assert heat["v"][0] == pytest.approx(np.mean(x.data[:3, 0]), rel=1e-3)  # block mean of rows 0-2
    leaf_step = next(s for s in data["steps"] if s["node"] == node["id"])
    assert leaf_step["grad"]["stats"]["norm"] == pytest.approx(np.linalg.norm(2 * x.data))


def test_non_finite_values_survive_as_json():
    x = Tensor(np.array([1.0, 0.0, -1.0]), requires_grad=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        page = explorer_html(x.log().sum(), layout="simple")
    data = page_data(page)  # strict JSON: NaN and inf are strings
    assert "NaN" in data["nodes"][1]["value"]["v"] or "-Infinity" in json.dumps(data)


def test_the_page_is_self_contained(tmp_path):
    loss, names, _ = softmax_model()
    path = explore(loss, tmp_path / "p.html", names, layout="simple")
    page = path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert re.search(r"<(script|img|iframe)[^>]*\bsrc=|<link\b|@import|@font-face", page) is None
    urls = set(re.findall(r"https?://[^\s\"')]+", page))
    assert urls <= {"http://www.w3.org/2000/svg"}, urls


def test_explore_refuses_freed_and_missing_graphs(tmp_path):
    loss, _, _ = softmax_model()
    loss.backward()
    with pytest.raises(RuntimeError, match="freed"):
        explore(loss, tmp_path / "p.html")
    with pytest.raises(RuntimeError, match="no graph"):
        explore(Tensor([1.0]).sum(), tmp_path / "p.html")
    with pytest.raises(TypeError, match="Tensor"):
        explore(np.ones(2), tmp_path / "p.html")  # type: ignore[arg-type]


def test_explore_keeps_existing_grads_and_the_graph():
    loss, names, _ = softmax_model()
    W = names["W"]
    W.grad = Tensor(np.full((2, 3), 7.0))
    explorer_html(loss, names, layout="simple")
    np.testing.assert_array_equal(W.grad.data, 7.0)
    loss.backward()  # the graph is still there
    assert not np.allclose(W.grad.data, 7.0)


def chain_graph(n_blocks: int) -> Tensor:
    """A deep, branchy graph: each block reuses its input twice and mixes in a parameter."""
    rng = np.random.default_rng(1)
    h = Tensor(rng.normal(size=(3,)), requires_grad=True)
    for _ in range(n_blocks):
        p = Tensor(rng.normal(size=(3,)), requires_grad=True)
        h = (h * p + h.tanh()) * 0.5
    return h.sum()


@pytest.mark.parametrize("method", ["simple", "dot"])
def test_layouts_are_layered_top_to_bottom_without_overlaps(method):
    if method == "dot":
        dot_available()
    loss = chain_graph(40)  # about 240 tensors
    tensors, op_of = reachable(loss)
    placed = layout(tensors, op_of, method=method, w=100, h=40)
    assert placed["method"] == method
    c = placed["centres"]
    assert len(tensors) > 200 and len(placed["paths"]) == len(placed["edges"])
    for u, v, _ in placed["edges"]:  # data flows down the page
        assert c[u][1] < c[v][1]
    assert c[0][1] == max(y for _, y in c)  # the root is at the bottom
    boxes = sorted((x, y) for x, y in c)
    by_row: dict[float, list[float]] = {}
    for x, y in boxes:
        by_row.setdefault(round(y), []).append(x)
    for xs in by_row.values():  # same row: at least a box width apart
        assert all(b - a >= 100 - 1e-6 for a, b in zip(xs, xs[1:]))


def test_tensor_shows_its_graph_in_a_notebook_and_a_trace_shows_a_table():
    x = Tensor([1.0, 2.0], requires_grad=True)
    assert x._repr_html_() is None and Tensor([1.0])._repr_html_() is None  # no graph: plain repr
    y = (x * x).reshape(1, 2).sum(axis=1).sum()
    svg = y._repr_html_()
    assert svg is not None and "<svg" in svg and "Mul" in svg and "Sum(axis=1)" in svg
    assert graph_svg(chain_graph(40), max_nodes=80) is None  # too big for a quick look
    trace = traced_backward(y, names={"x": x})
    table = trace._repr_html_()
    assert table.count("<tr>") == 1 + len(trace) and "accumulates into .grad" in table
    assert y._repr_html_() is None  # backward freed the graph


def test_explore_command_writes_the_article_model_and_a_scripts_main(tmp_path, capsys):
    out = tmp_path / "article.html"
    assert main(["-o", str(out), "--points", "30", "--layout", "simple"]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    data = page_data(out.read_text(encoding="utf-8"))
    names = {n["name"] for n in data["nodes"]}
    assert {"X", "W", "b", "scores", "loss"} <= names
    assert next(n for n in data["nodes"] if n["name"] == "X")["value"]["shape"] == [30, 2]
    script = tmp_path / "script.py"
    script.write_text("from tinygrad_softmax import Tensor\n"
                      "def main():\n    w = Tensor([1.0, -2.0], requires_grad=True)\n"
                      "    return (w * w).sum(), {'w': w}\n", encoding="utf-8")
    out2 = tmp_path / "script.html"
    assert main([str(script), "-o", str(out2), "--layout", "simple"]) == 0
    data = page_data(out2.read_text(encoding="utf-8"))
    leaf = next(s for s in data["steps"] if data["nodes"][s["node"]]["name"] == "w")
    np.testing.assert_array_equal(values(leaf["grad"]), [2.0, -4.0])
    bad = tmp_path / "bad.py"
    bad.write_text("def main():\n    return 3\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="not a Tensor"):
        main([str(bad), "-o", str(tmp_path / "x.html")])


# ---- in a real browser ----------------------------------------------------------------------
def dot_available() -> None:
    if shutil.which("dot") is None:
        if os.environ.get("CI"):
            pytest.fail("CI is set but Graphviz's `dot` is not installed; .ci/run installs it")
        pytest.skip("Graphviz's `dot` is not installed (CI installs it)")


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    if os.environ.get("CI"):
        pytest.fail("CI is set but Chromium is not installed; .ci/run installs it (apt-get install chromium)")
    pytest.skip("Chromium is not installed (CI installs it)")


def run_page(path: Path, tmp_path: Path) -> dict:
    """Load ``path?selftest`` headless and return the report the page wrote into the DOM."""
    proc = subprocess.run(
        [chromium(), "--headless", "--disable-gpu", "--no-sandbox", "--no-first-run",
         f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=10000", "--dump-dom",
         path.resolve().as_uri() + "?selftest"],
        capture_output=True, timeout=120, check=False)
    dom = proc.stdout.decode("utf-8", errors="replace")
    m = re.search(r'<pre id="selftest">(.*?)</pre>', dom, re.S)
    errors = re.search(r'<pre id="errors"[^>]*>(.*?)</pre>', dom, re.S)
    assert m is not None, (f"no self-test report in the page (chromium exit {proc.returncode}); "
                           f"JavaScript errors: {html.unescape(errors.group(1)) if errors else '?'}")
    return json.loads(html.unescape(m.group(1)))


def shown(a: dict | None) -> np.ndarray:
    assert a is not None and "values" in a
    shape = tuple(int(s) for s in a["shape"].split(",") if s)
    return np.array([float(v) for v in a["values"]]).reshape(shape)


def assert_shown(text: np.ndarray, exact: np.ndarray) -> None:
    """The page prints 5 significant digits."""
    np.testing.assert_allclose(text, exact, rtol=1e-4, atol=1e-300)


def test_in_chromium_every_step_displays_the_engines_gradients(tmp_path):
    loss, names, _ = softmax_model(n=4)
    page = tmp_path / "page.html"
    explore(loss, page, names)
    data = page_data(page.read_text(encoding="utf-8"))
    report = run_page(page, tmp_path)
    assert report["errors"] == []
    tensors = engine_grads(loss)
    steps = report["steps"]
    assert len(steps) == len(data["steps"]) == sum(t.requires_grad for t in tensors)
    received: dict[int, np.ndarray] = {}
    for p, rec in enumerate(steps, start=1):
        node = data["steps"][p - 1]["node"]
        assert rec["counter"] == f"step {p} / {len(steps)}" and rec["current"] == [node]
        assert_shown(shown(rec["upstream"]), tensors[node].grad.data)
        assert_shown(shown(rec["inspected"]), tensors[node].grad.data)  # the node's own panel agrees
        assert len(rec["sends"]) == len(data["steps"][p - 1]["sends"])
        for send in rec["sends"]:
            t = tensors[send["to"]]
            if send["grad"] is None:
                assert not t.requires_grad
                continue
            g = shown(send["grad"])
            received[send["to"]] = received.get(send["to"], 0) + g
            if send["sum"] is not None:
                assert_shown(shown(send["sum"]), received[send["to"]])
    for i, total in received.items():  # what was sent adds up to each tensor's gradient
        assert_shown(total, tensors[i].grad.data)
    assert report["afterBack"] == f"step {len(steps) - 1} / {len(steps)}"
    assert report["afterFirst"] == f"step 0 / {len(steps)}"


def test_in_chromium_large_arrays_show_the_engines_statistics(tmp_path):
    x = Tensor(np.linspace(-1, 1, 60).reshape(20, 3), requires_grad=True)
    loss = (x * x).sum()
    page = explore(loss, tmp_path / "big.html", {"x": x}, layout="simple")
    report = run_page(page, tmp_path)
    assert report["errors"] == []
    leaf = report["steps"][-1]
    stats = leaf["upstream"]["stats"]
    g = 2 * x.data
    for k, v in {"min": g.min(), "max": g.max(), "mean": g.mean(), "std": g.std(),
                 "norm": np.linalg.norm(g)}.items():
        assert float(stats[k]) == pytest.approx(v, rel=1e-4, abs=1e-12), k


def test_a_non_scalar_output_is_explored_with_the_gradient_given():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * x
    data = page_data(explorer_html(y, {"x": x}, gradient=np.array([1.0, 0.0, -1.0]), layout="simple"))
    leaf = next(s for s in data["steps"] if data["nodes"][s["node"]]["name"] == "x")
    np.testing.assert_array_equal(values(leaf["grad"]), [2.0, 0.0, -6.0])  # 2x * upstream
    with pytest.raises(RuntimeError, match="gradient"):
        explorer_html(y, layout="simple")


def test_trace_records_keep_op_arguments_and_the_docstring_formula():
    from tinygrad_softmax import Function

    class Scale(Function):
        """out = alpha * x.  Backward: dL/dx = alpha * g."""

        @staticmethod
        def forward(ctx, x):
            ctx.alpha = 0.5  # a setting kept on the context, not passed as a keyword
            return 0.5 * x

        @staticmethod
        def backward(ctx, g):
            return ctx.alpha * g

    x = Tensor(np.ones((2, 3)), requires_grad=True)
    y = Scale.apply(x.sum(axis=0) ** 3).sum()
    trace = traced_backward(y)  # a plain backward: the ops are cleared right after each visit
    by_op = {r.op: r for r in trace}
    assert by_op["Pow"].args == {"exponent": "3"}
    assert by_op["Scale"].args == {"alpha": "0.5"}
    assert by_op["Scale"].formula == "Backward: dL/dx = alpha * g."
    assert by_op["Pow"].formula.startswith("Backward: dL/dx = g * p * x**(p-1)")
    sums = [r for r in trace if r.op == "Sum"]
    assert [r.args for r in sums] == [{}, {"axis": "0"}] and by_op["leaf"].formula == ""
