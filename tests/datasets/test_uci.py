"""The UCI loaders: the real files (through the ``data_dir`` fixture) and small synthetic ones."""

import hashlib
import time

import numpy as np
import pandas as pd
import pytest
from uci_samples import STEEL_HEADER, ccpp_bytes, steel_bytes, steel_rows, write_file

from bcdnet.datasets import (STEEL_FEATURES, ChecksumError, DataNotFoundError, get_data_home,
                             load_ccpp, load_steel)

CCPP_SHA256 = "2f8b2a73ec72f066865fa630019d8e63e2687be4c3ad0b0a6c0eeb44a398fb82"
STEEL_SHA256 = "7202b058121e0e7d50b5fe3c379b636f92757b3fc143046bc59936f1d6eca8d6"
CCPP = "ccpp/Folds5x2_pp.csv"
STEEL = "siec/Steel_industry_data.csv"


def unverified(loader, root):
    return loader(root, download_if_missing=False, verify=False)


# ----------------------------------------------------------------------------- real files

@pytest.mark.data
def test_reference_files_have_the_documented_checksums(data_dir):
    assert hashlib.sha256((data_dir / CCPP).read_bytes()).hexdigest() == CCPP_SHA256
    assert hashlib.sha256((data_dir / STEEL).read_bytes()).hexdigest() == STEEL_SHA256


@pytest.mark.data
def test_ccpp_has_9568_rows_four_inputs_and_the_target(data_dir):
    data = load_ccpp(data_dir, download_if_missing=False, verify=True)
    assert data.X.shape == (9568, 4) and data.y.shape == (9568, 1)
    assert data.feature_names == ["AT [°C]", "V [cm Hg]", "AP [mbar]", "RH [%]"]
    assert data.target_names == ["PE [MW]"]
    # Ranges published for the dataset (UCI's description of the dataset).
    frame = pd.concat([data.X, data.y], axis=1)
    np.testing.assert_allclose(frame.min(), [1.81, 25.36, 992.89, 25.56, 420.26])
    np.testing.assert_allclose(frame.max(), [37.11, 81.56, 1033.30, 100.16, 495.76])
    np.testing.assert_allclose(data.X.iloc[0], [8.34, 40.77, 1010.84, 90.01])   # first CSV row
    assert "Tüfekci" in data.description and "CC BY 4.0" in data.description


@pytest.mark.data
def test_ccpp_loads_well_under_a_second(data_dir):
    load_ccpp(data_dir)                                  # warm the imports
    start = time.perf_counter()
    load_ccpp(data_dir)
    assert time.perf_counter() - start < 0.5


@pytest.mark.data
def test_steel_has_35040_rows_and_the_15_documented_features(data_dir):
    data = load_steel(data_dir, download_if_missing=False, verify=True)
    assert data.X.shape == (35040, 15) and data.y.shape == (35040, 1)
    assert data.feature_names == list(STEEL_FEATURES)
    assert data.target_names == ["Usage [kWh]"]
    X = data.X
    indicators = X.filter(like="[0/1]")
    assert indicators.shape[1] == 9 and set(np.unique(indicators)) == {0.0, 1.0}
    days = X.filter(like="Day_of_week=")
    # 2018 has 53 Mondays (the reference level) and 52 of every other day, 96 rows each.
    np.testing.assert_array_equal(days.sum(), [52 * 96] * 6)
    np.testing.assert_array_equal(X["WeekStatus=Weekend [0/1]"],
                                  X["Day_of_week=Saturday [0/1]"] + X["Day_of_week=Sunday [0/1]"])


@pytest.mark.data
def test_steel_rows_are_on_a_regular_quarter_hour_grid(data_dir):
    data = load_steel(data_dir)
    times = data.X.index
    assert times[0] == pd.Timestamp("2018-01-01 00:15") and times[-1] == pd.Timestamp("2019-01-01")
    assert (np.diff(times.to_numpy()) == np.timedelta64(15, "m")).all()
    # The CSV's last row, "31/12/2018 00:00,3.67,...", is the interval ending at midnight.
    assert data.y.iloc[-1, 0] == 3.67
    assert data.X["Lagging_Current_Reactive_Power [kVarh]"].iloc[-1] == 3.02


# ----------------------------------------------------------------------- synthetic files

def test_steel_quirks_bom_crlf_day_first_dates_and_midnight_rows(tmp_path):
    root = write_file(tmp_path, STEEL, steel_bytes(steel_rows(n_days=2)))
    data = unverified(load_steel, root)
    assert data.X.shape == (192, 15)
    # Usage counts the rows in file order, which is time order once "00:00" means 24:00.
    np.testing.assert_array_equal(data.y.iloc[:, 0], np.arange(1, 193))
    assert data.X.index[95] == pd.Timestamp("2018-01-02 00:00")     # 01/01/2018 00:00 in the CSV
    assert data.X.index[96] == pd.Timestamp("2018-01-02 00:15")


def test_steel_rows_out_of_file_order_are_sorted_by_time(tmp_path):
    rows = steel_rows(n_days=2)
    shuffled = rows[100:] + rows[:100]
    data = unverified(load_steel, write_file(tmp_path, STEEL, steel_bytes(shuffled)))
    np.testing.assert_array_equal(data.y.iloc[:, 0], np.arange(1, 193))
    assert data.X.index.is_monotonic_increasing


