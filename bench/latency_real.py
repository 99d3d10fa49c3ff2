"""Benchmark: the latency simulation checked once against the real daemon on a compressed clock.

Run by hand:  .venv/bin/python bench/latency_real.py [--speedup 60] [--hours 8] [--old 80] [--new 120]

The bundled replica site (monitor/demo/replica), served from its own process on loopback, starts
with `--old` releases published over the two simulated days before the run, publishes `--new` over
`--hours`, and edits them silently or declared at the times core/editmodel.py draws (a share
`--edited` of releases is edited, more than the research's 9 %, so that minutes hold edits enough).
One real second is `--speedup` simulated ones. `remarkwatch run`, the real daemon, watches it with
every time in its config divided by the speedup (the config takes seconds) and alerts a webhook
receiver here, which notes each arrival. Then bench/latency_bench.py simulates the same site with
the same settings, and both are printed side by side: edit-to-alert p50, p90 and mean.

The tiers are what `recheck = "auto"` plans for this site, given as a fixed list: "auto" plans in
real hours (a grid from 5 minutes, the research's ages), so on a compressed clock it would plan for
another site. A pass process starting and finishing take real seconds, which the speedup makes
minutes: they are measured (the replica's log of requests, the receiver's arrivals) and the
prediction is printed without them (`bench`: requests only) and with them (`timed`: each pass
draws its costs from the measured ones, requests spaced as measured). Results: docs/latency.md,
"Checked against a real clock". Config, archive and daemon log stay in a temporary folder.
"""
from __future__ import annotations

import argparse
import math
import json
import multiprocessing
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import replace
from datetime import date, datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from latency_bench import Run, Settings, build_site, outcomes, stats  # noqa: E402

from remarkwatch.core import budget  # noqa: E402
from remarkwatch.core.editmodel import DAY, HOUR, PRIOR  # noqa: E402
from remarkwatch.core.recheck import duration_s  # noqa: E402
from remarkwatch.demo.replica.receiver import DemoReceiver  # noqa: E402

SECRET_ENV = "REMARKWATCH_LATENCY_SECRET"
TOKEN = re.compile(r"\bRW(\d+)V(\d+)\b")
SOURCE = "replica"


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).isoformat(timespec="seconds")


def releases_for(published: list[float]):
    """A release per publication time, each with a token (RW<doc>V<version>) its edits change."""
    from remarkwatch.demo.replica.content import generated_releases

    out = []
    for doc, release in enumerate(generated_releases(len(published), seed=25)):
        release.slug = f"release-{doc}"
        release.post_id = 700_000 + doc          # newest first on the listing: ids grow with time
        release.published = date.today()
        release.paragraphs = release.paragraphs + [f"This release is filed as RW{doc}V0 in the register."]
        out.append(release)
    return out


def serve_site(published, timelines, speedup: float, pipe) -> None:
    """The replica's process: serve, publish and edit at the real times, report what it did."""
    from remarkwatch.demo.replica.server import ReplicaServer
    from remarkwatch.demo.replica.site import Site

    class LoggedSite(Site):
        """Every request's path and arrival (REST ones too, which Site.hit_times leaves out)."""
        log: list = []

        def handle(self, path, base, query=""):
            LoggedSite.log.append((path, time.time()))
            return super().handle(path, base, query)

    releases = releases_for(published)
    clock = {"start": time.time()}

    def real(sim_s: float) -> float:
        return clock["start"] + sim_s / speedup

    events = [(t, "publish", doc, None, None) for doc, t in enumerate(published)]
    events += [(t, "edit", doc, version, declared) for doc, tl in timelines.items() for t, version, declared, _ in tl]
    events.sort(key=lambda e: (e[0], e[1] != "publish"))
    current = dict.fromkeys(range(len(published)), 0)
    site = LoggedSite([replace(r, modified=iso(real(published[doc]))) for doc, r in enumerate(releases)
                       if published[doc] < 0], per_page=len(releases) + 1)
    for t, _, doc, version, declared in [e for e in events if e[0] < 0 and e[1] == "edit"]:
        site.edit(f"release-{doc}", f"RW{doc}V{current[doc]}", f"RW{doc}V{version}",
                  modified=iso(real(t)) if declared else None)
        current[doc] = version
    server = ReplicaServer(site).start()
    pipe.send(server.base_url)
    clock["start"] = pipe.recv()           # the run's simulated 0, a real time.time()
    applied, end = [], pipe.recv()
    for t, kind, doc, version, declared in (e for e in events if e[0] >= 0 and e[0] <= end):
        time.sleep(max(0.0, real(t) - time.time()))
        now = time.time()
        if kind == "publish":
            site.publish(replace(releases[doc], modified=iso(now)))
        else:
            site.edit(f"release-{doc}", f"RW{doc}V{current[doc]}", f"RW{doc}V{version}",
                      modified=iso(now) if declared else None)
            current[doc] = version
        applied.append((t, kind, doc, version, now))
    pipe.recv()                             # the run is over
    pipe.send((applied, LoggedSite.log))
    server.stop()


