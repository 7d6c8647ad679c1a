"""Where the UCI data files live: an argument, else ``BCDNET_DATA``, else the project's folder."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["get_data_home", "DATA_ENV_VAR", "DEFAULT_DATA_HOME"]

DATA_ENV_VAR = "BCDNET_DATA"
"""Environment variable naming the data directory."""

DEFAULT_DATA_HOME = Path(__file__).resolve().parents[2] / "datasets"
"""The ``datasets/`` folder at the root of a source checkout (holds the README, not the data)."""


def get_data_home(data_home=None) -> Path:
    """Return the data directory, which must already exist.

    The directory is, in order of precedence:

    1. ``data_home``, when given;
    2. the environment variable ``BCDNET_DATA``, when set and not empty;
    3. ``datasets/`` at the root of the bcdnet source checkout.

    A leading ``~`` is expanded.  Inside it the loaders look for ``ccpp/Folds5x2_pp.csv`` and
    ``siec/Steel_industry_data.csv``.  The directory is never created here: a mistyped path
    should fail loudly rather than receive a download.

    Parameters
    ----------
    data_home : str or os.PathLike, optional
        An explicit directory.

    Returns
    -------
    Path
        The absolute directory.

    Raises
    ------
    TypeError
        If ``data_home`` is not a path.
    FileNotFoundError
        If the directory does not exist, or its ``~user`` names no known user; the message
        says where the path came from.
    NotADirectoryError
        If the path exists but is a file.
    """
    if data_home is not None:
        if not isinstance(data_home, (str, os.PathLike)):
            raise TypeError(
                f"data_home must be a path (str or os.PathLike), got {type(data_home).__name__}"
            )
        path, source = Path(data_home), "the data_home argument"
    elif os.environ.get(DATA_ENV_VAR):
        path, source = Path(os.environ[DATA_ENV_VAR]), f"the {DATA_ENV_VAR} environment variable"
    else:
        path, source = DEFAULT_DATA_HOME, "the default (the project's datasets/ folder)"
    try:
        path = path.expanduser().absolute()
    except RuntimeError as exc:             # '~nosuchuser', or '~' with no home directory
        raise FileNotFoundError(
            f"data directory {path} (from {source}) must be a full path or start with '~' "
            f"of an existing user; expanding it failed: {exc}"
        ) from exc
    if not path.exists():
        raise FileNotFoundError(
            f"data directory {path} (from {source}) does not exist; create it, or pass "
            f"data_home=... or set {DATA_ENV_VAR} to a folder holding the data files"
        )
    if not path.is_dir():
        raise NotADirectoryError(f"data directory {path} (from {source}) is not a directory")
    return path
