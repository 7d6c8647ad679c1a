"""The one atomic writer: whole files or none, unique temporaries, kept modes, no leftovers."""

import os
import signal
import stat
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

import bcdnet as bn
from bcdnet._atomic import atomic_write, remove_stale_temporaries


def temporaries(path):
    folder, name = os.path.split(path)
    return sorted(f for f in os.listdir(folder) if f.startswith(f".{name}.") and
                  f.endswith(".tmp"))


def dead_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_writes_text_bytes_and_callables(tmp_path):
    atomic_write(tmp_path / "a.txt", "héllo")
    atomic_write(tmp_path / "b.bin", b"\x00\x01")
    atomic_write(tmp_path / "c.bin", lambda fh: fh.write(b"xyz"))
    assert (tmp_path / "a.txt").read_text(encoding="utf-8") == "héllo"
    assert (tmp_path / "b.bin").read_bytes() == b"\x00\x01"
    assert (tmp_path / "c.bin").read_bytes() == b"xyz"
    assert not temporaries(str(tmp_path / "a.txt"))


def test_a_failing_writer_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "f.txt"
    atomic_write(path, "old")

    def fail(fh):
        fh.write(b"half")
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError, match="disk on fire"):
        atomic_write(path, fail)
    assert path.read_text() == "old" and not temporaries(str(path))


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_the_target_keeps_its_mode(tmp_path):
    path = tmp_path / "secret.npz"
    bn.save(bn.Network.mlp([2, 3, 1], seed=0), path)
    os.chmod(path, 0o600)
    bn.save(bn.Network.mlp([2, 3, 1], seed=1), path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    os.chmod(path, 0o640)
    atomic_write(path, b"x")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640


@pytest.mark.skipif(os.name != "posix", reason="pids and os.kill(pid, 0)")
def test_stale_temporaries_are_removed_but_never_a_live_writers(tmp_path):
    path = str(tmp_path / "model.npz")
    dead = os.path.join(tmp_path, f".model.npz.{dead_pid()}.abc123.tmp")
    live_child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        live = os.path.join(tmp_path, f".model.npz.{live_child.pid}.def456.tmp")
        mine = os.path.join(tmp_path, f".model.npz.{os.getpid()}.0a0b.tmp")
        other = os.path.join(tmp_path, f".other.npz.{dead_pid()}.abc.tmp")
        for f in (dead, live, mine, other):
            open(f, "wb").close()
        bn.save(bn.Network.mlp([2, 3, 1], seed=0), path)
        assert not os.path.exists(dead), "a dead writer's temporary was left"
        assert os.path.exists(live) and os.path.exists(mine), "a live writer's was removed"
        assert os.path.exists(other), "another file's temporary was touched"
    finally:
        live_child.kill()
        live_child.wait()
    assert remove_stale_temporaries(path) == [live]


def test_concurrent_writers_never_tear_a_file(tmp_path):
    path = tmp_path / "shared.txt"
    texts = [str(k) * 50_000 for k in range(4)]
    errors = []

    def writer(text):
        try:
            for _ in range(25):
                atomic_write(path, text)
        except Exception as exc:     # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(t,)) for t in texts]
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        if path.exists():
            assert path.read_text() in texts
    for t in threads:
        t.join()
    assert not errors and path.read_text() in texts and not temporaries(str(path))


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork and SIGKILL")
def test_twenty_saves_killed_at_random_points(tmp_path):
    """A child saves two networks in turn until it is SIGKILLed at a random moment; after
    each kill the file loads as one of them, and at most one temporary file exists (the
    next save removes the killed writer's); the target keeps its 0600 mode."""
    path = str(tmp_path / "model.npz")
    nets = [bn.Network.mlp([50, 400, 400, 1], seed=s) for s in (0, 1)]   # 1.3 MB each
    bn.save(nets[0], path)
    os.chmod(path, 0o600)
    rng = np.random.default_rng(0)
    left_behind = 0
    for _ in range(20):
        pid = os.fork()
        if pid == 0:                                  # the child: save until killed
            try:
                k = 0
                while True:
                    bn.save(nets[k % 2], path)
                    k += 1
            finally:
                os._exit(1)
        time.sleep(rng.uniform(0.02, 0.3))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        loaded = bn.load(path)
        assert any(np.array_equal(loaded.params, n.params) for n in nets)
        found = temporaries(path)
        assert len(found) <= 1, f"temporaries left: {found}"
        left_behind += len(found)
    assert left_behind > 0, "no kill landed during a write: the test proved nothing"
    bn.save(nets[1], path)
    assert temporaries(path) == []
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
