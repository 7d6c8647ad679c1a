"""The one file container of bcdnet: an uncompressed ``.npz`` of numeric arrays plus a JSON header.

Models (:mod:`bcdnet.io`) and checkpoints (:mod:`bcdnet.checkpoint`) are both such files:
the arrays under their own names, and ``header``, UTF-8 JSON stored as a 1-D ``uint8``
array, which holds ``{"format": ..., "format_version": ..., ...}``.

.. code-block:: python

    write(path, "bcdnet-model", 1, {"kind": "network", ...}, {"params": p, "scales": s})
    with Container(path, "bcdnet-model", 1) as box:
        header = box.header                      # parsed and checked JSON
        box.expect_members({"params", "scales"}) # exactly these, or a Refusal
        shape, dtype = box.declared("params")    # from the .npy header, no data read
        params = box.read("params")

Reading trusts nothing and is bounded: the file must be a regular file (a FIFO or a device
is refused without being opened for reading, so nothing blocks); the zip directory may hold
at most :data:`MAX_MEMBERS` entries, each stored uncompressed (a DEFLATE member, the stuff
of decompression bombs, is refused), each name once; a member's ``.npy`` header is read
before any of its data, its dtype must be allowed (never an object array: nothing is
unpickled) and its declared size must equal the member's size in the zip directory, whose
members together cannot exceed the file's own size.  So reading a file allocates at most
about its size in arrays, whatever the file claims.  Every problem raises :class:`Refusal`
(a ``ValueError``); callers add the file's name.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import stat
import struct
import zipfile

import numpy as np

from ._atomic import atomic_write

__all__ = ["write", "Container", "Refusal", "MAX_MEMBERS"]

MAX_MEMBERS = 100_000
"""The most zip entries a container may list (each costs memory to parse)."""

_CHUNK = 1 << 20
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")


class Refusal(ValueError):
    """What is wrong with a container file (the caller adds the file's name)."""


# ---------------------------------------------------------------------- write
def write(path, fmt: str, version: int, header: dict, arrays: dict, allow_nan=False) -> None:
    """Write ``arrays`` and ``{"format": fmt, "format_version": version, **header}`` to
    ``path`` atomically (:func:`bcdnet._atomic.atomic_write`).

    ``allow_nan`` lets the JSON hold ``NaN`` and ``Infinity`` (checkpoints record NaN
    losses); model headers never do.
    """
    body = {"format": fmt, "format_version": version, **header}
    text = json.dumps(body, allow_nan=allow_nan)
    members = {**arrays, "header": np.frombuffer(text.encode("utf-8"), dtype=np.uint8)}
    atomic_write(path, lambda fh: np.savez(fh, **members))


# ---------------------------------------------------------------------- read
class Container:
    """A container file opened for checked, bounded reading (a context manager).

    Parameters
    ----------
    path : str or os.PathLike
    fmt : str
        The ``format`` the header must name.
    version : int
        The ``format_version`` the header must hold.

    Attributes
    ----------
    header : dict
        The parsed JSON header.
    names : list of str
        The member names (without ``.npy``), in the file's order.
    """

    def __init__(self, path, fmt: str, version: int):
        self.path = os.fspath(path)
        self._fh = _open_regular(self.path)
        try:
            self._zip = _open_zip(self._fh)
            self.names = _member_names(self._zip)
            self._budget = os.fstat(self._fh.fileno()).st_size
            if "header" not in self.names:
                raise Refusal(f"it has no 'header', so it is not a bcdnet file (arrays: "
                              f"{sorted(self.names)})")
            self.header = _parse_header(self.read("header", dtypes=None), fmt, version)
        except BaseException:
            self._fh.close()
            raise

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        self._fh.close()

    def expect_members(self, expected, what: str) -> None:
        """Refuse the file unless its arrays (the header aside) are exactly ``expected``;
        ``what`` completes the message (``"a network file holds"``)."""
        arrays = set(self.names) - {"header"}
        if arrays != set(expected):
            raise Refusal(f"it holds the arrays {sorted(arrays)}; {what} "
                          f"{sorted(expected)}")

    def declared(self, name: str) -> tuple[tuple, np.dtype]:
        """The shape and dtype that member ``name``'s ``.npy`` header declares (no data read)."""
        info = self._info(name)
        with _corrupt_as_refusal(name), self._zip.open(info) as fp:
            shape, _, dtype, _ = _npy_header(fp, name)
        return shape, dtype

    def read(self, name: str, dtypes=("float32", "float64")) -> np.ndarray:
        """Member ``name`` as an array, after checking its header against its size.

        ``dtypes`` names the allowed dtypes (None: any plain numeric or unicode dtype).
        """
        info = self._info(name)
        with _corrupt_as_refusal(name):
            with self._zip.open(info) as fp:
                shape, fortran, dtype, nbytes = _npy_header(fp, name)
                if dtypes is not None and dtype.name not in dtypes:
                    raise Refusal(f"array {name!r} has dtype {dtype}, expected "
                                  f"{' or '.join(dtypes)}")
                if fp.tell() + nbytes != info.file_size:
                    raise Refusal(f"array {name!r} declares {nbytes} bytes of data, but its "
                                  f"member holds {info.file_size - fp.tell()}")
                if nbytes > self._budget:
                    raise Refusal(f"its arrays hold more bytes than the file itself "
                                  f"(overlapping members)")
                self._budget -= nbytes
                array = np.empty(shape[::-1] if fortran else shape, dtype=dtype)
                _read_into(fp, array, name)
        return array.T if fortran else array

    def _info(self, name: str) -> zipfile.ZipInfo:
        if name not in self.names:
            raise Refusal(f"it lacks the array {name!r}")
        return self._zip.getinfo(name + ".npy")


@contextlib.contextmanager
def _corrupt_as_refusal(name: str):
    """Report a damaged zip member (bad local header, CRC, encryption...) as a Refusal."""
    try:
        yield
    except (zipfile.BadZipFile, EOFError, OSError, RuntimeError, NotImplementedError,
            struct.error) as exc:
        raise Refusal(f"array {name!r} is truncated or corrupt "
                      f"({type(exc).__name__}: {str(exc)[:200]})") from exc


def _open_regular(path: str):
    """``path`` opened for binary reading, refused unless it is a non-empty regular file.

    Opened with ``O_NONBLOCK`` and checked with ``fstat`` before any read, so a FIFO or a
    device never blocks (and ``/proc`` files, which claim size 0, are refused as empty).
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise Refusal(f"it cannot be opened ({exc.strerror or exc})") from exc
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        what = ("a FIFO" if stat.S_ISFIFO(info.st_mode) else
                "a directory" if stat.S_ISDIR(info.st_mode) else "a device or socket")
        raise Refusal(f"it is {what}, not a regular file")
    if info.st_size == 0:
        os.close(fd)
        raise Refusal("the file is empty")
    if hasattr(os, "set_blocking"):
        os.set_blocking(fd, True)
    return os.fdopen(fd, "rb")


def _open_zip(fh) -> zipfile.ZipFile:
    """The zip directory of ``fh``, after checking the magic bytes and the entry count."""
    head = fh.read(4)
    if head not in _ZIP_MAGIC:
        what = ("is a Python pickle; bcdnet never unpickles files" if head[:1] == b"\x80"
                else f"is not an .npz archive (it starts {head!r})")
        raise Refusal(f"the file {what}")
    count = _entry_count(fh)
    if count > MAX_MEMBERS:
        raise Refusal(f"its zip directory lists {count} members; a bcdnet file holds at "
                      f"most {MAX_MEMBERS}")
    fh.seek(0)
    try:
        return zipfile.ZipFile(fh)
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, struct.error,
            NotImplementedError, RuntimeError) as exc:
        raise Refusal(f"the file is truncated or is not a complete .npz archive "
                      f"({type(exc).__name__}: {exc})") from exc


def _entry_count(fh) -> int:
    """The number of entries the end-of-central-directory record declares (zip64 too)."""
    size = fh.seek(0, os.SEEK_END)
    start = max(0, size - (22 + 65535))
    fh.seek(start)
    tail = fh.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) < at + 22:
        raise Refusal("the file is truncated or is not a complete .npz archive (no zip "
                      "directory)")
    count = struct.unpack("<H", tail[at + 10:at + 12])[0]
    if count == 0xFFFF and at >= 20 and tail[at - 20:at - 16] == b"PK\x06\x07":
        offset = struct.unpack("<Q", tail[at - 12:at - 4])[0]
        fh.seek(offset)
        record = fh.read(56)
        if len(record) == 56 and record[:4] == b"PK\x06\x06":
            count = struct.unpack("<Q", record[32:40])[0]
    return count


def _member_names(archive: zipfile.ZipFile) -> list[str]:
    """The ``.npy`` member names without suffix; refuse other, duplicate or compressed members."""
    names = []
    for info in archive.infolist():
        name = info.filename
        if not name.endswith(".npy") or info.is_dir():
            raise Refusal(f"it holds the member {name!r:.80}, which is not an .npy array")
        if name[:-4] in names:
            raise Refusal(f"it holds the member {name!r:.80} twice")
        if info.compress_type != zipfile.ZIP_STORED:
            raise Refusal(f"its member {name!r:.80} is compressed; bcdnet files are stored "
                          f"uncompressed (a compressed member could expand without bound)")
        if info.compress_size != info.file_size:
            raise Refusal(f"its member {name!r:.80} declares {info.file_size} bytes but "
                          f"stores {info.compress_size}")
        names.append(name[:-4])
    return names


def _npy_header(fp, name: str) -> tuple[tuple, bool, np.dtype, int]:
    """``(shape, fortran_order, dtype, nbytes)`` from the ``.npy`` header at ``fp``."""
    try:
        version = np.lib.format.read_magic(fp)
        reader = {(1, 0): np.lib.format.read_array_header_1_0,
                  (2, 0): np.lib.format.read_array_header_2_0}.get(version)
        if reader is None:
            raise ValueError(f".npy format version {version} is not supported")
        shape, fortran, dtype = reader(fp)
    except (ValueError, TypeError, SyntaxError, OverflowError, EOFError) as exc:
        if "allow_pickle" in str(exc) or "object" in str(exc).lower():
            raise Refusal(f"array {name!r} is a pickled object array; bcdnet never "
                          f"unpickles files") from exc
        raise Refusal(f"array {name!r} has an invalid .npy header ({exc})") from exc
    except (zipfile.BadZipFile, OSError) as exc:
        raise Refusal(f"array {name!r} is truncated or corrupt ({exc})") from exc
    if dtype.hasobject:
        raise Refusal(f"array {name!r} is a pickled object array; bcdnet never unpickles "
                      f"files")
    if dtype.fields is not None or dtype.subdtype is not None or dtype.kind not in "fiubU":
        raise Refusal(f"array {name!r} has dtype {dtype}, which is not a plain numeric type")
    if not all(isinstance(n, int) and n >= 0 for n in shape):
        raise Refusal(f"array {name!r} declares the shape {shape!r:.80}")
    return tuple(shape), bool(fortran), dtype, math.prod(shape) * dtype.itemsize


def _read_into(fp, array: np.ndarray, name: str) -> None:
    """Fill ``array`` from ``fp`` in chunks (no second copy of the data in memory)."""
    view = memoryview(array.reshape(-1).view(np.uint8)) if array.size else memoryview(b"")
    done = 0
    while done < len(view):
        n = fp.readinto(view[done:done + _CHUNK])
        if not n:
            raise Refusal(f"array {name!r} is truncated")
        done += n


def _parse_header(array: np.ndarray, fmt: str, version: int) -> dict:
    """The JSON object in the header array, checked to name ``fmt`` and ``version``."""
    if array.dtype == np.uint8 and array.ndim == 1:
        raw = array.tobytes()
    elif array.dtype.kind == "U" and array.ndim == 0:
        raw = str(array[()]).encode("utf-8")
    else:
        raise Refusal(f"its header must be a 1-D uint8 array of UTF-8 JSON, got dtype "
                      f"{array.dtype} and shape {array.shape}")
    try:
        header = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError) as exc:   # bad UTF-8, bad JSON, deep nesting
        raise Refusal(f"its header is not valid JSON ({str(exc)[:200]})") from exc
    if not isinstance(header, dict) or header.get("format") != fmt:
        raise Refusal(f"its header is not a JSON object with format {fmt!r}")
    found = header.get("format_version", "missing")
    if type(found) is not int:
        raise Refusal(f"header field 'format_version' must be a int, got {found!r:.80}")
    if found != version:
        raise Refusal(f"format_version {found} is not supported; this bcdnet reads "
                      f"format_version {version}")
    return header
