"""to_dot's output, parsed back into nodes and edges, and draw()'s rendering with Graphviz."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from tinygrad_softmax import Tensor, draw, to_dot
from tinygrad_softmax import viz as viz_module

ROOT = Path(__file__).resolve().parents[1]
NODE = re.compile(r'^\s*(\w+) \[(.*)\];$')
EDGE = re.compile(r'^\s*(\w+) -> (\w+);$')
LABEL = re.compile(r'label="((?:[^"\\]|\\.)*)"')


def parse(dot: str) -> tuple[dict[str, dict[str, str]], list[tuple[str, str]]]:
    """Nodes (id -> {"label": ..., "attrs": ...}) and edges (in order) of our DOT output."""
    nodes: dict[str, dict[str, str]] = {}
    edges: list[tuple[str, str]] = []
    lines = dot.strip().splitlines()
    assert lines[0] == "digraph backprop {" and lines[-1] == "}"
    for line in lines[1:-1]:
        if (m := EDGE.match(line)):
            edges.append((m.group(1), m.group(2)))
        elif (m := NODE.match(line)) and m.group(1) not in ("node", "edge"):
            label = LABEL.search(m.group(2))
            assert label is not None, line
            nodes[m.group(1)] = {"label": label.group(1).replace("\\n", "\n"), "attrs": m.group(2)}
    for a, b in edges:
        assert a in nodes and b in nodes, (a, b)
    return nodes, edges


def by_label(nodes: dict[str, dict[str, str]], text: str) -> str:
    hits = [k for k, v in nodes.items() if v["label"].startswith(text)]
    assert len(hits) == 1, (text, hits)
    return hits[0]


def small_graph() -> tuple[Tensor, Tensor, Tensor, Tensor]:
    x = Tensor(np.ones((2, 3)))
    W = Tensor(np.full((3, 4), 0.1), requires_grad=True)
    b = Tensor(np.zeros(4, dtype=np.float64), requires_grad=True)
    y = (x @ W + b).exp().sum()
    return x, W, b, y


def test_small_graph_has_exactly_its_tensors_ops_and_edges():
    x, W, b, y = small_graph()
    nodes, edges = parse(to_dot(y, names={"x": x, "W": W, "b": b, "loss": y}))
    ops = {k: v["label"] for k, v in nodes.items() if "shape=ellipse" in v["attrs"]}
    tensors = {k: v["label"] for k, v in nodes.items() if "shape=box" in v["attrs"]}
    assert sorted(ops.values()) == ["Add", "Exp", "MatMul", "Sum"]
    assert len(tensors) == 7  # x, W, b, x@W, x@W+b, exp(...), loss
    assert len(edges) == 10  # 6 into ops (2 + 2 + 1 + 1), 4 out of them
    op = {name: k for k, name in ops.items()}
    xw = [t for t in tensors if (t, op["Add"]) in edges and tensors[t].startswith("(2, 4)")][0]
    h = [t for t in tensors if (op["Add"], t) in edges][0]
    e = [t for t in tensors if (op["Exp"], t) in edges][0]
    X, Wn, bn, loss = (by_label(nodes, s) for s in ("x\n", "W\n", "b\n", "loss\n"))
    expected = {(X, op["MatMul"]), (Wn, op["MatMul"]), (op["MatMul"], xw), (xw, op["Add"]), (bn, op["Add"]),
                (op["Add"], h), (h, op["Exp"]), (op["Exp"], e), (e, op["Sum"]), (op["Sum"], loss)}
    assert set(edges) == expected  # every edge points the way data flows: input -> op -> output
    assert "(3, 4) float64" in tensors[Wn] and "leaf, requires_grad" in tensors[Wn]
    assert "(2, 3) float64" in tensors[X] and "constant" in tensors[X]
    assert "() float64" in tensors[loss] and "peripheries=2" in nodes[loss]["attrs"]
    assert "leaf" not in tensors[h] and "constant" not in tensors[h]


def test_dtype_is_shown_and_a_reused_tensor_gets_one_arrow_per_use():
    a = Tensor(np.float32(2.0), requires_grad=True)
    c = (a + a) * 3.0
    nodes, edges = parse(to_dot(c, names={"a": a}))
    add = by_label(nodes, "Add")
    assert edges.count((by_label(nodes, "a\n"), add)) == 2
    assert "() float32" in nodes[by_label(nodes, "a\n")]["label"]


def test_values_and_grads_are_shown_and_labels_are_capped():
    x = Tensor([1.0, 3.0], requires_grad=True)
    big = Tensor(np.arange(1000.0), requires_grad=True)
    y = (x * x).sum() + big.sum()
    y.backward(retain_graph=True)
    nodes, _ = parse(to_dot(y, show_values=True, show_grads=True, names={"x": x, "big": big}, max_label=15))
    label = nodes[by_label(nodes, "x\n")]["label"]
    assert "value [1., 3.]" in label and "grad [2., 6.]" in label  # d(x²)/dx = 2x
    for line in nodes[by_label(nodes, "big\n")]["label"].splitlines():
        assert len(line) <= len("value ") + 15
    assert "…" in nodes[by_label(nodes, "big\n")]["label"]
    plain, _ = parse(to_dot(y))
    assert all("\nvalue " not in n["label"] and "\ngrad " not in n["label"] for n in plain.values())


def test_labels_with_quotes_are_escaped():
    x = Tensor([1.0], requires_grad=True)
    nodes, _ = parse(to_dot(x * 2, names={'say "hi"\\': x}))
    assert any(n["label"].startswith('say \\"hi\\"\\\\') for n in nodes.values())


def test_a_freed_graph_cannot_be_drawn_and_the_error_says_what_to_do():
    _, _, _, y = small_graph()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        to_dot(y)


def test_long_chains_of_identical_ops_collapse_into_one_node():
    w = Tensor(0.5, requires_grad=True)
    t = Tensor(1.0, requires_grad=True)
    h = t
    for _ in range(50):
        h = h + 1.0  # 50 Adds, each with its own constant 1.0
    for _ in range(10):
        h = h * w  # a shared weight: its arrow to the chain is kept, once
    y = h.sum()
    nodes, edges = parse(to_dot(y, names={"w": w, "t": t}))
    chain_add = by_label(nodes, "Add × 50")
    chain_mul = by_label(nodes, "Mul × 10")
    assert (by_label(nodes, "t\n"), chain_add) in edges
    assert edges.count((by_label(nodes, "w\n"), chain_mul)) == 1
    assert len(nodes) == 8  # t, w, chain_add, its output, chain_mul, its output, Sum, y
    full, full_edges = parse(to_dot(y, collapse_chains=0))
    assert sum(n["label"] == "Add" for n in full.values()) == 50
    assert sum(n["label"] == "Mul" for n in full.values()) == 10
    # tensors: t, w, 50 constants, 50 + 10 op outputs, y; ops: 50 Add, 10 Mul, Sum
    assert len(full) == (2 + 50 + 60 + 1) + (50 + 10 + 1)
    assert len(full_edges) == 50 * 3 + 10 * 3 + 2


def test_a_chain_whose_middle_is_used_twice_is_not_collapsed():
    t = Tensor(1.0, requires_grad=True)
    h = t
    for _ in range(5):
        h = h.tanh()
    middle = h
    for _ in range(5):
        h = h.tanh()
    nodes, _ = parse(to_dot(h + middle, collapse_chains=4))
    chains = {n["label"] for n in nodes.values() if n["label"].startswith("Tanh ×")}
    assert chains == {"Tanh × 5\n(4 intermediate tensors hidden)"}


def dot_available() -> bool:
    if shutil.which("dot") is None:
        if os.environ.get("CI"):
            pytest.fail("CI is set but Graphviz's `dot` is not installed; .ci/run installs it")
        pytest.skip("Graphviz's `dot` is not installed (CI installs it)")
    return True


@pytest.mark.parametrize("suffix, magic", [(".svg", b"<svg"), (".png", b"\x89PNG")])
def test_draw_renders_with_graphviz(tmp_path, suffix, magic):
    dot_available()
    _, W, b, y = small_graph()
    out = draw(y, tmp_path / f"graph{suffix}", names={"W": W})
    assert out == tmp_path / f"graph{suffix}"
    data = out.read_bytes()
    assert magic in data[:400]
    if suffix == ".svg":
        text = data.decode()
        for word in ("MatMul", "Add", "Exp", "Sum", "leaf, requires_grad", "(3, 4) float64"):
            assert word in text
        assert text.count('class="node"') == 11 and text.count('class="edge"') == 10


def test_our_dot_source_is_accepted_by_graphviz():
    dot_available()
    _, _, _, y = small_graph()
    proc = subprocess.run(["dot", "-Tcanon"], input=to_dot(y, show_values=True).encode(),
                          capture_output=True, timeout=30)
    assert proc.returncode == 0, proc.stderr


def test_without_graphviz_draw_writes_the_dot_file_and_says_how_to_render(tmp_path, monkeypatch):
    monkeypatch.setattr(viz_module.shutil, "which", lambda name: None)
    _, _, _, y = small_graph()
    with pytest.warns(UserWarning, match=r"dot -Tsvg .*graph\.dot -o .*graph\.svg"):
        out = draw(y, tmp_path / "graph.svg")
    assert out == tmp_path / "graph.dot" and not (tmp_path / "graph.svg").exists()
    assert out.read_text() == to_dot(y)


def test_draw_rejects_unknown_formats(tmp_path):
    _, _, _, y = small_graph()
    with pytest.raises(ValueError, match="svg"):
        draw(y, tmp_path / "graph.jpeg")
    assert draw(y, tmp_path / "g.dot").read_text() == to_dot(y)


def svg_labels(svg: str) -> list[str]:
    """The text lines Graphviz wrote into an SVG (node labels), without layout."""
    return re.findall(r"<text[^>]*>([^<]*)</text>", svg)


# ---- op arguments, composites, every gradient ----------------------------------------------
def article_loss(n: int = 5):
    import tinygrad_softmax.functional as F
    rng = np.random.default_rng(0)
    X = Tensor(rng.normal(size=(n, 2)))
    W = Tensor(rng.normal(size=(2, 3)), requires_grad=True)
    b = Tensor(np.zeros(3), requires_grad=True)
    scores = X @ W + b
    y = np.array([0, 1, 2, 0, 1])[:n]
    loss = F.cross_entropy(scores, y) + 0.05 * (W * W).sum()
    return X, W, b, scores, y, loss


def test_ops_show_their_non_default_arguments():
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    y = (x[0, 1:] ** 2).sum() + x.sum(axis=1, keepdims=True).sum()
    ops = sorted(v["label"] for v in parse(to_dot(y))[0].values() if "shape=ellipse" in v["attrs"])
    assert ops == ["Add", "GetItem\nindex=[0, 1:]", "Pow\nexponent=2", "Sum", "Sum",
                   "Sum\naxis=1, keepdims=True"]


def test_a_composite_call_is_one_node_named_after_the_function():
    X, W, b, scores, _, loss = article_loss()
    nodes, edges = parse(to_dot(loss, names={"W": W, "scores": scores}))
    ce = by_label(nodes, "cross_entropy\n")
    assert "(10 ops)" in nodes[ce]["label"]
    assert not any(v["label"] in ("Log", "Exp", "Neg") for v in nodes.values())  # its primitives are hidden
    assert (by_label(nodes, "scores\n"), ce) in edges  # its input goes in ...
    (out,) = [b for a, b in edges if a == ce]  # ... and its one result comes out
    assert nodes[out]["label"].startswith("() float64")
    plain, _ = parse(to_dot(loss, composites="none"))
    assert sum(v["label"] in ("Log", "Exp") for v in plain.values()) == 2
    assert not any(v["label"].startswith("cross_entropy") for v in plain.values())
    m = Tensor([1.0, 2.0], requires_grad=True).mean()
    mean_nodes, _ = parse(to_dot(m))
    assert any(v["label"] == "mean\n(2 ops)" for v in mean_nodes.values())


def test_cluster_mode_keeps_the_primitives_inside_labelled_nested_boxes():
    _, _, _, _, _, loss = article_loss()
    dot = to_dot(loss, composites="cluster")
    nodes, _ = parse(dot)
    assert sum(v["label"] in ("Log", "Exp") for v in nodes.values()) == 2
    outer = dot.index('label="cross_entropy"')
    inner = dot.index('label="log_softmax"')
    assert dot.index("subgraph cluster_0 {") < outer < dot.index("subgraph cluster_1 {") < inner
    with pytest.raises(ValueError, match="composites"):
        to_dot(loss, composites="fold")


def test_show_grads_all_shows_every_intermediate_gradient_without_retain_grad():
    X, W, b, scores, y, loss = article_loss(n=4)  # 12 scores: printed in full
    nodes, _ = parse(to_dot(loss, show_grads="all", composites="none", names={"scores": scores, "W": W},
                            max_label=400))
    assert W.grad is None and b.grad is None  # nothing changed for the caller
    W.grad = Tensor(np.full(W.shape, 7.0))  # an existing .grad is put back with its values
    held = W.grad
    to_dot(loss, show_grads="all")
    assert W.grad is held and (held.data == 7.0).all()
    W.grad = None
    f = scores.data
    S = np.exp(f - f.max(axis=1, keepdims=True))
    S /= S.sum(axis=1, keepdims=True)
    S[np.arange(4), y] -= 1
    d_scores = S / 4  # closed form: dL/dscores = (S - Y) / N
    label = nodes[by_label(nodes, "scores\n")]["label"]
    shown = np.array([float(v) for v in re.findall(r"-?\d+\.\d*(?:e-?\d+)?", label.split("grad ")[1])])
    np.testing.assert_allclose(shown.reshape(4, 3), d_scores, atol=1e-4)
    grads = [v["label"] for v in nodes.values() if "\ngrad " in v["label"]]
    assert len(grads) == sum(1 for v in nodes.values() if "shape=box" in v["attrs"]
                             and "constant" not in v["label"])  # every tensor that gets one
    with pytest.raises(ValueError, match="show_grads"):
        to_dot(loss, show_grads="some")


def test_graphviz_accepts_collapsed_and_clustered_drawings():
    dot_available()
    _, _, _, _, _, loss = article_loss()
    for mode in ("collapse", "cluster"):
        source = to_dot(loss, composites=mode, show_grads="all")
        proc = subprocess.run(["dot", "-Tsvg"], input=source.encode(), capture_output=True, timeout=60,
                              check=False)
        assert proc.returncode == 0, proc.stderr


def test_the_composite_marker_keeps_the_function_and_marks_only_graphs():
    import tinygrad_softmax.functional as F
    from tinygrad_softmax.viz import composite

    assert F.log_softmax.__name__ == "log_softmax" and "logsumexp" in F.log_softmax.__doc__
    x = Tensor(np.array([[1.0, 2.0, 0.5]]))
    out = F.log_softmax(x)  # no input requires grad: no graph, nothing marked
    assert out.grad_fn is None
    np.testing.assert_allclose(out.data, x.data - np.log(np.exp(x.data).sum()))

    @composite("twice")
    def twice(t):
        return t + t

    w = Tensor([1.0], requires_grad=True)
    y = twice(twice(w))  # two separate calls, one nested in the graph of the other's input
    assert y.grad_fn.__dict__["_composites"] == [("twice", y.grad_fn.__dict__["_composites"][0][1])]
    nodes, edges = parse(to_dot(y * 2.0))
    twice_nodes = [k for k, v in nodes.items() if v["label"].startswith("twice\n")]
    assert len(twice_nodes) == 2  # each call is its own node, chained
    assert any((a, b) for a, b in edges if a in twice_nodes)
