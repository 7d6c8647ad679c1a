"""Fetch a data file: download an archive, extract one member, verify it, write it atomically.

Only the standard library is used (``urllib``, ``zipfile``, ``hashlib``).  The archive and the
extracted member are written to hidden temporary files next to the destination and moved into
place with ``os.replace`` only after the member's SHA-256 matches.  Whatever fails (network,
a broken archive, a missing member, a wrong checksum) the temporary files are removed, and so
are any folders this module created, so the data directory is left as it was found.
"""

from __future__ import annotations

import hashlib
import http.client
import logging
import os
import shutil
import tempfile
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .._validation import check_positive
from .home import get_data_home

__all__ = ["RemoteFile", "ChecksumError", "DataNotFoundError", "sha256_of", "verify_checksum",
           "download", "fetch_file"]

logger = logging.getLogger(__name__)

_CHUNK = 1 << 20
_USER_AGENT = "bcdnet-datasets (Python urllib)"


class ChecksumError(ValueError):
    """A file's SHA-256 differs from the expected one."""


class DataNotFoundError(FileNotFoundError):
    """A data file is missing and could not be downloaded; the message says where to put it."""


@dataclass(frozen=True)
class RemoteFile:
    """A data file, where to find it online, and its checksum.

    Parameters
    ----------
    name : str
        Path of the file inside the data directory, with ``/`` separators,
        e.g. ``"siec/Steel_industry_data.csv"``.
    url : str
        Where to download from (``https://``, ``http://`` or ``file://``).
    member : str or None
        The file to extract from the zip archive at ``url``.  An exact member name is tried
        first, then a unique member with the same base name (archives often add a top folder).
        ``None`` means ``url`` is the file itself, not an archive.
    sha256 : str
        The expected SHA-256 of the file (not of the archive), as 64 hex digits.
    instructions : str, default ""
        How to obtain the file by hand; added to the error when it cannot be downloaded.
    """

    name: str
    url: str
    member: str | None
    sha256: str
    instructions: str = ""

    def __post_init__(self) -> None:
        digest = self.sha256.lower()
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise ValueError(f"sha256 must be 64 hex digits, got {self.sha256!r}")
        object.__setattr__(self, "sha256", digest)


def sha256_of(path) -> str:
    """Return the SHA-256 of the file at ``path`` as 64 lowercase hex digits."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_checksum(path, expected: str) -> None:
    """Raise ``ChecksumError`` naming the file, the expected and the actual SHA-256 on mismatch."""
    actual = sha256_of(path)
    if actual != expected.lower():
        raise ChecksumError(
            f"checksum mismatch for {path}: expected sha256 {expected.lower()}, got {actual}. "
            "The file is corrupted or a different version; delete it to download it again, "
            "or pass verify=False to use it anyway"
        )


def _missing_folders(folder: Path) -> list[Path]:
    """The ancestors of ``folder`` (itself included) that do not exist yet, deepest first."""
    missing = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    return missing


def _temporary_path(folder: Path, name: str, suffix: str) -> Path:
    """Create an empty hidden file next to the destination and return its path."""
    handle, path = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=suffix)
    os.close(handle)
    return Path(path)


def _find_member(archive: zipfile.ZipFile, member: str) -> str | None:
    """Return the archive's name for ``member``: an exact match, else a unique base-name match."""
    names = archive.namelist()
    if member in names:
        return member
    base = PurePosixPath(member).name
    matches = [n for n in names if PurePosixPath(n).name == base and not n.endswith("/")]
    return matches[0] if len(matches) == 1 else None


def _copy_hashing(source, path: Path) -> str:
    """Copy the stream ``source`` into ``path`` and return the SHA-256 of what was written."""
    digest = hashlib.sha256()
    with open(path, "wb") as out:
        for block in iter(lambda: source.read(_CHUNK), b""):
            digest.update(block)
            out.write(block)
    return digest.hexdigest()


def _fetch_url(url: str, path: Path, timeout: float) -> None:
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    with urllib.request.urlopen(request, timeout=timeout) as response, open(path, "wb") as out:
        shutil.copyfileobj(response, out, _CHUNK)