def model_site(args):
    """Publication times (simulated seconds, before 0 for the releases there at the start) and the
    model's edits, none after the editing window."""
    import random

    rng = random.Random(args.seed)
    window = args.hours * HOUR
    published = sorted([rng.uniform(-2 * DAY, 0) for _ in range(args.old)] +
                       [rng.uniform(0, window) for _ in range(args.new)])
    model = replace(PRIOR, edited_share=args.edited)
    published, events, edits = build_site(len(published), 0, model, args.seed, published=published)
    events = {doc: [e for e in tl if e[0] <= window] for doc, tl in events.items()}
    return (published, {doc: tl for doc, tl in events.items() if tl}, edits), model


def planned_tiers(args, model) -> tuple:
    """What `recheck = "auto"` plans for this site at `--fill` of its budget (simulated seconds)."""
    site = budget.Site(DAY / args.delay, duration_s(args.schedule), 1 + SIGNAL_REQUESTS, args.old + args.new,
                       args.new / args.hours * 24, 7.0)
    return budget.plan(model.masses(), site, fill=args.fill).recheck.tiers


SIGNAL_REQUESTS = 6    # state.gov profile: sitemap index and child, 2 REST queries, 1 feed (+ robots.txt)


def config_text(args, base: str, hook: str, tiers) -> str:
    def secs(sim_s: float) -> str:
        return f"{sim_s / args.speedup:g}s"

    recheck = ", ".join(f'["{"*" if age == float("inf") else secs(age)}", "{secs(every)}"]' for age, every in tiers)
    return f"""db = "latency.db"
concurrency = 1

[[sources]]
name = "{SOURCE}"
profile = "state.gov"
start_urls = ["{base}/press-releases/"]
max_listing_pages = 1
delay_s = {args.delay / args.speedup:g}
schedule = "{secs(duration_s(args.schedule))}"
recheck = [{recheck}]
sweep_days = {7 / args.speedup:g}

[[alerts]]
name = "receiver"
kind = "webhook"
url = "{hook}"
secret_env = "{SECRET_ENV}"
kinds = ["edited"]
"""


def run_daemon(folder: Path, seconds: float, env: dict) -> tuple[float, list[str]]:
    """`remarkwatch run` for `seconds`, then SIGTERM: when its scheduler started, and its output."""
    command = [sys.executable, "-m", "remarkwatch", "run", "--config", str(folder / "remarkwatch.toml")]
    daemon = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    lines, started = [], []

    def read():
        for line in daemon.stdout:
            if not started and "remarkwatch daemon:" in line:
                started.append(time.time())
            lines.append(line.rstrip())
    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    time.sleep(seconds)
    daemon.send_signal(signal.SIGTERM)
    daemon.wait(timeout=180)
    reader.join(timeout=5)
    return (started[0] if started else math.nan), lines


def passes_of(log: list, speedup: float, zero: float) -> list[list[tuple[str, float]]]:
    """The replica's requests split into passes (each pass's process asks for robots.txt first),
    times in simulated seconds."""
    passes: list = []
    for path, at in sorted(log, key=lambda hit: hit[1]):
        if path == "/robots.txt" or not passes:
            passes.append([])
        passes[-1].append((path, (at - zero) * speedup))
    return passes


def is_article(path: str) -> bool:
    return "/release-" in path


def measured(passes, arrivals, first_pass_s: float, pass_s: float) -> dict:
    """What each pass cost in simulated seconds: from its tick (the first after the previous pass
    ended: the daemon skips the ticks that come during a pass) to its first request (its process
    starting), from its last request to its first alert's arrival; its requests that are not
    releases, and the time between two of its requests."""
    starts, tails, fixed, gaps = [], [], [], []
    for number, hits in enumerate(passes):
        first, last = hits[0][1], hits[-1][1]
        before = passes[number - 1][-1][1] if number else first_pass_s
        tick = first_pass_s + math.ceil(max(0.0, before - first_pass_s) / pass_s) * pass_s
        starts.append(first - tick if first >= tick else first - (tick - pass_s))
        if number:                   # a first pass reads no sitemap or REST signals
            fixed.append(sum(1 for path, _ in hits if not is_article(path)))
        gaps += [b[1] - a[1] for a, b in zip(hits, hits[1:])]
        end = passes[number + 1][0][1] if number + 1 < len(passes) else math.inf
        after = [at for at in arrivals if last <= at < end]
        if after:
            tails.append(min(after) - last)
    return {"overhead": median(starts), "tail": median(tails), "fixed": round(median(fixed)) if fixed else 7,
            "gap": sum(gaps) / len(gaps) if gaps else math.nan, "passes": len(passes),
            "overheads": tuple(starts), "tails": tuple(tails)}


