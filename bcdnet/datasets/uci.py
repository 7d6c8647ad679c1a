"""Loaders for the two UCI datasets of Paper B: the power plant (CCPP) and the steel plant (SIEC).

Both read plain CSV files from the data directory (see :func:`get_data_home`), verify their
SHA-256 against the reference copies listed in ``datasets/README.md``, and return a
:class:`Dataset` with unit-labelled columns.  Nothing is cached between calls.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ._base import Dataset
from .download import RemoteFile, fetch_file

__all__ = ["load_ccpp", "load_steel", "REMOTE_FILES", "STEEL_FEATURES"]

REMOTE_FILES = {
    "ccpp": RemoteFile(
        name="ccpp/Folds5x2_pp.csv",
        url="https://archive.ics.uci.edu/static/public/294/combined+cycle+power+plant.zip",
        member="Folds5x2_pp.csv",
        sha256="2f8b2a73ec72f066865fa630019d8e63e2687be4c3ad0b0a6c0eeb44a398fb82",
        instructions=(
            "the UCI archive ships this dataset only as CCPP/Folds5x2_pp.xlsx and .ods; save the "
            "FIRST sheet of Folds5x2_pp.xlsx as CSV with the header AT,V,AP,RH,PE (its checksum "
            "will differ from the reference copy's, so load it with verify=False), or copy "
            "Folds5x2_pp.csv from a mirror"
        ),
    ),
    "steel": RemoteFile(
        name="siec/Steel_industry_data.csv",
        url="https://archive.ics.uci.edu/static/public/851/steel+industry+energy+consumption.zip",
        member="Steel_industry_data.csv",
        sha256="7202b058121e0e7d50b5fe3c379b636f92757b3fc143046bc59936f1d6eca8d6",
        instructions=(
            "download the zip from https://archive.ics.uci.edu/dataset/851 and extract "
            "Steel_industry_data.csv"
        ),
    ),
}
"""Where each file lives in the data directory, where to download it, and its SHA-256."""

_CCPP_INPUTS = {"AT": "AT [°C]", "V": "V [cm Hg]", "AP": "AP [mbar]", "RH": "RH [%]"}
_CCPP_TARGET = "PE [MW]"

_CCPP_DESCRIPTION = """\
Combined Cycle Power Plant (UCI id 294): 9,568 hourly averages, 2006-2011, at full load.

Inputs (X):
  AT [°C]     ambient temperature
  V [cm Hg]   exhaust vacuum
  AP [mbar]   ambient pressure
  RH [%]      relative humidity
Target (y):
  PE [MW]     net hourly electrical energy output.  The UCI documentation names it PE; the
              common CSV names it EP.  Either header is accepted; bcdnet calls it PE.

Rows are in file order (the CSV is one of the five shuffles UCI provides).
Source: https://archive.ics.uci.edu/dataset/294/combined+cycle+power+plant (CC BY 4.0).
Cite: P. Tüfekci, "Prediction of full load electrical power output of a base load operated
combined cycle power plant using machine learning methods", Int. J. Electrical Power &
Energy Systems 60 (2014) 126-140."""

_STEEL_NUMERIC = {
    "Lagging_Current_Reactive_Power_kVarh": "Lagging_Current_Reactive_Power [kVarh]",
    "Leading_Current_Reactive_Power_kVarh": "Leading_Current_Reactive_Power [kVarh]",
    "CO2(tCO2)": "CO2 [tCO2]",
    "Lagging_Current_Power_Factor": "Lagging_Current_Power_Factor [%]",
    "Leading_Current_Power_Factor": "Leading_Current_Power_Factor [%]",
    "NSM": "NSM [s]",
}
# Categorical columns: (levels in order; the first is the reference level and gets no column).
_STEEL_CATEGORIES = {
    "WeekStatus": ("Weekday", "Weekend"),
    "Day_of_week": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "Load_Type": ("Light_Load", "Medium_Load", "Maximum_Load"),
}
_STEEL_TARGET = ("Usage_kWh", "Usage [kWh]")
_STEEL_ALIASES = {"Lagging_Current_Reactive.Power_kVarh": "Lagging_Current_Reactive_Power_kVarh"}

STEEL_FEATURES = tuple(_STEEL_NUMERIC.values()) + tuple(
    f"{column}={level} [0/1]"
    for column, levels in _STEEL_CATEGORIES.items() for level in levels[1:]
)
"""The 15 input columns of :func:`load_steel`: 6 numeric and 9 indicator (dummy) columns."""

_STEEL_DESCRIPTION = """\
Steel Industry Energy Consumption (UCI id 851): DAEWOO Steel, Gwangyang, 2018, 35,040 rows
at 15-minute resolution.

