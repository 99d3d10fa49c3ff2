"""A pass's book-keeping without a crawl: the PassBook the local pass and the cluster coordinator
both hold, fed captures by hand, on a real SQLite file; and the pass outcome's table."""
from __future__ import annotations

from collections import Counter

import pytest

from remarkwatch.config import load_config
from remarkwatch.crawler.items import NETWORK_ERROR, OK, Capture, Extracted
from remarkwatch.errors import PassFailed
from remarkwatch.passes.book import PassBook, PassResult, outcome_of
from remarkwatch.storage import runs
from remarkwatch.storage import schedule as schedule_store
from remarkwatch.storage.db import open_db
from tests.conftest import write_config

NOW = "2026-11-27T12:00:00+00:00"


@pytest.mark.parametrize("failed, fatal, interrupted, crawled, expected", [
    ([], False, False, 2, "ok"),
    (["a"], False, False, 2, "partial"),
    (["a", "b"], False, False, 2, "failed"),
    ([], True, False, 2, "failed"),
    (["a"], False, True, 2, "interrupted"),
    ([], True, True, 2, "failed"),
])
def test_outcome_of(failed, fatal, interrupted, crawled, expected):
    result = PassResult(1, failed_sources=list(failed))
    assert outcome_of(result, fatal=fatal, interrupted=interrupted, crawled=crawled) == expected


def capture(number: int, outcome: str = OK) -> Capture:
    url = f"http://127.0.0.1:9/releases/{number}/"
    return Capture(source="replica", url=url, final_url=url, status=200 if outcome == OK else None,
                   fetched_at=NOW, outcome=outcome, error=None if outcome == OK else "refused",
                   fields=Extracted(title=f"Release {number}", body_text=f"Paragraph {number}.", post_id=str(number))
                   if outcome == OK else None)


@pytest.fixture
def book(tmp_path):
    config = load_config(write_config(tmp_path, "http://127.0.0.1:9"))
    book = PassBook(config, open_db(config.db_path), config.sources, clock=lambda: NOW)
    yield book
    book.close()


@pytest.mark.parametrize("outcomes, counts, failing, source_outcome", [
    ([OK, OK, OK], {"pages": 3, "new": 3}, False, "ok"),
    ([OK, NETWORK_ERROR], {"pages": 2, "new": 1, "failed": 1}, False, "ok"),
    ([NETWORK_ERROR, NETWORK_ERROR], {"pages": 2, "failed": 2}, True, "failed"),
])
def test_a_pass_recorded_by_hand(book, outcomes, counts, failing, source_outcome):
    result = book.open()
    source = book.sources[0]
    known, skip, checked, since, baseline = book.start_source(source)
    assert (known, skip, checked, since, baseline) == ([], frozenset(), {}, None, True)
    handlers = book.handlers(source)
    handlers["on_listing"](True)
    for number, outcome in enumerate(outcomes):
        book.sink(source, capture(number, outcome), handlers["on_problem"]).result()
    book.source_done(source)
    outcome = "failed" if source.name in result.failed_sources else "ok"
    assert outcome == source_outcome
    book.end_source(source, outcome)
    done = book.finish(outcome_of(result, fatal=False, interrupted=False, crawled=1))
    assert done is result and +Counter(result.counts) == counts
    row = runs.recent(book.db, limit=1)[0]
    assert row["id"] == result.run_id
    assert row["outcome"] == done.outcome and {k: row[k] for k in counts} == counts
    assert len(result.problems) == outcomes.count(NETWORK_ERROR)
    state = schedule_store.source_state(book.db, source.name)
    assert state["last_outcome"] == source_outcome and bool(state.get("baseline_done_at")) is not failing


def test_a_capture_written_elsewhere_is_counted_here(book):
    result = book.open()
    source = book.sources[0]
    book.start_source(source)
    problem = book.handlers(source)["on_problem"]
    book.written_elsewhere(source, capture(1), "new", None, problem)
    assert result.counts["pages"] == 1 and result.kinds["new"] == 1 and result.sources[source.name]["ok"] == 1
    book.written_elsewhere(source, capture(2), None, "disk I/O error", problem)
    assert str(book.fatal) == "disk I/O error" and "database error while recording" in result.problems[-1]
    book.written_elsewhere(source, capture(3), "new", None, problem)      # after a fatal error: ignored
    assert result.counts["pages"] == 1
    with pytest.raises(PassFailed, match="cannot write to the database: disk I/O error"):
        book.finish("failed")