def median(values: list[float]) -> float:
    return stats(values).p50 if values else 0.0


def real_outcomes(site, applied, arrivals, speedup: float, zero: float, window: float) -> dict:
    """Edit no. -> (declared, made, alert arrival or None), simulated seconds, for the window's edits."""
    _, timelines, edits = site
    number = {(doc, version): no for doc, tl in timelines.items() for _, version, _, no in tl if no >= 0}
    made = {number[(doc, version)]: (at - zero) * speedup for t, kind, doc, version, at in applied
            if kind == "edit" and (doc, version) in number}
    alerted: dict = {}
    for at, payload, _ in sorted(arrivals, key=lambda a: a[0]):
        if payload.get("kind") != "edited":
            continue
        for edit in payload.get("edits") or []:
            for doc, version in TOKEN.findall(str(edit.get("new", ""))):
                no = number.get((int(doc), int(version)))
                if no is not None:
                    alerted.setdefault(no, (at - zero) * speedup)
    return {no: (edits[no][2], t, alerted.get(no)) for no, t in made.items() if 0 <= edits[no][0] <= window}


def predicted(site, settings: Settings, window: float, seeds: int) -> dict:
    """The simulation's edit-to-alert delays over `seeds` runs (their jitter differs), pooled."""
    pooled = {"silent": [], "declared": [], "late": 0, "total": 0}
    for seed in range(seeds):
        run = Run("fixed", replace(settings, seed=seed), site)
        run.run()
        for edit in outcomes(run, window):
            if edit.made < 0:
                continue
            pooled["total"] += 1
            if edit.alerted is None:
                pooled["late"] += 1
            else:
                pooled["declared" if edit.declared else "silent"].append(edit.alerted - edit.made)
    return pooled


def row(values: list[float]) -> str:
    s = stats(values)
    return f"p50 {s.p50 / 60:6.1f}  p90 {s.p90 / 60:6.1f}  mean {s.mean / 60:6.1f} min (n={s.n})"


def compare(real: dict, models: dict[str, dict]) -> tuple[list[str], bool]:
    """Lines side by side, and whether every figure of the last model is within 20 % of the real one."""
    lines, agree = [], True
    measured_rows = {kind: [a - m for d, m, a in real.values() if a is not None and d == (kind == "declared")]
                     for kind in ("silent", "declared")}
    late = sum(1 for _, _, a in real.values() if a is None)
    lines.append(f"edits in the window: {len(real)}; not alerted by the end: measured {late / max(1, len(real)):.0%}, "
                 + ", ".join(f"predicted {name} {p['late'] / max(1, p['total']):.0%}" for name, p in models.items()))
    for kind, values in measured_rows.items():
        lines.append(f"{kind} edit to alert, measured:          {row(values)}")
        got = stats(values)
        for name, pooled in models.items():
            want = stats(pooled[kind])
            ratios = [a / b if b else math.nan for a, b in ((got.p50, want.p50), (got.p90, want.p90),
                                                              (got.mean, want.mean))]
            lines.append(f"{kind} edit to alert, predicted {name + ':':9}{row(pooled[kind])}; measured / predicted "
                         + ", ".join(f"{label} {r:.2f}" for label, r in zip(("p50", "p90", "mean"), ratios)))
            if name == list(models)[-1]:
                agree = agree and all(abs(r - 1) <= 0.2 for r in ratios)
    return lines, agree


def arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for flag, kind, default, text in [
        ("--speedup", float, 60, "simulated seconds per real second"),
        ("--hours", float, 8, "simulated hours of publishing and editing"),
        ("--drain", float, 90, "simulated minutes watched after the last edit"),
        ("--old", int, 80, "releases published in the two days before"),
        ("--new", int, 120, "releases published during the run"),
        ("--edited", float, 1.0, "share of releases edited (research: 0.09)"),
        ("--delay", float, 30, "simulated seconds between requests"),
        ("--schedule", str, "15m", "simulated pass interval"),
        ("--fill", float, 0.9, "share of the budget the tiers are planned for (auto: 0.9)"),
        ("--seed", int, 25, "the site's"),
        ("--seeds", int, 20, "simulations pooled for the prediction"),
        ("--replay", str, None, "a run.json of an earlier run: compare it again, running nothing"),
    ]:
        parser.add_argument(flag, type=kind, default=default, help=text)
    args = parser.parse_args()
    if args.replay:        # the run's own settings, so the site is the same
        args = argparse.Namespace(**{**json.loads(Path(args.replay).read_text())["args"], "seeds": args.seeds,
                                     "replay": args.replay})
    return args


