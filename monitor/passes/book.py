"""The book-keeping of one pass, wherever its pages are fetched (in this process or by the cluster's
workers): the runs row and its counts, each source's start, end and health, and the statistics the
summary is made of. Every archive write of it happens on one writer thread, one document per
transaction, so a reactor keeps fetching while a document is written."""
from __future__ import annotations

import sqlite3
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable, Iterable

from remarkwatch.clock import utcnow
from remarkwatch.config import Config, Source
from remarkwatch.core.recheck import SPREAD, parse_time, sweep_window
from remarkwatch.crawler.extract import FALLBACK_OUTCOMES
from remarkwatch.crawler.listings import DROPPED
from remarkwatch.crawler.items import (BLOCKED, EXTRACT_ERROR, HTTP_ERROR, NETWORK_ERROR, NOT_MODIFIED, OK, SAME_BYTES,
                                       TOO_LARGE, TRUNCATED, Capture)
from remarkwatch.errors import PassFailed
from remarkwatch.passes.progress import Progress
from remarkwatch.record.health import pass_failed, record_extraction_health, record_source_pass
from remarkwatch.record.ingest import RemovalPolicy
from remarkwatch.record.record import COUNT_KEYS, Rules, bucket, record
from remarkwatch.storage import runs
from remarkwatch.storage import schedule as schedule_store

# Article outcomes that say the source (not one page) is in trouble.
SOURCE_FAILURES = (BLOCKED, HTTP_ERROR, NETWORK_ERROR, TRUNCATED, EXTRACT_ERROR, TOO_LARGE)


@dataclass
class PassResult:
    run_id: int
    outcome: str = "running"
    counts: Counter = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0

    kinds: Counter = field(default_factory=Counter)
    sources: dict = field(default_factory=dict)    # source name -> Counter of listing/article outcomes
    failed_sources: list[str] = field(default_factory=list)   # no listing readable, or every fetch failed
    misses: dict = field(default_factory=dict)      # source -> Counter of what the profile missed
    examples: dict = field(default_factory=dict)    # source -> one page the profile missed
    pooled: int = 0            # pages judged in extraction worker processes (monitor.pool)
    workers: int = 0

    def summary(self) -> str:
        c = self.counts
        other = ", ".join(f"{n} {kind}" for kind, n in sorted(self.kinds.items())
                          if kind not in ("new", "edited", "unchanged", "failed"))
        return (f"run {self.run_id} ({self.outcome}): {c['pages']} pages fetched, {c['new']} new, "
                f"{c['edited']} edited, {c['unchanged']} unchanged, {c['failed']} failed"
                + (f" ({other})" if other else "") + f" in {self.seconds:.1f} s"
                + (f" ({self.pooled} extracted in {self.workers} worker process{'es' if self.workers > 1 else ''})"
                   if self.pooled else ""))


def outcome_of(result: PassResult, *, fatal: bool, interrupted: bool, crawled: int) -> str:
    """`failed` (the database failed, or no source could be read), `interrupted`, `partial` (some
    sources failed: no listing page readable, or every article fetch failed) or `ok`."""
    if fatal:
        return "failed"
    if interrupted:
        return "interrupted"
    if result.failed_sources:
        return "failed" if len(result.failed_sources) >= crawled else "partial"
    return "ok"


