"""The raw path's own value writers store exactly what SQLAlchemy's processors store."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from engine.db import json_dumps
from engine.rawsql import _SQLITE_UTC_BIND, _sqlite_utc_text

MOMENTS = [
    datetime(2026, 3, 2, 8, 0, tzinfo=UTC),
    datetime(2026, 3, 2, 8, 0, 0, 1, tzinfo=UTC),
    datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh")),
    datetime(2026, 1, 1, 0, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh")),  # the day before in UTC
    datetime(2024, 3, 31, 2, 30, tzinfo=ZoneInfo("Europe/Paris")),  # a DST change
    datetime(999, 5, 6, 7, 8, 9, 10, tzinfo=timezone(timedelta(hours=-3))),  # a year of three digits
]


@pytest.mark.parametrize("moment", MOMENTS, ids=str)
def test_sqlite_datetime_text_is_sqlalchemys(moment: datetime) -> None:
    assert _sqlite_utc_text(moment) == _SQLITE_UTC_BIND(moment)


def test_sqlite_datetime_text_refuses_naive_and_passes_none() -> None:
    assert _sqlite_utc_text(None) is None
    with pytest.raises(ValueError, match="naive"):
        _sqlite_utc_text(datetime(2026, 3, 2, 8, 0))


@dataclass
class _Record:
    value: int


VALUES = [
    {"ket_qua": "dat", "so_tien": 1000, "ghi_chu": "Đồng ý <b>\"cấp\"</b>", "ok": True, "none": None},
    {"element": "Examine", "data": {"nested": [1, 2.5, "x", {"y": []}]}, "note": "", "timeliness": "on_time"},
    {1: "an integer key", "text": "\u0000 control \u2028 separators"},
    {"big": 2**70, "small": -(2**63)},  # beyond 64 bits: json.dumps writes it
    [], {}, "plain", 0,
]


@pytest.mark.parametrize("value", VALUES)
def test_json_text_reads_back_as_json_dumps_text_does(value: object) -> None:
    assert json.loads(json_dumps(value)) == json.loads(json.dumps(value))


@pytest.mark.parametrize("value", [{"at": datetime(2026, 3, 2, tzinfo=UTC)}, {"r": _Record(1)}, {"s": {1, 2}}])
def test_json_text_refuses_what_json_dumps_refuses(value: object) -> None:
    with pytest.raises(TypeError):
        json.dumps(value)
    with pytest.raises(TypeError):
        json_dumps(value)
