"""The version of bcdnet, in a module of its own so that anything may import it without
importing the package (``bcdnet/__init__`` imports almost everything)."""

__version__ = "0.1.0"
