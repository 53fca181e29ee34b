"""Generate docs/api.md, the API reference, from the package's docstrings.

    python docs/gen_api_docs.py            # (re)write docs/api.md
    python docs/gen_api_docs.py --check    # exit 1 if docs/api.md is out of date

The public names are ``tinygrad_softmax.__all__`` plus the public names of the submodules in
``SUBMODULES`` (each module's ``__all__``, or else the names it defines that do not start with
an underscore). For a class, its public methods and properties defined in the class itself are
listed too. Docstrings are rendered as Markdown: ``>>>`` examples become ``pycon`` code blocks
and reST literal blocks (a paragraph ending in ``::``) become ``text`` code blocks, so the docs
runner does not execute them (the doctests run separately, in tests/test_docs.py).

This script lives outside the package: nothing here is imported by ``import tinygrad_softmax``.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "docs" / "api.md"
PACKAGE = "tinygrad_softmax"
SUBMODULES = ["functional", "reference", "nn", "optim", "models", "datasets", "gradient_check",
              "testing", "hooks", "viz", "trace", "anomaly", "explore", "init", "lr_scheduler", "utils.data"]
REGENERATE = "python docs/gen_api_docs.py"


def public_names(module: ModuleType) -> list[str]:
    """``module.__all__``, or the public names the module itself defines, in source order."""
    names = getattr(module, "__all__", None)
    if names is not None:
        return list(names)
    return [name for name, obj in vars(module).items()
            if not name.startswith("_") and getattr(obj, "__module__", None) == module.__name__]


def kind_of(obj: Any) -> str:
    if inspect.ismodule(obj):
        return "module"
    if inspect.isclass(obj):
        return "exception" if issubclass(obj, BaseException) else "class"
    if callable(obj):
        return "function"
    return "data"


class _Source:
    """An annotation shown as the source text it was written as (``Tensor``, not ``'Tensor'``)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


def signature(obj: Any, *, drop_self: bool = False, drop_return: bool = False) -> str:
    """The call signature as text: annotations as written, no ``self``, no memory addresses."""
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return ""
    empty = inspect.Signature.empty

    def show(annotation: Any) -> Any:
        return _Source(annotation) if isinstance(annotation, str) else annotation

    params = [p.replace(annotation=show(p.annotation)) for p in sig.parameters.values()]
    if drop_self and params and params[0].name in ("self", "cls"):
        params = params[1:]
    ret = empty if drop_return else show(sig.return_annotation)
    text = str(sig.replace(parameters=params, return_annotation=ret))
    return re.sub(r" at 0x[0-9a-fA-F]+", "", text)


def own_doc(obj: Any) -> str | None:
    """The object's own docstring (not one inherited from a base class), cleaned up."""
    doc = obj.__doc__ if isinstance(getattr(obj, "__doc__", None), str) else None
    if inspect.isclass(obj) and doc is not None and doc == getattr(type, "__doc__", None):
        return None
    return inspect.cleandoc(doc) if doc and doc.strip() else None


def docstring_to_markdown(doc: str) -> str:
    """Fence ``>>>`` examples as ``pycon`` and ``::`` literal blocks as ``text``."""
    lines = doc.splitlines()
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.lstrip().startswith(">>>"):
            block = []
            while i < len(lines) and lines[i].strip():
                block.append(lines[i])
                i += 1
            indent = min(len(b) - len(b.lstrip()) for b in block)
            out += ["```pycon", *[b[indent:] for b in block], "```"]
            continue
        if line.rstrip().endswith("::"):
            stripped = line.rstrip()
            intro = stripped[:-3] if stripped.endswith(" ::") else stripped[:-1]  # "Example::" -> "Example:"
            if intro.strip():
                out.append(intro)
            i += 1
            block = []
            while i < len(lines) and (not lines[i].strip() or lines[i][:1] in (" ", "\t")):
                block.append(lines[i])
                i += 1
            while block and not block[0].strip():
                block.pop(0)
            while block and not block[-1].strip():
                block.pop()
            if block:
                indent = min(len(b) - len(b.lstrip()) for b in block if b.strip())
                out += ["", "```text", *[b[indent:] if b.strip() else "" for b in block], "```", ""]
            continue
        out.append(line)
        i += 1
    text = "\n".join(out)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def members(cls: type) -> list[tuple[str, Any]]:
    """Public methods and properties defined in ``cls`` itself, in definition order, then those it
    inherits from our own base classes (``Tensor`` from ``TensorMethods``)."""
    found: list[tuple[str, Any]] = []
    own = [cls, *(c for c in cls.__mro__ if c.__module__ == "tinygrad_softmax.tensor_methods")]
    for klass in own:
        for name, value in vars(klass).items():
            if name.startswith("_") or any(name == seen for seen, _ in found):
                continue
            if isinstance(value, (staticmethod, classmethod)):
                value = value.__func__
            if isinstance(value, property) or inspect.isfunction(value):
                found.append((name, value))
    return found


