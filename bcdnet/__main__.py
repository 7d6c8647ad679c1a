"""``python -m bcdnet``: the command-line interface (see :mod:`bcdnet.cli`)."""

from .cli import main

raise SystemExit(main())
