"""Optional dependencies stay optional: importing the package (and its commands) pulls in neither
matplotlib nor Hypothesis; they are imported only by the code that needs them."""

import subprocess
import sys

CODE = """
import sys
import tinygrad_softmax
import tinygrad_softmax.commands.cli, tinygrad_softmax.commands.demo, tinygrad_softmax.commands.gradcheck
import tinygrad_softmax.models, tinygrad_softmax.nn, tinygrad_softmax.optim, tinygrad_softmax.datasets
heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("matplotlib", "hypothesis", "scipy", "torch"))
print(heavy)
"""


def test_importing_the_package_imports_no_optional_dependency():
    out = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_the_package_imports_with_matplotlib_and_hypothesis_missing():
    code = "import sys; sys.modules['matplotlib'] = None; sys.modules['hypothesis'] = None\n" + CODE
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
