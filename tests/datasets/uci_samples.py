"""Small synthetic files in the format of the UCI CSVs, for tests that need no real data."""

import datetime as dt
from pathlib import Path

STEEL_HEADER = (
    "date,Usage_kWh,Lagging_Current_Reactive_Power_kVarh,Leading_Current_Reactive_Power_kVarh,"
    "CO2(tCO2),Lagging_Current_Power_Factor,Leading_Current_Power_Factor,NSM,WeekStatus,"
    "Day_of_week,Load_Type"
)
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def steel_rows(n_days=2, start=dt.date(2018, 1, 1)):
    """Rows laid out as in the real file: each day runs 00:15 ... 23:45, then its own "00:00".

    Usage is the interval's position in time (1, 2, 3, ...), so a test can check the order.
    """
    rows, count = [], 0
    for d in range(n_days):
        day = start + dt.timedelta(days=d)
        name = _DAYS[day.weekday()]
        status = "Weekend" if day.weekday() >= 5 else "Weekday"
        for q in list(range(1, 96)) + [0]:
            count += 1
            stamp = f"{day:%d/%m/%Y} {q * 15 // 60:02d}:{q * 15 % 60:02d}"
            load = ("Light_Load", "Medium_Load", "Maximum_Load")[count % 3]
            rows.append(f"{stamp},{count},2.5,0,0,73.2,100,{q * 900},{status},{name},{load}")
    return rows


def steel_bytes(rows=None, header=STEEL_HEADER):
    """The CSV bytes with a UTF-8 byte-order mark and CRLF line endings, like the real file."""
    rows = steel_rows() if rows is None else rows
    return ("\ufeff" + "\r\n".join([header, *rows]) + "\r\n").encode("utf-8")


CCPP_ROWS = ("8.34,40.77,1010.84,90.01,480.48", "23.64,58.49,1011.4,74.2,445.75")


def ccpp_bytes(target="EP", rows=CCPP_ROWS):
    """A small CCPP-format CSV with CRLF line endings."""
    return ("\r\n".join([f"AT,V,AP,RH,{target}", *rows]) + "\r\n").encode("ascii")


def write_file(root, relative, data):
    """Write ``data`` to ``root / relative`` (making folders) and return ``root``."""
    path = Path(root) / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return Path(root)
