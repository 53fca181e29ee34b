"""The README's first example runs and its gradients match the hand derivation it asserts."""

import runpy
from pathlib import Path

import numpy as np

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "01_first_graph.py"


def test_first_graph_example_runs_and_checks_itself(capsys):
    ns = runpy.run_path(str(EXAMPLE), run_name="__main__")
    out = capsys.readouterr().out
    assert "matches the hand-derived gradients: True" in out
    mask = (ns["h"].detach().numpy() > 0).astype(float)
    np.testing.assert_allclose(ns["b"].grad.numpy(), mask.sum(axis=0))
