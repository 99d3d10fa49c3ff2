"""Benchmark: CPU per page of article extraction, and of the HTML parse inside it (issue 27).

Run by hand:  .venv/bin/python bench/extract_bench.py [--pages 200] [--repeat 5] [--parser nodes|libxml2]

Two sets of pages: the static replica's generated state.gov releases (bench/static_site.py, about
16 KB with full site chrome) and every real article page in ../shared/fixtures/real/pages that a
bundled profile extracts (whitehouse.gov and state.gov captures, 80-290 KB; left out when
../shared is absent). For each set: `parse` is the page's HTML to the tree the selectors read
(the parsel Selector) and `extract` the whole `extract_article` (parse, header selectors, clean,
text, sanitise); milliseconds of process CPU per page, best of --repeat. `--parser libxml2` puts
back the parse of before issue 27 (parsel's `Selector(text=...)`, libxml2's HTML parser) in the
same code, so before and after are measured side by side on the same machine; `--parser nodes`
builds every page's lxml tree from lexbor's node by node in Python, as all pages were at first
(today only those the XML path declines: crawler/html5tree.py).
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from static_site import write_site

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "fixtures" / "real" / "pages"
sys.path.insert(0, str(ROOT))

from remarkwatch.crawler.extract import extract_article  # noqa: E402
from stage_bench import timed  # noqa: E402  (process CPU, best of `repeat`)
from remarkwatch.crawler.items import OK  # noqa: E402
from remarkwatch.crawler.profiles import get_profile  # noqa: E402

from remarkwatch.crawler import html5tree  # noqa: E402


def use_libxml2() -> None:
    """Before issue 27: the page parsed by libxml2's HTML parser (parsel's own `Selector(text=)`)."""
    from parsel import Selector

    html5tree.selector = lambda html: Selector(text=html or "<html></html>")


def build_node_by_node() -> None:
    """lexbor's tree copied into lxml's node by node, never through XML."""
    html5tree._copy_serialised = lambda *args: False


def real_pages() -> list[tuple[str, str, object]]:
    """(html, url, profile) of each real page a bundled profile extracts."""
    out = []
    for path in sorted(REAL.glob("*/*.html")) if REAL.is_dir() else []:
        html = path.read_text(encoding="utf-8", errors="replace")
        for name in ("whitehouse.gov", "state.gov", "state.gov-archive"):
            profile = get_profile(name)
            if extract_article(html, f"https://example.org/{path.name}", profile).outcome == OK:
                out.append((html, f"https://example.org/{path.name}", profile))
                break
    return out


def measure(pages, repeat: int) -> dict:
    n = len(pages) or 1

    def parse_all():
        for html, _url, _profile in pages:
            html5tree.selector(html)

    def extract_all():
        for html, url, profile in pages:
            extract_article(html, url, profile)

    return {"pages": len(pages), "kb_per_page": round(sum(len(h) for h, _, _ in pages) / n / 1024, 1),
            "parse_ms": round(timed(parse_all, repeat) / n * 1000, 3),
            "extract_ms": round(timed(extract_all, repeat) / n * 1000, 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--parser", choices=("html5", "nodes", "libxml2"), default="html5",
                        help="libxml2: time the parse this code had before issue 27; nodes: the lxml "
                             "tree built from lexbor's node by node")
    args = parser.parse_args()
    if args.parser == "libxml2":
        use_libxml2()
    elif args.parser == "nodes":
        build_node_by_node()
    work = Path(tempfile.mkdtemp(prefix="rw-extract-"))
    paths = write_site(work / "site", args.pages)
    profile = get_profile("state.gov")
    replica = [((work / "site" / p.strip("/") / "index.html").read_text(encoding="utf-8"),
                "http://127.0.0.1:8000" + p, profile) for p in paths]
    result = {"parser": args.parser, "replica": measure(replica, args.repeat)}
    real = real_pages()
    if real:
        result["real"] = measure(real, args.repeat)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
