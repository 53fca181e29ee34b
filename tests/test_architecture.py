"""The house's plan (docs/architecture.md) holds: imports flow one way, from the commands down to
the engine, never back up. Computed from the source (``ast``), top-level imports and imports
inside functions alike, so a new import that breaks the plan fails here."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "tinygrad_softmax"

# The rooms, lowest first. A module may import its own room and the rooms below it.
LAYERS: dict[str, set[str]] = {
    "engine": {"_grad_mode", "_shapes", "tensor", "tensor_methods", "ops", "functional", "joining", "hooks",
               "_numpy_api"},
    "library": {"creation", "nn", "init", "optim", "lr_scheduler", "models", "datasets", "reference",
                "utils", "utils.data", "data", "op_catalog", "compile"},
    "tools": {"trace", "anomaly", "viz", "explore", "testing", "gradient_check"},
    "commands": {"commands"},
}
ORDER = list(LAYERS)
# Deliberate upward imports, each inside one function and loaded only when that function runs.
LAZY_EXCEPTIONS = {("tensor_methods", "explore")}  # Tensor._repr_html_: a notebook asks for a drawing
# The oracle the tests compare against and the article's data import nothing of ours.
STANDALONE = {"reference", "datasets"}


def module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def room(module: str) -> str | None:
    for name, members in LAYERS.items():
        if module in members or module.split(".")[0] in members:
            return name
    return None


def imports(path: Path) -> list[tuple[str, bool]]:
    """(imported module of the package, lazily?) for every relative import in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    parts = [p for p in module_name(path).split(".") if p]
    here = parts if path.name == "__init__.py" else parts[:-1]  # the package the module is in
    top = {id(node) for node in tree.body}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level > 0:
            base = here[:len(here) - (node.level - 1)] if node.level > 1 else here
            if node.module:
                targets = [".".join([*base, node.module])]
            else:
                targets = [".".join([*base, alias.name]) for alias in node.names]
            found += [(t, id(node) not in top) for t in targets]
        elif isinstance(node, ast.Import) or (isinstance(node, ast.ImportFrom) and node.level == 0):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            found += [(n.removeprefix("tinygrad_softmax").lstrip("."), id(node) not in top)
                      for n in names if n.split(".")[0] == "tinygrad_softmax"]
    return found


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if module_name(p) not in ("", "__main__"))


def test_every_module_has_a_room():
    homeless = [module_name(p) for p in MODULES if room(module_name(p)) is None]
    assert not homeless, f"add {homeless} to LAYERS here and to docs/architecture.md"


@pytest.mark.parametrize("path", MODULES, ids=[module_name(p) for p in MODULES])
def test_imports_flow_down(path):
    me = module_name(path)
    mine = ORDER.index(room(me))
    for target, lazy in imports(path):
        if not target:  # `from . import x` in the package's __init__
            continue
        theirs = room(target)
        assert theirs is not None, f"{me} imports {target}, which has no room"
        if lazy and (me, target.split(".")[0]) in LAZY_EXCEPTIONS:
            continue
        assert ORDER.index(theirs) <= mine, (f"{me} ({room(me)}) imports {target} ({theirs}): imports must "
                                             f"flow down, {' -> '.join(reversed(ORDER))}")


@pytest.mark.parametrize("name", sorted(STANDALONE))
def test_the_oracle_and_the_data_stand_alone(name):
    assert imports(PACKAGE / f"{name}.py") == [], f"{name} must import nothing of the package"


def test_only_the_entry_points_import_the_commands():
    for path in [*MODULES, PACKAGE / "__init__.py"]:
        if module_name(path).startswith("commands"):
            continue
        assert not [t for t, _ in imports(path) if t.startswith("commands")], module_name(path)
    assert ("commands.cli", False) in imports(PACKAGE / "__main__.py")


def test_the_checker_sees_imports_of_every_kind():
    assert ("explore", True) in imports(PACKAGE / "tensor_methods.py")  # lazy, inside _repr_html_
    assert ("functional", False) in imports(PACKAGE / "tensor.py")  # `from . import functional, ops`
    assert ("reference", False) in imports(PACKAGE / "commands" / "demo.py")  # `from .. import reference`
    assert ("tensor", False) in imports(PACKAGE / "gradient_check" / "find_wrong.py")
    assert room("gradient_check.checks") == "tools" and room("commands.bench") == "commands"


def test_the_console_script_and_python_dash_m_reach_the_dispatcher():
    import importlib
    import re

    pyproject = (PACKAGE.parent / "pyproject.toml").read_text(encoding="utf-8")
    target = re.search(r'^tinygrad-softmax = "([\w.]+):(\w+)"', pyproject, re.M)
    assert target, "pyproject.toml declares no tinygrad-softmax script"
    module, func = target.groups()
    assert module == "tinygrad_softmax.commands.cli"
    assert callable(getattr(importlib.import_module(module), func))
    packages = re.search(r"^packages = \[(.*?)\]", pyproject, re.M | re.S).group(1)
    assert '"tinygrad_softmax.commands"' in packages  # else an installed copy lacks the commands
