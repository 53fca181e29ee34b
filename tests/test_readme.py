"""The README's quickstart is the contract with a newcomer: two commands, and CI runs the second."""

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def command_after(marker: str) -> str:
    match = re.search(rf"<!-- {marker} -->\s*```bash\n(.+?)\n```", README)
    assert match, f"README.md has no ```bash block after <!-- {marker} -->"
    return match.group(1)


def test_the_main_command_installs_the_package_and_runs_the_demo():
    cmd = command_after("main-command")
    assert "python3 -m venv .venv" in cmd and "pip install -e" in cmd
    assert cmd.endswith("tinygrad-softmax demo")


def test_the_test_command_installs_the_test_extra_and_runs_pytest():
    cmd = command_after("test-command")
    assert '.venv/bin/pip install -e ".[test]"' in cmd and cmd.endswith("python -m pytest")


def test_ci_runs_exactly_the_readme_test_command():
    script = (ROOT / ".ci" / "run").read_text()
    extractor = re.search(r"cmd=\$\((awk .+)\)\n", script)
    assert extractor, ".ci/run no longer extracts the test command from README.md"
    extracted = subprocess.run(["bash", "-c", extractor.group(1)], cwd=ROOT, capture_output=True,
                               text=True, check=True).stdout.strip()
    assert extracted == command_after("test-command")
    assert 'bash -c "$cmd"' in script