Target (y):
  Usage [kWh]   energy used in the 15-minute interval (CSV column Usage_kWh)
Inputs (X), 15 columns:
  6 numeric columns as in the CSV: lagging and leading current reactive power [kVarh],
    CO2 [tCO2], lagging and leading current power factor [%], NSM [s] (seconds since midnight);
  9 indicator (0/1) columns from dummy coding of the 3 categorical columns, the first level
    of each being the reference that gets no column (bcdnet's choice):
    WeekStatus=Weekend (reference Weekday), Day_of_week=Tuesday ... Sunday (reference
    Monday), Load_Type=Medium_Load and Load_Type=Maximum_Load (reference Light_Load).
  Paper B reports "fifteen features" without the encoding; 6 + 1 + 6 + 2 = 15 is the count
  that dummy coding gives.  WeekStatus is implied by Day_of_week (Saturday and Sunday are
  the weekend); it is kept to match the count.

Time (the index, named "time"): the CSV's day-first "dd/mm/yyyy HH:MM" timestamps mark the
end of each interval, and every day's "00:00" row is stored after its 23:45 row with the same
date.  Those rows are the interval ending at midnight (24:00): their Usage is continuous
with 23:45 of the same date, not with 00:15.  bcdnet dates them to the next day's 00:00,
which puts all 35,040 rows, in file order, on a regular 15-minute grid from 2018-01-01 00:15
to 2019-01-01 00:00.  The last CSV row ("31/12/2018 00:00") is therefore 2019-01-01 00:00.
The rows are then sorted by this time (which leaves the reference file unchanged).  NSM,
Day_of_week and WeekStatus are kept as in the CSV (NSM = 0 on those rows).

Source: https://archive.ics.uci.edu/dataset/851/steel+industry+energy+consumption (CC BY 4.0).
Cite: V. E. Sathishkumar, C. Shin, Y. Cho, "Efficient energy consumption prediction model for
a data analytic-enabled industry building in a smart city", Building Research & Information
49(1) (2021) 127-143."""


# Checked reading: missing columns are named, and so is the first bad cell of a column.


def _where(path: Path, position: int) -> str:
    """Describe data row ``position`` (0-based) of ``path`` for a reader opening the file."""
    return f"data row {position + 1} (line {position + 2} of {path.name})"


def _read_table(path, required, aliases=None) -> pd.DataFrame:
    """Read a comma-separated file with a header line, checking that columns are present.

    A UTF-8 byte-order mark and Windows (CRLF) line endings are accepted; header names are
    stripped of surrounding spaces.

    Parameters
    ----------
    path : str or os.PathLike
        The file.
    required : sequence of str
        Column names that must be present.
    aliases : dict of str to str, optional
        Other spellings of column names, mapped to the names used in ``required``.

    Returns
    -------
    DataFrame
        The file as read, with the aliases renamed.

    Raises
    ------
    ValueError
        If columns are missing; the message names them and the columns found.
    """
    path = Path(path)
    # keep_default_na=False: a cell such as "n/a" or "NaN" is reported as a bad value, not
    # silently read as missing.
    frame = pd.read_csv(path, encoding="utf-8-sig", skipinitialspace=True,
                        keep_default_na=False)
    frame.columns = [str(column).strip() for column in frame.columns]
    if aliases:
        frame = frame.rename(columns={a: n for a, n in aliases.items() if a in frame.columns})
    missing = [name for name in required if name not in frame.columns]
    if missing:
        raise ValueError(
            f"{path} lacks the column(s) {missing}; found {list(frame.columns)}"
        )
    if len(frame) == 0:
        raise ValueError(f"{path} has a header but no data rows")
    return frame


def _numeric_column(frame: pd.DataFrame, column: str, path) -> np.ndarray:
    """Return ``frame[column]`` as finite float64 values, or name the first bad row.

    Raises
    ------
    ValueError
        If a cell is empty, not a number, or not finite.
    """
    path = Path(path)
    raw = frame[column]
    if pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw):
        values = raw.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        first = int(bad[0])
        cell = raw.iloc[first]
        shown = "an empty cell" if pd.isna(cell) or str(cell).strip() == "" else f"{cell!r}"
        raise ValueError(
            f"column {column!r} of {path} must hold numbers, but {_where(path, first)} holds "
            f"{shown} ({bad.size} bad cell(s) in all)"
        )
    return values


def _category_column(frame: pd.DataFrame, column: str, levels, path) -> np.ndarray:
    """Return ``frame[column]`` as an object array of strings, all among ``levels``.

    Raises
    ------
    ValueError
        If a cell is empty or not one of ``levels``; the message lists the valid ones.
    """
    path = Path(path)
    values = frame[column].astype(object).to_numpy()
    known = pd.Series(values).isin(list(levels)).to_numpy()
    if not known.all():
        first = int(np.flatnonzero(~known)[0])
        raise ValueError(
            f"column {column!r} of {path}: {_where(path, first)} holds {values[first]!r}; "
            f"valid values are {list(levels)}"
        )
    return values


def _datetime_column(frame: pd.DataFrame, column: str, fmt: str, path) -> pd.DatetimeIndex:
    """Parse ``frame[column]`` with the explicit format ``fmt``, or name the first bad row.

    Raises
    ------
    ValueError
        If a cell is empty or does not match ``fmt``.
    """
    path = Path(path)
    parsed = pd.to_datetime(frame[column], format=fmt, errors="coerce")
    bad = np.flatnonzero(parsed.isna().to_numpy())
    if bad.size:
        first = int(bad[0])
        raise ValueError(
            f"column {column!r} of {path}: {_where(path, first)} holds "
            f"{frame[column].iloc[first]!r}, which does not match the format {fmt!r}"
        )
    return pd.DatetimeIndex(parsed)


def load_ccpp(data_home=None, download_if_missing: bool = True, verify: bool = True) -> Dataset:
    """Load the UCI Combined Cycle Power Plant data: 9,568 rows, 4 inputs, 1 target.

    Parameters
    ----------
    data_home : str or os.PathLike, optional
        The data directory holding ``ccpp/Folds5x2_pp.csv``; else ``BCDNET_DATA``, else the
        project's ``datasets/`` folder.
    download_if_missing : bool, default True
        Try the UCI archive when the file is missing.  UCI ships this dataset only as
        spreadsheets, so the attempt ends in an error that explains how to make the CSV.
    verify : bool, default True
        Check the file's SHA-256 against the reference copy.

    Returns
    -------
    Dataset
        ``X`` of shape (9568, 4) with columns ``"AT [°C]"``, ``"V [cm Hg]"``, ``"AP [mbar]"``,
        ``"RH [%]"``; ``y`` of shape (9568, 1) with column ``"PE [MW]"`` (the CSV's ``EP``
        or ``PE``).

    Raises
    ------
    FileNotFoundError
        If the data directory does not exist, or the file is missing and cannot be obtained
        (``DataNotFoundError``, whose message says where to put it).
    ChecksumError
        If ``verify`` and the SHA-256 differs; the message gives both values.
    ValueError
        If a column is missing (named) or a cell is not a number (column and row named).
    """
    path = fetch_file(REMOTE_FILES["ccpp"], data_home, download_if_missing, verify)
    frame = _read_table(path, list(_CCPP_INPUTS))
    targets = [name for name in ("PE", "EP") if name in frame.columns]
    if len(targets) != 1:
        found = "both PE and EP" if targets else "neither PE nor EP"
        raise ValueError(f"{path} must have one target column, PE or EP; found {found}")
    X = pd.DataFrame({label: _numeric_column(frame, column, path)
                      for column, label in _CCPP_INPUTS.items()})
    y = pd.DataFrame({_CCPP_TARGET: _numeric_column(frame, targets[0], path)})
    return Dataset(X, y, name="ccpp", description=_CCPP_DESCRIPTION)


def _steel_times(frame: pd.DataFrame, path) -> pd.DatetimeIndex:
    """Interval-end times: the CSV's timestamps with each "00:00" moved to the next day."""
    stamps = _datetime_column(frame, "date", "%d/%m/%Y %H:%M", path)
    at_midnight = (stamps.hour == 0) & (stamps.minute == 0)
    return pd.DatetimeIndex(stamps + pd.to_timedelta(at_midnight.astype(np.int64), unit="D"),
                            name="time")


def load_steel(data_home=None, download_if_missing: bool = True, verify: bool = True) -> Dataset:
    """Load the UCI Steel Industry Energy Consumption data: 35,040 rows, 15 inputs, 1 target.

    Parameters
    ----------
    data_home : str or os.PathLike, optional
        The data directory holding ``siec/Steel_industry_data.csv``; else ``BCDNET_DATA``,
        else the project's ``datasets/`` folder.
    download_if_missing : bool, default True
        Download the UCI zip and extract the CSV when the file is missing.
    verify : bool, default True
        Check the file's SHA-256 against the reference copy (downloads are always checked).

    Returns
    -------
    Dataset
        ``X`` of shape (35040, 15) with the columns in :data:`STEEL_FEATURES`; ``y`` of shape
        (35040, 1) with column ``"Usage [kWh]"``; indexed by the end time of each
        15-minute interval, sorted.  ``description`` documents the encoding and the
        timestamp correction.

    Raises
    ------
    FileNotFoundError
        If the data directory does not exist, or the file is missing and cannot be obtained
        (``DataNotFoundError``, whose message says where to put it).
    ChecksumError
        If ``verify`` and the SHA-256 differs; the message gives both values.
    ValueError
        If a column is missing (named), a numeric cell is not a number, a date does not
        match ``dd/mm/yyyy HH:MM``, or a category is unknown (column and row named).
    """
    path = fetch_file(REMOTE_FILES["steel"], data_home, download_if_missing, verify)
    required = ["date", _STEEL_TARGET[0], *_STEEL_NUMERIC, *_STEEL_CATEGORIES]
    frame = _read_table(path, required, aliases=_STEEL_ALIASES)
    columns = {label: _numeric_column(frame, column, path)
               for column, label in _STEEL_NUMERIC.items()}
    for column, levels in _STEEL_CATEGORIES.items():
        values = _category_column(frame, column, levels, path)
        for level in levels[1:]:
            columns[f"{column}={level} [0/1]"] = (values == level).astype(np.float64)
    target = _numeric_column(frame, _STEEL_TARGET[0], path)

    times = _steel_times(frame, path)
    order = np.argsort(times.to_numpy(), kind="stable")
    X = pd.DataFrame(columns, index=times).iloc[order]
    y = pd.DataFrame({_STEEL_TARGET[1]: target}, index=times).iloc[order]
    return Dataset(X, y, name="steel", description=_STEEL_DESCRIPTION)
