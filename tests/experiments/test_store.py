"""The result file: a header, one line per row, a torn last line cut off on reopening."""

import pytest

from bcdnet.experiments import ROW_COLUMNS, ResultStore


def _row(i):
    return {"id": f"id{i}", "status": "ok", "test_r2": 0.5 + i / 10, "error": "",
            "history": '{"a":[1,2]}', "config": '{"x":"a, b"}'}


def test_rows_round_trip_with_commas_quotes_and_line_breaks(tmp_path):
    path = tmp_path / "r.csv"
    with ResultStore(path) as store:
        store.append(_row(0))
        store.append({**_row(1), "error": "ValueError: two\nlines"})
    rows = ResultStore(path).rows()
    assert [r["id"] for r in rows] == ["id0", "id1"]
    assert rows[0]["config"] == '{"x":"a, b"}' and rows[0]["history"] == '{"a":[1,2]}'
    assert float(rows[1]["test_r2"]) == 0.6
    assert rows[1]["error"] == "ValueError: two lines"
    assert path.read_text().splitlines()[0] == ",".join(ROW_COLUMNS)
    assert len(path.read_text().splitlines()) == 3


def test_torn_last_line_is_ignored_then_removed(tmp_path):
    path = tmp_path / "r.csv"
    with ResultStore(path) as store:
        store.append(_row(0))
    whole = path.read_bytes()
    path.write_bytes(whole + "id1,ok,,0.1.0,abc,R²".encode()[:-1])   # killed mid-character
    assert [r["id"] for r in ResultStore(path).rows()] == ["id0"]
    with ResultStore(path) as store:
        assert path.read_bytes() == whole
        store.append(_row(2))
    assert [r["id"] for r in ResultStore(path).rows()] == ["id0", "id2"]


def test_refuses_a_file_that_is_not_a_result_file(tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match="not a sweep result file"):
        ResultStore(path).open()
    assert path.read_text() == "a,b\n1,2\n"