def run_real(args, site, tiers, end: float) -> dict:
    """The replica's process, the receiver and the daemon for `end` simulated seconds; what they saw."""
    secret = os.urandom(16).hex()
    context = multiprocessing.get_context("fork")     # before any thread of ours starts
    ours, theirs = context.Pipe()
    replica = context.Process(target=serve_site, args=(site[0], site[1], args.speedup, theirs), daemon=True)
    replica.start()
    base = ours.recv()
    with DemoReceiver(secret) as receiver:
        folder = Path(tempfile.mkdtemp(prefix="latency-real-"))
        (folder / "remarkwatch.toml").write_text(config_text(args, base, receiver.url, tiers), encoding="utf-8")
        zero = time.time()
        ours.send(zero)
        ours.send(args.hours * HOUR)
        started, output = run_daemon(folder, end / args.speedup, {**os.environ, SECRET_ENV: secret})
        ours.send("done")
        applied, log = ours.recv()
        replica.join(timeout=10)
    (folder / "daemon.log").write_text("\n".join(output) + "\n", encoding="utf-8")
    got = {"args": vars(args), "zero": zero, "first_pass_s": (started - zero) * args.speedup, "applied": applied,
           "log": log, "arrivals": [(at, payload, valid) for at, (payload, valid) in zip(receiver.arrived, receiver.alerts)]}
    (folder / "run.json").write_text(json.dumps(got), encoding="utf-8")    # for --replay
    return {**got, "folder": folder}


def main() -> None:
    args = arguments()
    site, model = model_site(args)
    tiers = planned_tiers(args, model)
    window, pass_s = args.hours * HOUR, duration_s(args.schedule)
    end = window + args.drain * 60
    print(f"site: {args.old} releases, {args.new} published over {args.hours:g} simulated hours, "
          f"{sum(1 for e in site[2] if 0 <= e[0] <= window)} edits in that window; one request every "
          f"{args.delay:g} s ({DAY / args.delay:,.0f} a day), passes every {args.schedule}; {args.speedup:g} "
          f"simulated seconds a real second ({end / args.speedup / 60:.1f} real minutes)", flush=True)
    print("tiers (auto's plan, simulated): " + "; ".join(
        f"{'*' if age == math.inf else f'{age / 60:g}m'}: {every / 60:g}m" for age, every in tiers), flush=True)
    if args.replay:
        got = {**json.loads(Path(args.replay).read_text()), "folder": Path(args.replay).parent}
        got["applied"] = [tuple(a) for a in got["applied"]]
    else:
        got = run_real(args, site, tiers, end)
    arrivals = [(at - got["zero"]) * args.speedup for at, _, _ in got["arrivals"]]
    cost = measured(passes_of(got["log"], args.speedup, got["zero"]), arrivals, got["first_pass_s"], pass_s)
    invalid = sum(1 for _, _, valid in got["arrivals"] if not valid)
    print(f"daemon: {cost['passes']} passes in {end / 60:.0f} simulated minutes ({end / pass_s:.0f} ticks); "
          f"{len(arrivals)} alerts received ({invalid} with a bad signature); config, archive, log in {got['folder']}")
    print(f"a pass, measured (simulated minutes): its first request {cost['overhead'] / 60:.1f} after its tick "
          f"(median; most {max(cost['overheads'], default=0) / 60:.1f}); its first alert {cost['tail'] / 60:.1f} "
          f"after its last request; {cost['fixed']} requests not for releases; {cost['gap']:.1f} s between "
          f"requests (delay {args.delay:g} s)", flush=True)
    settings = Settings(days=end / DAY, documents=len(site[0]), delay=args.delay, schedule=args.schedule,
                        listing_pages=1, signals=SIGNAL_REQUESTS, sweep_days=7.0, first_pass_s=got["first_pass_s"],
                        tiers=tiers)
    timed = replace(settings, signals=cost["fixed"] - 1, overheads=cost["overheads"], tails=cost["tails"] or (0.0,),
                    delay=cost["gap"])
    models = {"bench": predicted(site, settings, window, args.seeds),
              "timed": predicted(site, timed, window, args.seeds)}
    lines, agree = compare(real_outcomes(site, got["applied"], got["arrivals"], args.speedup, got["zero"], window),
                           models)
    print("\n".join(lines))
    print("(bench: the simulation's model, requests only; timed: each pass's start-up and alert costs drawn from "
          "those measured above, and the time between requests measured)")
    print(f"measured within 20 % of the timed prediction (p50, p90, mean; silent and declared): {'yes' if agree else 'NO'}")


if __name__ == "__main__":
    main()
