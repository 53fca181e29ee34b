"""The ``tinygrad-softmax`` commands, apart from the library: ``cli`` (the dispatcher), ``demo``,
``bench``, ``gradcheck`` and ``explore``. Each exposes ``main(argv) -> int``. The library never
imports this package (``tests/test_architecture.py`` checks it)."""
