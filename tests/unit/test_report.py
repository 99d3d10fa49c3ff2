"""`remarkwatch report`: the research's questions answered from the archive, per source and year.
The pure summary over case tables, then an archive written through `record()` read back by the
command in process."""
from __future__ import annotations

import json

import pytest

from remarkwatch.history.report import parse_time, percentile, summarise
from remarkwatch.record.record import record
from remarkwatch.storage import runs
from remarkwatch.storage.db import open_db
from remarkwatch.storage.report import report_rows
from tests.conftest import invoke
from tests.unit.test_record import RULES, TIMES, _judged


def release(doc: int, published: str, source: str = "state") -> dict:
    return {"document_id": doc, "source": source, "published": published}


def edit(doc: int, after: str | None, before: str, *, kind="edited", silent=1, historical=0, classes='["wording"]'):
    return {"document_id": doc, "kind": kind, "silent": silent, "historical": historical, "classes": classes,
            "made_after": after, "made_before": before}


@pytest.mark.parametrize("text, expected", [
    ("2021-07-27", "2021-07-27T00:00:00+00:00"),
    ("2021-07-27T10:00:00Z", "2021-07-27T10:00:00+00:00"),
    ("2021-07-27T12:00:00+02:00", "2021-07-27T10:00:00+00:00"),
    ("July 27, 2021", None),
    (None, None),
])
def test_times_are_read_as_utc(text, expected):
    moment = parse_time(text)
    assert (moment.isoformat() if moment else None) == expected


@pytest.mark.parametrize("values, share, expected", [
    ([], 0.5, None), ([3.0], 0.9, 3.0), ([1, 2, 3], 0.5, 2), ([1, 2, 3, 4], 0.5, 2),
    (list(range(1, 11)), 0.9, 9), (list(range(1, 101)), 0.9, 90),
])
def test_nearest_rank_percentiles(values, share, expected):
    assert percentile(values, share) == expected


def test_one_year_of_one_source():
    """Four releases of 2021: one edited 2 h after publication (seen in a 2-hour window), one
    edited a month later and reverted (found in a web archive, captures 10 days apart), two never."""
    releases = [release(1, "2021-03-01T10:00:00+00:00"), release(2, "2021-05-01"), release(3, "2021-06-01"),
                release(4, "2021-09-09")]
    edits = [edit(1, "2021-03-01T11:00:00+00:00", "2021-03-01T13:00:00+00:00"),
             edit(2, "2021-05-21", "2021-06-10", silent=0, historical=1, classes='["number", "wording"]'),
             edit(2, "2021-06-10", "2021-06-20", kind="reverted", historical=1)]
    captures = [{"document_id": 2, "observed_at": day} for day in ("2021-05-21", "2021-05-31", "2021-06-10")]
    [row] = summarise(releases, edits, captures)
    assert row["source"] == "state" and row["year"] == "2021" and row["releases"] == 4
    assert (row["edited"], row["edited_share"], row["edits"], row["reverts"]) == (2, 0.5, 3, 1)
    assert row["first_edit_median_h"] == 2.0 and row["first_edit_p90_h"] == 30 * 24.0
    assert row["window_median_h"] == 240.0                     # 2 h, 20 d and 10 d windows
    assert row["silent_share"] == round(2 / 3, 4) and row["from_archive_share"] == round(2 / 3, 4)
    assert row["classes"] == {"wording": 3, "number": 1}
    assert row["archived_releases"] == 1 and row["capture_gap_median_days"] == 10.0


@pytest.mark.parametrize("since, until, years", [
    (None, None, ["2020", "2021", "2022"]),
    ("2021-01-01", None, ["2021", "2022"]),
    (None, "2021-12-31T23:59:59", ["2020", "2021"]),
    ("2023-01-01", None, []),
])
def test_rows_per_year_within_the_range(since, until, years):
    releases = [release(1, "2020-06-01"), release(2, "2021-06-01"), release(3, "2022-06-01"),
                release(4, "2021-06-01", source="whitehouse"), release(5, "not a date")]
    rows = summarise(releases, [], [], since=since, until=until)
    assert [r["year"] for r in rows if r["source"] == "state"] == years
    assert all(r["edited_share"] == 0 and r["first_edit_median_h"] is None for r in rows)


@pytest.fixture
def archive(tmp_path):
    """One release recorded live three times: first, edited, reverted."""
    db = open_db(tmp_path / "archive.db")
    run_id = runs.start_run(db, ["state"], TIMES[0])
    for i, now in enumerate(TIMES):
        record(db, _judged(i), RULES, run_id, now)
    config = tmp_path / "remarkwatch.toml"
    config.write_text('db = "archive.db"\n\n[[sources]]\nname = "state"\nprofile = "state.gov"\n'
                      'start_urls = ["https://www.state.gov/press-releases/"]\n', encoding="utf-8")
    return db, config


def test_the_archive_read_back_by_the_command(archive):
    db, config = archive
    releases, edits, captures = report_rows(db, "state")
    assert len(releases) == 1 and [e["kind"] for e in edits] == ["edited", "reverted"] and captures == []
    shown = invoke("report", "--config", config, "--json", check=True)
    [row] = json.loads(shown.stdout)
    assert (row["releases"], row["edited"], row["edits"], row["reverts"]) == (1, 1, 2, 1)
    assert row["from_archive_share"] == 0 and row["window_median_h"] is not None
    table = invoke("report", "--config", config, check=True).stdout
    assert "state" in table and "1 (100%)" in table
    assert invoke("report", "--config", config, "--source", "nope", check=True).stdout.strip() == \
        "no releases recorded in that range"


def test_the_chart_is_escaped_and_says_itself_in_words():
    from remarkwatch.web.chart import edit_chart

    rows = summarise([release(1, "2021-03-01"), release(2, "2022-03-01")],
                     [edit(1, "2021-03-01", "2021-03-02")], [])
    svg = str(edit_chart('<script>alert(1)</script>"', rows))
    assert "<script>" not in svg and "&lt;script&gt;" in svg and svg.count("<rect") == 4 + 2
    assert "2021: 100% of 1 releases edited, 100% of edits silent; 2022: 0% of 1 releases edited" in svg
