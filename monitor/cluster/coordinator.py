"""The clustered mode's coordinator and its archive writer.

A pass (`crawl`/`run` with a [cluster] config): the coordinator decides what is due exactly as a
single-machine pass does (listings, due re-checks with their validators, signals), publishes each
source's pass context, pushes the start requests into the shared frontier, and then writes the
archive from the capture stream: one transaction per capture (outbox rows in it), the stream
entry acknowledged only after the commit, and each capture's worker-given key stored with it so
an entry delivered twice is written once. The pass ends when the frontier is empty, every live
worker is idle and has taken nothing new for a while, and the stream is drained.

A worker killed mid-pass loses at most what it had taken: those documents were not checked, so
they stay due and the next pass asks for them again. A writer killed mid-pass leaves its read
but unacknowledged entries pending in the stream's consumer group; the next writer reads them
first. Redis restarted mid-pass (with its append-only file on): the writer keeps trying for
`worker_wait_s`, then the pass fails cleanly; the archive is written one transaction per capture.
A pass that ends without finishing (failed, interrupted) empties the frontier and withdraws its
pass id, so no worker fetches its requests outside a pass.

Everything published is signed with the cluster secret, and the writer records only entries that
pass `intake.accept` (signed, of a worker's form, on the source's hosts, within the size limit).
"""
from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
import uuid
from dataclasses import dataclass

from remarkwatch import __version__
from remarkwatch.cluster import intake
from remarkwatch.cluster.connection import cluster_signer, connect, live_workers
from remarkwatch.config import Config
from remarkwatch.crawler.cluster.frontier import DEAD_MAX, JsonPriorityQueue, Keys
from remarkwatch.crawler.cluster.signing import Signer
from remarkwatch.crawler.extract import EXTRACTOR_VERSION
from remarkwatch.crawler.listings import DROPPED
from remarkwatch.crawler.spiders.sitesignals import dropped_message
from remarkwatch.passes.autorecheck import site_since
from remarkwatch.passes.book import PassBook, PassResult, outcome_of
from remarkwatch.storage import captures

logger = logging.getLogger(__name__)
STABLE_S = 1.0           # the frontier empty and every worker idle for this long: the pass is done
READ_BATCH = 200
# What a malformed entry raises when it is read (JSON, base64, a missing or mistyped field); an
# archive error (SQLite, disk) is not among them and still stops the pass.
POISON = (ValueError, KeyError, TypeError, IndexError, AttributeError, UnicodeDecodeError)
AFTER_RESTART_S = 30.0
LOST = ("Redis restarted mid-pass: requests in its frontier may have been lost, so the pass is partial; "
        "the documents it did not check stay due")   # after Redis went away, a pass with no progress for worker_wait_s + this fails


def shared_config(config: Config, signer: Signer | None = None) -> dict:
    """What a worker must share with the coordinator, by config key: the version, the extractor,
    every profile and source it may be asked to read, and the cluster secret (as a digest that
    tells secrets apart without revealing them)."""
    sources = {s.name: {"profile": s.profile.name, "selectors": {k: list(v) for k, v in s.profile.selectors.items()},
                        "eras": [e.name for e in s.profile.eras], "start_urls": list(s.start_urls),
                        "allowed_domains": list(s.allowed_domains), "delay_s": s.delay_s,
                        "max_listing_pages": s.max_listing_pages}
               for s in config.sources}
    return {"remarkwatch": __version__, "extractor": EXTRACTOR_VERSION, "sources": sources,
            "cluster_secret": (signer or Signer(None)).fingerprint()}


