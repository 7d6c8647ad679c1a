"""The downloader, tested offline: a local HTTP server on 127.0.0.1, and file:// URLs."""

import dataclasses
import functools
import hashlib
import http.server
import io
import socket
import threading
import zipfile

import numpy as np
import pytest
from uci_samples import steel_bytes, steel_rows

from bcdnet.datasets import ChecksumError, DataNotFoundError, RemoteFile, fetch_file, load_steel
from bcdnet.datasets import download as download_module
from bcdnet.datasets import uci

CONTENT = b"a,b\r\n1,2\r\n3,4\r\n"
SHA256 = hashlib.sha256(CONTENT).hexdigest()


def make_zip(members):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def server(tmp_path):
    """Serve ``tmp_path / "www"`` on 127.0.0.1; yields a function ``(name, bytes) -> url``."""
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(QuietHandler, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()

    def publish(name, data):
        (root / name).write_bytes(data)
        return f"http://127.0.0.1:{httpd.server_address[1]}/{name}"

    yield publish
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


@pytest.fixture
def home(tmp_path):
    path = tmp_path / "data"
    path.mkdir()
    return path


def remote(url, member="pkg/table.csv", sha256=SHA256):
    return RemoteFile(name="sub/table.csv", url=url, member=member, sha256=sha256)


def contents(folder):
    """Every file and folder under ``folder``, hidden ones included."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_download_verifies_and_extracts_the_member(server, home):
    url = server("archive.zip", make_zip({"pkg/table.csv": CONTENT, "pkg/readme.txt": b"hi"}))
    path = fetch_file(remote(url), home)
    assert path == home / "sub" / "table.csv" and path.read_bytes() == CONTENT
    assert contents(home) == ["sub", "sub/table.csv"]
    assert fetch_file(remote("http://127.0.0.1:9/never-asked"), home) == path   # present: no fetch


def test_member_is_found_by_base_name_inside_a_top_folder(server, home):
    url = server("archive.zip", make_zip({"Top Folder/table.csv": CONTENT}))
    assert fetch_file(remote(url, member="table.csv"), home).read_bytes() == CONTENT


def test_file_url_and_an_unzipped_file(tmp_path, home):
    source = tmp_path / "table.csv"
    source.write_bytes(CONTENT)
    path = fetch_file(remote(source.as_uri(), member=None), home)
    assert path.read_bytes() == CONTENT
    archive = tmp_path / "a.zip"
    archive.write_bytes(make_zip({"table.csv": CONTENT}))
    path.unlink()
    assert fetch_file(remote(archive.as_uri()), home).read_bytes() == CONTENT


def test_corrupted_download_is_rejected_and_not_left_behind(server, home):
    url = server("archive.zip", make_zip({"pkg/table.csv": CONTENT[:-3] + b"99\n"}))
    with pytest.raises(ChecksumError, match=rf"sub/table.csv downloaded from {url}: expected "
                                            rf"sha256 {SHA256}, got [0-9a-f]{{64}}; the corrupted"):
        fetch_file(remote(url), home)
    assert contents(home) == []


def test_archive_without_the_member_explains_how_to_get_the_file(server, home):
    url = server("ccpp.zip", make_zip({"CCPP/Folds5x2_pp.xlsx": b"xlsx", "CCPP/Readme.txt": b""}))
    ccpp = dataclasses.replace(uci.REMOTE_FILES["ccpp"], url=url)
    with pytest.raises(DataNotFoundError, match=r"holds no Folds5x2_pp.csv \(it holds: "
                                                r"CCPP/Folds5x2_pp.xlsx, CCPP/Readme.txt\).*FIRST "
                                                rf"sheet.*put it at {home}/ccpp/Folds5x2_pp.csv"):
        fetch_file(ccpp, home)
    assert contents(home) == []


def test_a_download_that_is_not_a_zip(server, home):
    url = server("page.html", b"<html>maintenance</html>")
    with pytest.raises(DataNotFoundError, match="is not a valid zip archive"):
        fetch_file(remote(url), home)
    assert contents(home) == []


def test_offline_names_the_file_and_where_to_put_it(server, home):
    with socket.socket() as probe:          # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    for url in (f"http://127.0.0.1:{port}/archive.zip", server("x", b"") + "-missing"):
        with pytest.raises(DataNotFoundError, match=rf"could not download {url} .*Obtain "
                                                    rf"table.csv by hand .*put it at "
                                                    rf"{home}/sub/table.csv"):
            fetch_file(remote(url, sha256=SHA256), home, timeout=5)
        assert contents(home) == []


def test_a_failure_while_writing_leaves_nothing_half_written(server, home, monkeypatch):
    (home / "sub").mkdir()
    (home / "sub" / "other.csv").write_bytes(b"kept")
    url = server("archive.zip", make_zip({"pkg/table.csv": CONTENT * 1000}))

    def copy_then_fail(source, out, *args):
        out.write(source.read(100))
        raise OSError("disk full")

    monkeypatch.setattr(download_module.shutil, "copyfileobj", copy_then_fail)
    with pytest.raises(DataNotFoundError, match="disk full"):
        fetch_file(remote(url), home)
    assert contents(home) == ["sub", "sub/other.csv"]


def test_an_existing_file_with_a_wrong_checksum_is_not_replaced(home):
    (home / "sub").mkdir()
    (home / "sub" / "table.csv").write_bytes(b"edited by hand")
    with pytest.raises(ChecksumError, match=r"table.csv: expected sha256 .* pass verify=False"):
        fetch_file(remote("http://127.0.0.1:9/never-asked"), home)
    path = fetch_file(remote("http://127.0.0.1:9/never-asked"), home, verify=False)
    assert path.read_bytes() == b"edited by hand"


def test_download_disabled(home):
    with pytest.raises(DataNotFoundError, match="download_if_missing is False"):
        fetch_file(remote("http://127.0.0.1:9/never-asked"), home, download_if_missing=False)
    assert contents(home) == []


def test_load_steel_downloads_through_the_registry(server, home, monkeypatch):
    data = steel_bytes(steel_rows(n_days=3))
    url = server("steel.zip", make_zip({"Steel_industry_data.csv": data}))
    entry = dataclasses.replace(uci.REMOTE_FILES["steel"], url=url,
                                sha256=hashlib.sha256(data).hexdigest())
    monkeypatch.setitem(uci.REMOTE_FILES, "steel", entry)
    loaded = load_steel(home)
    assert loaded.X.shape == (288, 15)
    np.testing.assert_array_equal(loaded.y.iloc[:, 0], np.arange(1, 289))
    assert (home / "siec" / "Steel_industry_data.csv").read_bytes() == data
    assert contents(home) == ["siec", "siec/Steel_industry_data.csv"]


def test_remote_file_checks_its_checksum_and_has_a_repr():
    with pytest.raises(ValueError, match="sha256 must be 64 hex digits"):
        RemoteFile("a.csv", "http://x", None, "abc")
    entry = RemoteFile("a.csv", "http://x", None, SHA256.upper())
    assert entry.sha256 == SHA256 and repr(entry).startswith("RemoteFile(name='a.csv'")
    with pytest.raises(TypeError, match="remote must be a RemoteFile"):
        fetch_file("a.csv")