def _extract(remote: RemoteFile, archive_path: Path, part: Path) -> str:
    """Extract ``remote.member`` into ``part``; return its SHA-256."""
    try:
        archive = zipfile.ZipFile(archive_path)
    except zipfile.BadZipFile as exc:
        raise DataNotFoundError(
            f"the download from {remote.url} is not a valid zip archive"
        ) from exc
    with archive:
        name = _find_member(archive, remote.member)
        if name is None:
            listing = ", ".join(archive.namelist()) or "nothing"
            raise DataNotFoundError(
                f"the archive from {remote.url} holds no {remote.member} (it holds: {listing})"
            )
        with archive.open(name) as source:
            return _copy_hashing(source, part)


def download(remote: RemoteFile, data_home, timeout: float = 60.0) -> Path:
    """Download ``remote`` into the data directory, verify it and move it into place.

    Parameters
    ----------
    remote : RemoteFile
        What to fetch, from where, and its expected SHA-256.
    data_home : str or os.PathLike
        An existing data directory; missing sub-folders of ``remote.name`` are created.
    timeout : float, default 60.0
        Seconds to wait for the server before giving up.

    Returns
    -------
    Path
        ``data_home / remote.name``, complete and verified.

    Raises
    ------
    DataNotFoundError
        If the download fails or the archive lacks the member; the message says where to put
        the file by hand.
    ChecksumError
        If the file's SHA-256 differs from ``remote.sha256``.  Nothing is kept.
    """
    timeout = check_positive(timeout, "timeout")
    target = Path(data_home) / remote.name
    created = _missing_folders(target.parent)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporaries: list[Path] = []
    done = False
    try:
        logger.info("downloading %s from %s", remote.name, remote.url)
        fetched = _temporary_path(target.parent, target.name, ".download.part")
        temporaries.append(fetched)
        try:
            _fetch_url(remote.url, fetched, timeout)
        except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise DataNotFoundError(f"could not download {remote.url} ({reason})") from exc
        if remote.member is None:
            actual = sha256_of(fetched)
            part = fetched
        else:
            part = _temporary_path(target.parent, target.name, ".part")
            temporaries.append(part)
            actual = _extract(remote, fetched, part)
        if actual != remote.sha256:
            raise ChecksumError(
                f"checksum mismatch for {remote.name} downloaded from {remote.url}: expected "
                f"sha256 {remote.sha256}, got {actual}; the corrupted download was removed"
            )
        os.replace(part, target)
        done = True
    except DataNotFoundError as exc:
        raise DataNotFoundError(f"{exc}. {_where_to_put(remote, target)}") from exc.__cause__
    finally:
        for path in temporaries:
            path.unlink(missing_ok=True)
        if not done:
            for folder in created:
                try:
                    folder.rmdir()
                except OSError:  # not empty: someone else wrote there meanwhile
                    break
    return target


def _where_to_put(remote: RemoteFile, target: Path) -> str:
    how = remote.instructions or "see datasets/README.md in the bcdnet repository"
    return f"Obtain {PurePosixPath(remote.name).name} by hand ({how}) and put it at {target}"


def fetch_file(remote: RemoteFile, data_home=None, download_if_missing: bool = True,
               verify: bool = True, timeout: float = 60.0) -> Path:
    """Return the path of a data file, downloading it first if it is missing.

    Parameters
    ----------
    remote : RemoteFile
        The file's name in the data directory, its source and its checksum.
    data_home : str or os.PathLike, optional
        The data directory; see :func:`get_data_home` for the default.
    download_if_missing : bool, default True
        Download the file when it is not in the data directory.
    verify : bool, default True
        Check the SHA-256 of a file already present.  Downloads are always verified.
    timeout : float, default 60.0
        Seconds to wait for the server.

    Raises
    ------
    FileNotFoundError
        If the data directory does not exist.
    DataNotFoundError
        If the file is missing and cannot (or may not) be downloaded.
    ChecksumError
        If the file's SHA-256 is not ``remote.sha256``.
    """
    if not isinstance(remote, RemoteFile):
        raise TypeError(f"remote must be a RemoteFile, got {type(remote).__name__}")
    home = get_data_home(data_home)
    target = home / remote.name
    if target.is_file():
        if verify:
            verify_checksum(target, remote.sha256)
        return target
    if not download_if_missing:
        raise DataNotFoundError(
            f"{target} not found and download_if_missing is False. {_where_to_put(remote, target)}"
        )
    return download(remote, home, timeout=timeout)
