"""The one atomic file writer of bcdnet: a file is replaced whole, or not at all.

.. code-block:: python

    atomic_write("metrics.json", text)                       # str (UTF-8) or bytes
    atomic_write("model.npz", lambda fh: np.savez(fh, **a))  # or a function writing to fh

The data go to a temporary file in the target's folder, named
``.<name>.<pid>.<random>.tmp`` (unique: concurrent writers never share one), which is
flushed, ``fsync``'ed and renamed over the target with ``os.replace`` (atomic on POSIX and
Windows); the folder is then ``fsync``'ed so that the rename survives a power cut.  A reader
therefore sees the old file or the new one, never a torn one, and of two concurrent writers
the last rename wins with a complete file.

Kept: the target's permission bits (a ``0600`` file stays ``0600``); a new file gets
``0666`` less the umask, as ``open`` would give it.

Cleaned: a process killed while writing leaves its temporary file behind.  Each save to a
path first removes the temporaries of that path whose writer process no longer exists (the
pid in the name; ``os.kill(pid, 0)`` tells whether it lives).  A temporary of a live process
(this one included: another thread may be writing it) is never touched, and neither is one
whose pid was taken over by an unrelated process: it stays until that pid is free again.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets

__all__ = ["atomic_write"]


def atomic_write(path, data) -> None:
    """Write ``data`` to ``path`` atomically.

    Parameters
    ----------
    path : str or os.PathLike
        The target; its folder must exist.
    data : str, bytes or callable
        The new contents: text (written as UTF-8), bytes, or a function called with the
        temporary file opened for binary writing, which writes the contents to it.
    """
    path = os.path.abspath(os.fspath(path))
    directory, name = os.path.split(path)
    remove_stale_temporaries(path)
    try:
        mode = os.stat(path).st_mode & 0o7777
    except OSError:
        mode = None
    tmp = os.path.join(directory, f".{name}.{os.getpid()}.{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # 0o666 minus the umask
    try:
        with os.fdopen(fd, "wb") as fh:
            if mode is not None:
                os.fchmod(fh.fileno(), mode) if hasattr(os, "fchmod") else os.chmod(tmp, mode)
            if callable(data):
                data(fh)
            else:
                fh.write(data.encode("utf-8") if isinstance(data, str) else bytes(data))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_directory(directory)


def remove_stale_temporaries(path) -> list[str]:
    """Remove the temporary files of ``path`` left by writers that no longer run.

    Returns the removed paths.  Only names of the form ``.<name>.<pid>.<hex>.tmp`` whose pid
    is not a live process (and not this process) are removed.
    """
    directory, name = os.path.split(os.path.abspath(os.fspath(path)))
    pattern = re.compile(rf"\.{re.escape(name)}\.(\d+)\.[0-9a-f]+\.tmp")
    removed = []
    try:
        entries = os.listdir(directory)
    except OSError:
        return removed
    for entry in entries:
        match = pattern.fullmatch(entry)
        if match and not _alive(int(match.group(1))):
            with contextlib.suppress(OSError):
                os.unlink(os.path.join(directory, entry))
                removed.append(os.path.join(directory, entry))
    return removed


def _alive(pid: int) -> bool:
    """Whether a process ``pid`` exists (this process always does)."""
    if pid == os.getpid() or os.name == "nt":   # on Windows os.kill would end the process
        return True
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True                     # exists under another user, or cannot tell: keep
    return True


def _fsync_directory(directory: str) -> None:
    """Make a rename in ``directory`` durable (POSIX; a no-op where folders cannot be opened)."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
