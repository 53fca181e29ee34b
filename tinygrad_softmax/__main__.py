"""``python -m tinygrad_softmax COMMAND``: the same as the ``tinygrad-softmax`` script."""

from .commands.cli import main

raise SystemExit(main())
