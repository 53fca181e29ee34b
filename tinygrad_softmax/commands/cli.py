"""The ``tinygrad-softmax`` command (also ``python -m tinygrad_softmax``).

Each sub-command lives in its own module, which is imported only when that command runs and
exposes ``main(argv) -> int``.
"""

from __future__ import annotations

import importlib
import os
import sys

COMMANDS = {
    "demo": ("tinygrad_softmax.commands.demo", "reproduce the article: train, check gradients, plot"),
    "gradcheck": ("tinygrad_softmax.commands.gradcheck",
                  "gradient-check every built-in op and both cross-entropy paths"),
    "bench": ("tinygrad_softmax.commands.bench", "time the engine against hand-written NumPy"),
    "explore": ("tinygrad_softmax.commands.explore", "write an HTML page that steps through backward()"),
}

USAGE = "usage: tinygrad-softmax {" + ",".join(COMMANDS) + "} [options]\n\ncommands:\n" + "".join(
    f"  {name:<10} {help_}\n" for name, (_, help_) in COMMANDS.items()
) + "\nRun `tinygrad-softmax COMMAND --help` for the options of one command.\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    if not args or args[0] in ("-h", "--help"):
        print(USAGE, end="")
        return 0 if args else 2
    name, rest = args[0], args[1:]
    if name not in COMMANDS:
        print(f"tinygrad-softmax: unknown command {name!r}\n\n{USAGE}", end="", file=sys.stderr)
        return 2
    module = importlib.import_module(COMMANDS[name][0])
    try:
        code = int(module.main(rest) or 0)
        sys.stdout.flush()  # a closed pipe shows up here if the output was buffered
    except BrokenPipeError:
        # `tinygrad-softmax gradcheck --list | head`: the reader has gone, which is not an error of
        # ours. Point stdout at devnull so the interpreter's final flush does not raise again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    return code


if __name__ == "__main__":
    raise SystemExit(main())
