"""``python -m benchmarks.speedup``: serial and parallel sweeps of one grid, both timed."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import speedup  # noqa: E402

TINY = {"base": {"dataset": "cstr", "max_train_rows": 200, "hidden": [5, 5],
                 "optimizer_options": {"max_iter": 3}, "trainer": {"max_iter": 2}},
        "axes": {"selector": ["random", "forward"], "split": [0, 1]}}


def test_speedup_times_both_and_checks_the_rows(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(speedup, "grid", lambda b: TINY)
    assert speedup.main(["--quick", "--out-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "serial" in out and "2 workers" in out and "rows identical: True" in out
    text = (tmp_path / "sweep-speedup.md").read_text(encoding="utf-8")
    assert "| 1 |" in text and "| 2 |" in text and "Ratio parallel / serial" in text
    assert "python -m benchmarks.speedup --n-jobs 2 --quick" in text
    assert "Rows identical apart from the timing columns: yes" in text