def render_object(qualname: str, obj: Any, level: int) -> list[str]:
    kind = kind_of(obj)
    heading = "#" * level
    if kind == "module":
        link = f"[`{obj.__name__}`](#{anchor(obj.__name__)})"
        return [f"{heading} `{qualname}`", "", f"Module: see {link}.", ""]
    sig = signature(obj, drop_return=inspect.isclass(obj)) if kind != "data" else ""
    short = qualname.rsplit(".", 1)[-1]
    lines = [f"{heading} `{qualname}`", "", f"*{kind}*" + (f" `{short}{sig}`" if sig else ""), ""]
    if kind == "data":
        lines += ["```text", _shorten(repr(obj)), "```", ""]
        return lines
    doc = own_doc(obj)
    lines += [docstring_to_markdown(doc) if doc else "*(no docstring)*", ""]
    if inspect.isclass(obj):
        for name, member in members(obj):
            target = member.fget if isinstance(member, property) else member
            label = "property" if isinstance(member, property) else "method"
            msig = "" if isinstance(member, property) else signature(member, drop_self=True)
            mdoc = own_doc(target) if target is not None else None
            lines += [f"- **`{name}{msig}`** ({label})" + (":" if mdoc else "")]
            if mdoc:
                lines += ["", _indent(docstring_to_markdown(mdoc)), ""]
        lines.append("")
    return lines


def _indent(text: str) -> str:
    return "\n".join(("  " + line) if line.strip() else "" for line in text.splitlines())


def _shorten(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def anchor(module_name: str) -> str:
    """GitHub's heading anchor for ``## `module_name` ``."""
    return re.sub(r"[^a-z0-9_\- ]", "", module_name.lower()).replace(" ", "-")


def render_ops() -> list[str]:
    """``tinygrad_softmax.ops``: one row per op (a ``Function`` subclass), its forward and derivative
    as its docstring states them."""
    ops = importlib.import_module(f"{PACKAGE}.ops")
    function = importlib.import_module(f"{PACKAGE}.tensor").Function
    out = [f"## `{ops.__name__}`", "",
           "The primitive ops, each a `Function` with its forward and backward side by side; the Tensor",
           "methods and functions above call them. The derivative is the docstring's.", "",
           "| op | forward and derivative |", "|---|---|"]
    for name, obj in vars(ops).items():
        if inspect.isclass(obj) and issubclass(obj, function) and obj is not function \
                and obj.__module__ == ops.__name__:
            doc = own_doc(obj) or "*(no docstring)*"
            paragraphs = [" ".join(p.split()) for p in doc.split("\n\n")]  # each on one line
            shown = paragraphs[:1]
            derivative = re.compile(r"backward|gradient|derivative", re.I)
            if not derivative.search(shown[0]):  # add the paragraph that states the derivative
                shown += [p for p in paragraphs[1:] if derivative.search(p)][:1]
            cell = " ".join(shown).replace("|", "\\|")  # a literal bar inside a table cell
            out.append(f"| `{name}` | {cell} |")
    return out + [""]


def render() -> str:
    package = importlib.import_module(PACKAGE)
    modules = [package] + [importlib.import_module(f"{PACKAGE}.{name}") for name in SUBMODULES]
    out = ["# API reference", "",
           f"<!-- Generated from the docstrings by `{REGENERATE}`; do not edit by hand. -->", "",
           "Every public name of the package, with its signature and docstring. Examples written as",
           "`>>>` sessions run as doctests in the test suite.", "", "Modules:", ""]
    out += [f"- [`{m.__name__}`](#{anchor(m.__name__)})" for m in modules]
    out += [f"- [`{PACKAGE}.ops`](#{anchor(PACKAGE + '.ops')}): the primitive ops and their derivatives", ""]
    for module in modules:
        out += [f"## `{module.__name__}`", ""]
        doc = own_doc(module)
        if doc:
            out += [docstring_to_markdown(doc), ""]
        for name in public_names(module):
            out += render_object(f"{module.__name__}.{name}", getattr(module, name), 3)
    out += render_ops()
    text = "\n".join(out)
    return re.sub(r"\n{3,}", "\n\n", text).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if docs/api.md is out of date")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        if not OUTPUT.exists() or OUTPUT.read_text(encoding="utf-8") != text:
            print(f"{OUTPUT.relative_to(ROOT)} is out of date; regenerate it with: {REGENERATE}",
                  file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
