"""Where a result came from: the bcdnet version and the git commit of the code that ran."""

from __future__ import annotations

import functools
import subprocess
from pathlib import Path

__all__ = ["bcdnet_version", "git_commit"]


def bcdnet_version() -> str:
    """``bcdnet.__version__``."""
    import bcdnet

    return bcdnet.__version__


@functools.lru_cache(maxsize=None)
def git_commit(root=None) -> str:
    """The commit checked out at ``root`` (default: the checkout holding this bcdnet), with
    ``+dirty`` when tracked files differ from it; ``"unknown"`` outside a git checkout or
    without git.  Computed once per process."""
    root = Path(root) if root is not None else Path(__file__).resolve().parents[2]
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], check=True,
                              capture_output=True, text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain",
                                "--untracked-files=no"], check=True, capture_output=True,
                               text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return head + ("+dirty" if dirty else "") if head else "unknown"
