"""docs/api.md is generated from the docstrings and up to date; every public name has a docstring."""

from __future__ import annotations

import importlib.util
import inspect
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]


def load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_api_docs", ROOT / "docs" / "gen_api_docs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def gen() -> ModuleType:
    if importlib.util.find_spec("hypothesis") is None:  # tinygrad_softmax.testing needs it
        pytest.skip("the API reference covers tinygrad_softmax.testing, which needs hypothesis")
    return load_generator()


def test_api_reference_is_up_to_date(gen: ModuleType) -> None:
    expected = gen.render()
    assert "## " in expected  # the generator really produced a reference
    current = gen.OUTPUT.read_text(encoding="utf-8") if gen.OUTPUT.exists() else ""
    if current != expected:
        old, new = current.splitlines(), expected.splitlines()
        first = next((i for i, (a, b) in enumerate(zip(old, new)) if a != b), min(len(old), len(new)))
        pytest.fail(f"docs/api.md is out of date (first difference at line {first + 1}: "
                    f"{old[first] if first < len(old) else '<end of file>'!r} should be "
                    f"{new[first] if first < len(new) else '<end of file>'!r}).\n"
                    f"Regenerate it with: {gen.REGENERATE}", pytrace=False)


def public_objects(gen: ModuleType) -> list[tuple[str, object]]:
    import tinygrad_softmax

    modules = [tinygrad_softmax] + [importlib.import_module(f"tinygrad_softmax.{m}") for m in gen.SUBMODULES]
    return [(f"{m.__name__}.{name}", getattr(m, name)) for m in modules for name in gen.public_names(m)]


def test_every_public_name_has_its_own_docstring(gen: ModuleType) -> None:
    objects = public_objects(gen)
    assert len(objects) > 40  # the package, its submodules and their names were all found
    missing = [name for name, obj in objects
               if (inspect.isclass(obj) or inspect.isroutine(obj) or inspect.ismodule(obj))
               and not (isinstance(obj.__doc__, str) and obj.__doc__.strip())]
    assert not missing, f"public names without a docstring: {missing}"


def test_every_public_name_is_in_the_reference(gen: ModuleType) -> None:
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    absent = [name for name, _ in public_objects(gen) if f"### `{name}`" not in text]
    assert not absent, absent


def test_docstrings_render_examples_as_non_executed_fences(gen: ModuleType) -> None:
    doc = "Intro::\n\n    code here\n    more\n\nText.\n\n>>> 1 + 1\n2\n"
    md = gen.docstring_to_markdown(doc)
    assert md == "Intro:\n\n```text\ncode here\nmore\n```\n\nText.\n\n```pycon\n>>> 1 + 1\n2\n```"


def test_the_generator_is_not_imported_by_the_package() -> None:
    import sys

    import tinygrad_softmax  # noqa: F401

    assert "gen_api_docs" not in {m.split(".")[-1] for m in sys.modules if m.startswith("tinygrad_softmax")}
    assert not (ROOT / "tinygrad_softmax" / "gen_api_docs.py").exists()