def fingerprint(config: Config, signer: Signer | None = None) -> str:
    """The hash of `shared_config`: equal on a worker and its coordinator."""
    blob = json.dumps(shared_config(config, signer), sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


@dataclass
class _Seeder:
    """Builds the start requests of one source exactly as the single-machine spider does."""
    keys: Keys

    def requests(self, source, known, skip, checked, since, pass_id: str = "") -> list:
        from remarkwatch.crawler.spiders.remarks import RemarksSpider

        spider = RemarksSpider(source_name=source.name, start_urls=list(source.start_urls),
                               allowed_domains=list(source.allowed_domains), profile=source.profile,
                               max_listing_pages=source.max_listing_pages, known_urls=known, skip_urls=skip,
                               checked=checked, signals_since=since)

        async def collect():
            return [request async for request in spider.start()]

        found = asyncio.run(collect())
        for request in found:
            request.meta["rw_source"] = source.name
            request.meta["rw_delay"] = source.delay_s
            request.meta["rw_pass"] = pass_id
        return found


class _Encoder:
    """The frontier's queue, used only to push (its spider: any object with our callbacks)."""

    def __init__(self, redis, keys: Keys, signer: Signer):
        from remarkwatch.crawler.cluster.worker import ClusterSpider

        class _Names:
            name = ClusterSpider.name
        _Names.signer, _Names.keys = signer, keys
        self.queue = JsonPriorityQueue(redis, _Names(), keys.frontier)

    def push(self, request) -> None:
        self.queue.push(request)


class ClusterPass:
    """One pass run by the workers, written here. Same sources, contexts and records as the local
    CrawlPass (both keep them in a PassBook); no Scrapy in this process."""

    def __init__(self, config: Config, db, sources, progress=None, full: bool = False, redis=None,
                 signer: Signer | None = None):
        self.signer = signer or cluster_signer(config)
        self.book = PassBook(config, db, sources, progress, full=full)
        self.config, self.db, self.sources = config, db, self.book.sources
        self.redis = redis or connect(config)
        self.keys = Keys(config.cluster.key_prefix)
        self.stop_requested = False
        self.consumer = "writer"
        self.dead_letters = 0
        self._handlers: dict[str, dict] = {}
        self._by_name = {s.name: s for s in self.sources}
        self._all = {s.name: s for s in config.sources}
        self._dead_before = 0

    @property
    def result(self) -> PassResult | None:
        return self.book.result

    def run(self) -> PassResult:
        try:
            return self._cluster_pass()
        finally:
            self.book.close()

    def open(self) -> PassResult:
        """Start the run and join the stream's consumer group."""
        result = self.book.open()
        self._handlers = {s.name: self.book.handlers(s) for s in self.sources}
        self._ensure_group()
        return result

    def _cluster_pass(self) -> PassResult:
        started = time.monotonic()
        result = self.open()
        # Entries a killed writer had read but not written come first.
        self.drain(pending=True)
        self._seed(result.run_id)
        self.watch = _Stall(self.config.cluster.worker_wait_s + AFTER_RESTART_S)
        try:
            interrupted, failure = self._wait()
        finally:
            self._withdraw()
        lost = self.watch.restarted and not failure and not interrupted
        # The reason a pass failed comes last: the CLI repeats the last problem as its error.
        for problem in (self._dead_problem(), LOST if lost else None, failure):
            if problem:
                result.problems.append(problem)
                self.book.progress.problem(problem)
        book = self.book
        for source in self.sources:
            if failure is None and not interrupted and not lost and book.fatal is None:
                book.source_done(source)
            outcome = "interrupted" if interrupted else "failed" if (
                failure or book.fatal or source.name in result.failed_sources) else "partial" if lost else "ok"
            book.end_source(source, outcome)
        result.seconds = time.monotonic() - started
        outcome = "failed" if failure else outcome_of(
            result, fatal=book.fatal is not None, interrupted=interrupted, crawled=len(self.sources))
        return book.finish("partial" if lost and outcome == "ok" else outcome)

    def _seed(self, run_id: int) -> None:
        """Publish the pass (its id, the config's fingerprint, each source's context) and push
        every source's start requests into an emptied frontier."""
        from remarkwatch.crawler.cluster.worker import fold_signal

        self.redis.delete(self.keys.frontier, self.keys.frontier + ":turns", self.keys.dupefilter)
        # Dead letters added from here on, less the writer's own: what the workers refused.
        self._dead_before = self.redis.xlen(self.keys.dead) - self.dead_letters
        self.redis.set(self.keys.config, json.dumps({"fingerprint": fingerprint(self.config, self.signer),
                                                     "shared": shared_config(self.config, self.signer)}))
        pass_id = f"{run_id}-{uuid.uuid4().hex[:8]}"
        self.redis.set(self.keys.current_pass, pass_id)
        seeder, encoder = _Seeder(self.keys), _Encoder(self.redis, self.keys, self.signer)
        since_of, signals = site_since(self.book, self.db, self.sources), {}
        for source in self.sources:
            known, skip, checked, since, baseline = self.book.start_source(source)
            since = since and since_of.get(source.name, since)     # one query serves the site's sources
            self.redis.set(self.keys.context(source.name), self.signer.wrap(json.dumps(
                {"known": known, "skip": sorted(skip), "checked": checked, "since": since}).encode()))
            for request in seeder.requests(source, known, skip, checked, since, pass_id):
                # A site's signal is pushed once, after every source's start, naming each that needs it.
                if not fold_signal(request, source.name, signals):
                    encoder.push(request)
        for request in signals.values():
            encoder.push(request)

    def _withdraw(self) -> None:
        """The pass is over: what is left in the frontier (a failed or interrupted pass) is
        dropped and the pass id withdrawn, so no worker fetches it outside a pass; a worker
        also refuses any request of another pass than the current one."""
        import redis as redis_module

        try:
            self.redis.delete(self.keys.frontier, self.keys.frontier + ":turns", self.keys.current_pass)
        except redis_module.RedisError as exc:      # Redis away: the workers refuse them by their pass id
            logger.warning("could not empty the frontier after the pass: %s", exc)

    def _wait(self) -> tuple[bool, str | None]:
        """Write the stream until the pass is done: (interrupted, why it failed or None)."""
        import redis as redis_module

        quiet_since, seen, no_worker_since = None, None, time.monotonic()
        redis_down_since = None
        wait_s = self.config.cluster.worker_wait_s
        watch = self.watch
        while True:
            if self.stop_requested:
                return True, None
            try:
                got = self.drain(block_ms=200)
                workers = [w for w in live_workers(self.redis, self.keys) if not w.get("refusing")]
                frontier = self.redis.zcard(self.keys.frontier)
                watch.server(self.redis)
                redis_down_since = None
            except redis_module.RedisError as exc:
                redis_down_since = redis_down_since or time.monotonic()
                watch.outage()
                if time.monotonic() - redis_down_since > wait_s:
                    return False, f"Redis unreachable for {wait_s:.0f} s: {exc}"
                time.sleep(0.5)
                continue
            if self.book.fatal is not None:
                return False, None
            now = time.monotonic()
            if workers:
                no_worker_since = None
            elif no_worker_since is None:
                no_worker_since = now
            if no_worker_since is not None and now - no_worker_since > wait_s:
                return False, (f"no live `remarkwatch worker` for {wait_s:.0f} s "
                               f"(frontier: {frontier} requests waiting); start workers with this config")
            state = (frontier, tuple((w["id"], w["popped"]) for w in workers))
            stalled = watch.stalled(now, got, (state, tuple(w.get("pages", 0) for w in workers)))
            if stalled:
                return False, f"{stalled} (frontier: {frontier} requests waiting); what was not checked stays due"
            settled = workers and frontier == 0 and not got and all(w["idle"] for w in workers)
            if settled and state == seen:
                if quiet_since is not None and now - quiet_since >= STABLE_S:
                    return False, None
            else:
                quiet_since = now if settled else None
            seen = state if settled else None

    def _ensure_group(self) -> None:
        import redis as redis_module

        try:
            self.redis.xgroup_create(self.keys.stream, self.keys.group, id="0", mkstream=True)
        except redis_module.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    def drain(self, *, pending: bool = False, block_ms: int | None = None) -> int:
        """Write the stream's entries (this writer's pending ones first when `pending`); each is
        acknowledged after its commit. Returns how many were handled."""
        handled = 0
        bound = intake.entry_bound(self.config.max_page_bytes)
        while True:
            entries = intake.read(self.redis, self.keys.stream, self.keys.group, self.consumer, pending=pending,
                                  count=READ_BATCH, bound=bound)
            if not entries:
                if block_ms and not handled:
                    time.sleep(block_ms / 1000)     # a script cannot block: wait here, then return
                return handled
            for entry_id, fields in entries:
                try:
                    self._handle(fields)
                except POISON as exc:
                    self._dead_letter(entry_id, fields, exc)
                self.redis.xack(self.keys.stream, self.keys.group, entry_id)
                self.redis.xdel(self.keys.stream, entry_id)
                handled += 1
            block_ms = None     # more may be waiting: read on without blocking, return when none

    def _dead_problem(self) -> str | None:
        import redis as redis_module

        try:
            others = max(0, self.redis.xlen(self.keys.dead) - self._dead_before - self.dead_letters)
        except redis_module.RedisError:
            others = 0
        said = []
        if self.dead_letters:
            said.append(f"{self.dead_letters} stream entries could not be written")
        if others:
            said.append(f"{others} frontier requests or pass contexts were refused by the workers")
        if not said:
            return None
        return (f"{' and '.join(said)}: moved to {self.keys.dead} (forged, unsigned, too large or unreadable; "
                f"`status` counts them; XRANGE shows each with its reason)")

    def _dead_letter(self, entry_id, fields: dict, exc: Exception) -> None:
        """An entry the writer cannot read (malformed, or not what a worker writes) goes to the
        dead-letter stream with the reason, is counted, and the writer goes on with the next."""
        reason = f"{type(exc).__name__}: {exc}"[:300]
        ident = entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)
        self.redis.xadd(self.keys.dead, {**fields, "_error": reason, "_entry": ident}, maxlen=DEAD_MAX, approximate=True)
        self.dead_letters += 1
        logger.error("stream entry %s could not be written (%s): moved to %s", ident, reason, self.keys.dead)

    def _handle(self, fields: dict) -> None:
        kind, source, capture = intake.accept(fields, self.signer, self._all, self.config.max_page_bytes)
        name = source.name
        own = self._handlers.get(name) or self.book.handlers(source)
        if kind == "capture":
            capture.capture_key = fields.get(b"key", b"").decode() or None
            if capture.capture_key and captures.key_seen(self.db, capture.capture_key):
                return          # written before the writer was killed, delivered again: once is enough
            self.book.sink(source, capture, own["on_problem"]).result()
        elif kind == "problem":
            own["on_problem"](fields.get(b"message", b"").decode())
        elif kind == "listing":
            own["on_listing"](fields.get(b"ok") == b"1")
        elif kind == "signal":
            own["on_signal"](fields.get(b"kind", b"").decode(), fields.get(b"url", b"").decode())
        elif kind == "dropped":
            named, count = fields.get(b"signal", b"").decode()[:300], max(0, int(fields.get(b"count", b"0")))
            self.book.result.kinds[DROPPED] += count
            logger.info("%s", dropped_message(named, count))


