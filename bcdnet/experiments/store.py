"""The result file of a sweep: one CSV line per finished experiment, written at once.

Each row is appended as one line and made durable (``flush`` + ``os.fsync``) before the
next is written, so a sweep killed at any moment leaves every finished row on disk and at
most one torn last line, which :meth:`ResultStore.open` cuts off.  The columns are fixed
(:data:`~bcdnet.experiments.run.ROW_COLUMNS`); no field holds a line break.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

from .run import ROW_COLUMNS

__all__ = ["ResultStore"]


class ResultStore:
    """Rows of a sweep in ``path`` (a CSV file with a header line).

    Parameters
    ----------
    path : str or os.PathLike
        The CSV file; created with its header by :meth:`open` when missing.
    """

    def __init__(self, path):
        self.path = Path(path)
        self._handle = None

    def __repr__(self) -> str:
        return f"ResultStore({str(self.path)!r})"

    def _repair(self) -> None:
        """Cut a torn last line (bytes after the last line break), or write the header."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = self.path.read_bytes() if self.path.exists() else b""
        keep = data[:data.rfind(b"\n") + 1]
        header = (",".join(ROW_COLUMNS) + "\n").encode()
        if not keep.startswith(header):
            if keep.strip():
                raise ValueError(f"{self.path} is not a sweep result file (its first line is "
                                 f"not the header {','.join(ROW_COLUMNS)})")
            keep = header
        if keep != data:
            with open(self.path, "wb") as handle:
                handle.write(keep)
                handle.flush()
                os.fsync(handle.fileno())

    def rows(self) -> list[dict]:
        """Every complete row in the file, in file order (a torn last line is skipped)."""
        if not self.path.exists():
            return []
        data = self.path.read_bytes()
        text = data[:data.rfind(b"\n") + 1].decode("utf-8")   # a torn line may cut a character
        out = []
        for record in list(csv.reader(io.StringIO(text)))[1:]:
            if len(record) == len(ROW_COLUMNS):
                out.append(dict(zip(ROW_COLUMNS, record)))
        return out

    def open(self) -> "ResultStore":
        """Repair the file and open it for appending."""
        self._repair()
        self._handle = open(self.path, "a", encoding="utf-8", newline="")
        return self

    def append(self, row: dict) -> None:
        """Write ``row`` as one line and force it to disk."""
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerow(
            [_cell(row.get(k, "")) for k in ROW_COLUMNS])
        self._handle.write(buffer.getvalue())
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def __enter__(self):
        return self.open()

    def __exit__(self, *exc):
        self.close()


def _cell(value) -> str:
    """A field as text on one line: floats with full precision, None as empty."""
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return " ".join(str(value).splitlines())