class PassBook:
    """One pass's records and statistics; the local pass and the cluster's coordinator each hold one."""

    def __init__(self, config: Config, db, sources: Iterable[Source], progress: Progress | None = None,
                 clock: Callable[[], str] = utcnow, full: bool = False):
        self.config, self.db, self.sources = config, db, list(sources)
        self.full = full      # re-check every document now, whatever its schedule
        self.progress = progress or Progress(enabled=False)
        self.clock = clock
        self.result: PassResult | None = None
        self.fatal: BaseException | None = None    # the database error that ends the pass
        self._channels: dict[str, tuple] = {}   # source name -> alert channels its changes go to
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="remarkwatch-writer")

    def write(self, func, *args) -> Future:
        """Run `func` on the pass's writer thread, after every write queued before it."""
        return self._writer.submit(func, *args)

    def close(self) -> None:
        self._writer.shutdown(wait=True)

    def open(self) -> PassResult:
        run_id = self.write(runs.start_run, self.db, [s.name for s in self.sources], self.clock()).result()
        self.result = PassResult(run_id)
        return self.result

    def start_source(self, source: Source) -> tuple[list[dict], frozenset, dict, str | None, bool]:
        """Record the source's start: see `_start_source`. A source's first complete pass is its
        baseline: every release is recorded as new, none alerted (also after a first pass that was
        killed half-way)."""
        known, skip, checked, since, baseline = self.write(self._start_source, source).result()
        self._channels[source.name] = () if baseline else self.config.change_routes()
        return known, skip, checked, since, baseline

    def source_done(self, source: Source) -> None:
        self.write(self._source_done, source, self.result).result()

    def end_source(self, source: Source, outcome: str) -> None:
        self.write(self._end_source, source, outcome).result()

    def finish(self, outcome: str) -> PassResult:
        """Record the run's end, queued behind every capture of the pass so the counts it writes
        are complete; PassFailed if the database failed during the pass."""
        self.result.outcome = outcome
        self.progress.finish()
        self.write(self._finish, self.result).result()
        if self.fatal is not None:
            raise PassFailed(f"{self.config.db_path}: cannot write to the database: {self.fatal}")
        return self.result

    def handlers(self, source: Source) -> dict:
        """The spider's callbacks for what is not a capture: problems, listings, signals."""
        result = self.result
        stats = result.sources.setdefault(source.name, Counter())

        def problem(message: str) -> None:
            result.problems.append(message)
            self.progress.problem(message)

        def listing(ok: bool) -> None:
            stats["listing_ok" if ok else "listing_failed"] += 1

        def signal(kind: str, url: str) -> None:
            result.kinds[f"via {kind}"] += 1

        return dict(on_problem=problem, on_listing=listing, on_signal=signal)

    def rules(self, source: Source) -> Rules:
        return Rules(site=source.profile.site, recheck=source.recheck, channels=self._channels.get(source.name, ()),
                     policy=RemovalPolicy(source.removed_after_passes, source.removed_after_hours))

    def sink(self, source: Source, capture: Capture, problem) -> Future:
        """Write one capture on the writer thread."""
        return self.write(self._sink, source, capture, self.result, problem)

    def written_elsewhere(self, source: Source, capture: Capture, kind: str | None, error: str | None,
                          problem) -> None:
        """A capture another process wrote (kind) or failed to write (error): count it here."""
        if self.fatal is not None:
            return
        if error is not None:
            self.fatal = sqlite3.OperationalError(error)
            problem(f"{source.name}: database error while recording {capture.url}: {error}")
            return
        result = self.result
        counts = Counter(result.counts)
        counts["pages"] += 1
        counts[bucket(kind)] += 1
        result.counts = counts
        result.kinds[kind] += 1
        self._account(source, capture, result, problem)

    # --- on the writer thread ---------------------------------------------------------------------

    def _start_source(self, source: Source) -> tuple[list[dict], frozenset, dict, str | None, bool]:
        """Record the source's start; return the documents to re-check (the due ones and the
        sweep's share since the last pass, or all of them when the pass is --full), the URLs of
        the others (which the listing must not fetch either), every document's last check, the
        previous start, and whether this pass is the source's baseline."""
        now = self.clock()
        state = schedule_store.source_state(self.db, source.name)
        if state.get("recheck_rule") != source.recheck.spec():
            # The rule changed (or was never recorded): every document's next check follows the new one.
            with self.db.atomic():
                schedule_store.reschedule(self.db, source.name, lambda first_seen, last_checked: source.recheck.next_check(
                    parse_time(first_seen), parse_time(last_checked or now)).isoformat(timespec="seconds"))
                schedule_store.save_source_state(self.db, source.name, recheck_rule=source.recheck.spec())
        sweep = sweep_window(parse_time(state.get("last_started_at")), parse_time(now), source.sweep_days)
        with self.db.atomic():
            fields = {"last_started_at": now, **({"last_sweep_at": now} if sweep or self.full else {})}
            schedule_store.save_source_state(self.db, source.name, **fields)
        due = schedule_store.due_documents(self.db, source.name, now, everything=self.full, sweep=sweep, spread=SPREAD)
        checked = schedule_store.last_checks(self.db, source.name)
        skip = set(checked) - {d["url"] for d in due}
        return due, frozenset(skip), checked, state.get("last_started_at"), not state.get("baseline_done_at")

    def _end_source(self, source: Source, outcome: str) -> None:
        with self.db.atomic():
            schedule_store.save_source_state(self.db, source.name, last_finished_at=self.clock(), last_outcome=outcome)

    def _source_done(self, source: Source, result: PassResult) -> None:
        stats = result.sources.get(source.name, Counter())
        problems = [p for p in result.problems if p.startswith(f"{source.name}: ")]
        failing = pass_failed(stats)
        if failing:
            result.failed_sources.append(source.name)
        else:
            with self.db.atomic():
                schedule_store.mark_baseline_done(self.db, source.name, self.clock(), result.run_id)
        event = record_source_pass(
            self.db, source.name, failing=failing, error=problems[-1] if problems else None,
            run_id=result.run_id, now=self.clock(), channels=self.config.alerts,
            after=self.config.source_failing_after)
        if event:
            result.kinds[event] += 1
        misses = result.misses.get(source.name, Counter())
        layout = record_extraction_health(
            self.db, source.name, stats, problem=misses.most_common(1)[0][0] if misses else None,
            example=result.examples.get(source.name), run_id=result.run_id, now=self.clock(),
            channels=self.config.alerts)
        if layout:
            result.kinds[layout] += 1

    def _finish(self, result: PassResult) -> None:
        runs.finish_run(self.db, result.run_id, self.clock(), result.outcome,
                        {**{k: result.counts[k] for k in COUNT_KEYS}, "outside_listings": result.kinds[DROPPED]},
                        str(self.fatal) if self.fatal else None)

    def _count(self, result: PassResult, kind: str) -> None:
        counts = Counter(result.counts)
        counts["pages"] += 1
        counts[bucket(kind)] += 1
        runs.count_run(self.db, result.run_id, {k: counts[k] for k in COUNT_KEYS})
        result.counts = counts           # only once the write went through
        result.kinds[kind] += 1

    def _sink(self, source: Source, capture: Capture, result: PassResult, problem) -> None:
        if self.fatal is not None:
            return
        try:
            # The run's counts are written in the capture's own transaction: a killed pass
            # still shows what it did.
            with self.db.atomic():
                kind = record(self.db, capture, self.rules(source), result.run_id, self.clock())
                self._count(result, kind)
        except sqlite3.Error as exc:
            self.fatal = exc
            problem(f"{source.name}: database error while recording {capture.url}: {exc}")
            return
        self._account(source, capture, result, problem)

    def _account(self, source: Source, capture: Capture, result: PassResult, problem) -> None:
        """A written capture in the pass's in-memory statistics (source health, extraction
        health, problems, progress)."""
        stats = result.sources[source.name]
        if capture.outcome in (NOT_MODIFIED, SAME_BYTES):
            stats["ok"] += 1      # the page answered: the source is readable
            return
        if capture.outcome == OK:
            stats["ok"] += 1
            stats["fallback" if capture.missed else "extracted"] += 1   # extraction health
        elif capture.outcome in FALLBACK_OUTCOMES:
            stats["missed"] += 1
        elif capture.outcome in SOURCE_FAILURES:
            stats["failed"] += 1
        if capture.missed or capture.outcome in FALLBACK_OUTCOMES:
            result.misses.setdefault(source.name, Counter())[capture.missed or capture.error or capture.outcome] += 1
            result.examples.setdefault(source.name, capture.final_url)
        if capture.outcome != OK:
            problem(f"{source.name}: {capture.url}: {capture.outcome} ({capture.error or 'no detail'})")
        self.progress.update(source.name, result.counts)