class _Stall:
    """Whether a pass has stopped moving after Redis went away or restarted mid-pass.

    A restarted Redis (its append-only file replayed) can leave a pass that no worker will finish:
    requests taken but never answered, a worker that reports itself busy for good. Without an
    outage no limit applies (a worker may rightly wait out a long Retry-After); after one, a pass
    with no progress (nothing written, nothing taken, no page fetched) for `limit_s` fails cleanly
    instead of waiting for ever. A restart is told by the server's run_id changing, so one that
    falls between two calls is seen too."""

    def __init__(self, limit_s: float):
        self.limit_s = limit_s
        self.run_id: str | None = None
        self.disturbed = False      # Redis went away or restarted during the pass
        self.restarted = False      # a new server (run_id): what it held unsaved is gone
        self.progress, self.moved_at = None, time.monotonic()

    def server(self, redis) -> None:
        run_id = redis.info("server").get("run_id")
        if self.run_id is not None and run_id != self.run_id:
            self.disturbed = self.restarted = True
        self.run_id = run_id

    def outage(self) -> None:
        self.disturbed = True

    def stalled(self, now: float, got: int, progress) -> str | None:
        if got or progress != self.progress:
            self.progress, self.moved_at = progress, now
            return None
        if self.disturbed and now - self.moved_at > self.limit_s:
            return f"no progress for {self.limit_s:.0f} s since Redis went away mid-pass"
        return None