def test_steel_dummy_coding(tmp_path):
    data = unverified(load_steel, write_file(tmp_path, STEEL, steel_bytes()))
    monday, tuesday = data.X.iloc[0], data.X.iloc[100]      # 1 and 2 January 2018
    assert monday.filter(like="Day_of_week=").sum() == 0     # Monday is the reference level
    assert tuesday["Day_of_week=Tuesday [0/1]"] == 1
    load = data.X[["Load_Type=Medium_Load [0/1]", "Load_Type=Maximum_Load [0/1]"]].to_numpy()
    count = np.arange(1, 193)
    np.testing.assert_array_equal(load[:, 0], count % 3 == 1)
    np.testing.assert_array_equal(load[:, 1], count % 3 == 2)


def test_ccpp_accepts_the_target_named_ep_or_pe(tmp_path):
    for target in ("EP", "PE"):
        root = write_file(tmp_path / target, CCPP, ccpp_bytes(target))
        data = unverified(load_ccpp, root)
        assert data.target_names == ["PE [MW]"]
        np.testing.assert_array_equal(data.y.iloc[:, 0], [480.48, 445.75])
    root = write_file(tmp_path / "none", CCPP, ccpp_bytes("Power"))
    with pytest.raises(ValueError, match="neither PE nor EP"):
        unverified(load_ccpp, root)


# ------------------------------------------------------------------------------ bad input

def test_missing_columns_are_named(tmp_path):
    header = STEEL_HEADER.replace(",NSM", ",Seconds").replace(",Load_Type", ",Kind")
    root = write_file(tmp_path, STEEL, steel_bytes(header=header))
    with pytest.raises(ValueError, match=r"lacks the column\(s\) \['NSM', 'Load_Type'\]"):
        unverified(load_steel, root)
    root = write_file(tmp_path / "c", CCPP, b"AT,V,RH,EP\r\n1,2,3,4\r\n")
    with pytest.raises(ValueError, match=r"lacks the column\(s\) \['AP'\]"):
        unverified(load_ccpp, root)


def test_non_numeric_values_name_the_column_and_the_first_bad_row(tmp_path):
    rows = ["1,2,3,4,5", "1,2,n/a,4,5", "1,2,x,4,5"]
    root = write_file(tmp_path, CCPP, ccpp_bytes(rows=rows))
    with pytest.raises(ValueError, match=r"column 'AP'.*data row 2 \(line 3 of Folds5x2_pp.csv\) "
                                         r"holds 'n/a' \(2 bad cell"):
        unverified(load_ccpp, root)
    root = write_file(tmp_path / "empty", CCPP, ccpp_bytes(rows=["1,2,3,4,5", "1,2,3,,5"]))
    with pytest.raises(ValueError, match=r"column 'RH'.*data row 2 .* holds an empty cell"):
        unverified(load_ccpp, root)


def test_bad_dates_and_unknown_categories_are_named(tmp_path):
    rows = steel_rows(n_days=1)
    rows[3] = rows[3].replace("01/01/2018 01:00", "2018-01-01 01:00")
    with pytest.raises(ValueError, match=r"'date'.*data row 4 .*'2018-01-01 01:00'.*%d/%m/%Y"):
        unverified(load_steel, write_file(tmp_path / "d", STEEL, steel_bytes(rows)))
    rows = steel_rows(n_days=1)
    rows[5] = rows[5].replace("Light_Load", "Idle")
    with pytest.raises(ValueError, match=r"'Load_Type'.*data row 6 .*'Idle'; valid values"):
        unverified(load_steel, write_file(tmp_path / "c", STEEL, steel_bytes(rows)))


def test_wrong_checksum_names_the_file_and_both_digests(tmp_path):
    data = ccpp_bytes()
    root = write_file(tmp_path, CCPP, data)
    actual = hashlib.sha256(data).hexdigest()
    with pytest.raises(ChecksumError, match=rf"Folds5x2_pp.csv: expected sha256 {CCPP_SHA256}, "
                                            rf"got {actual}"):
        load_ccpp(root, download_if_missing=False)
    assert len(load_ccpp(root, download_if_missing=False, verify=False)) == 2


def test_missing_file_without_download_says_where_to_put_it(tmp_path):
    with pytest.raises(DataNotFoundError, match=rf"put it at {tmp_path}/siec/Steel_industry"):
        load_steel(tmp_path, download_if_missing=False)
    assert list(tmp_path.iterdir()) == []


def test_data_directory_that_does_not_exist(tmp_path, monkeypatch):
    missing = tmp_path / "nowhere"
    with pytest.raises(FileNotFoundError, match=r"nowhere \(from the data_home argument\)"):
        load_ccpp(missing)
    monkeypatch.setenv("BCDNET_DATA", str(missing))
    with pytest.raises(FileNotFoundError, match="from the BCDNET_DATA environment variable"):
        get_data_home()
    assert not missing.exists()
    (tmp_path / "file").write_text("")
    with pytest.raises(NotADirectoryError, match="is not a directory"):
        get_data_home(tmp_path / "file")
    with pytest.raises(TypeError, match="data_home must be a path"):
        get_data_home(3)
    with pytest.raises(FileNotFoundError, match=r"~nosuchuser_bcdnet/x \(from the data_home "
                       r"argument\) must be a full path or start with '~' of an existing user"):
        get_data_home("~nosuchuser_bcdnet/x")           # Path.expanduser: RuntimeError


def test_data_home_precedence(tmp_path, monkeypatch):
    monkeypatch.setenv("BCDNET_DATA", str(tmp_path))
    assert get_data_home() == tmp_path
    (tmp_path / "sub").mkdir()
    assert get_data_home(tmp_path / "sub") == tmp_path / "sub"
    monkeypatch.delenv("BCDNET_DATA")
    with monkeypatch.context() as patch:
        patch.setattr("bcdnet.datasets.home.DEFAULT_DATA_HOME", tmp_path / "sub")
        assert get_data_home() == tmp_path / "sub"
