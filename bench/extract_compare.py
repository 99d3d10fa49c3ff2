"""Check: every extractor gives the same output whichever way the HTML5 tree reaches lxml (issue 27).

Run by hand:  .venv/bin/python bench/extract_compare.py [--pages 200] [--out FILE] [--against FILE]

crawler/html5tree.py copies lexbor's tree into lxml through XML where it can, node by node
otherwise. This runs the article, automatic and listing extractors with every bundled profile on
the static replica's generated releases, every page in ../shared/fixtures/real/pages (left out when
../shared is absent) and the tricky-markup table (tests/html5_cases.py), once each way, and prints
what differs (nothing, when the two paths agree) and how many pages the XML path declined.
`--out` writes this checkout's outputs (XML path) as JSON; `--against` compares them with a file
written by another checkout, e.g. the commit before the XML path.
"""
from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import sys
import tempfile
from pathlib import Path

from static_site import write_site

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "fixtures" / "real" / "pages"
sys.path.insert(0, str(ROOT))

from lxml import etree  # noqa: E402

from remarkwatch.crawler import extract, html5tree  # noqa: E402
from remarkwatch.crawler.profiles import load_profiles  # noqa: E402
from tests.html5_cases import CASES  # noqa: E402

URL = "https://example.org/page"


def pages(count: int) -> list[tuple[str, str]]:
    work = Path(tempfile.mkdtemp(prefix="rw-compare-"))
    out = [(f"replica{p}", (work / "site" / p.strip("/") / "index.html").read_text(encoding="utf-8"))
           for p in write_site(work / "site", count)]
    for path in sorted(REAL.glob("**/*.html")) if REAL.is_dir() else []:
        out.append((str(path.relative_to(REAL)), path.read_text(encoding="utf-8", errors="replace")))
    return out + [(f"case:{case[0]}", case[1]) for case in CASES]


def outputs(html: str, profiles: dict) -> dict:
    tree = etree.tostring(html5tree.parse(html), encoding="unicode")
    result = {"tree": hashlib.sha256(tree.encode()).hexdigest()}
    for name, profile in sorted(profiles.items()):
        for kind, run in (("article", extract.extract_article), ("automatic", extract.extract_automatic),
                          ("listing", extract.extract_listing)):
            try:
                value = run(html, URL, profile)
                result[f"{kind}/{name}"] = dataclasses.asdict(value) if kind != "listing" else list(value)
            except Exception as exc:       # an extractor's error is an output too
                result[f"{kind}/{name}"] = f"error: {exc!r}"
    return json.loads(json.dumps(result, default=str))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--against", type=Path)
    args = parser.parse_args()
    profiles, xml_path = load_profiles(), html5tree._copy_serialised
    declined, differ, mine = [], [], {}
    for name, html in pages(args.pages):
        document = html5tree._lexbor(html)
        if not xml_path(html5tree._MAKE("html"), document, document.root.html):
            declined.append(name)
        mine[name] = outputs(html, profiles)
        html5tree._copy_serialised = lambda *args: False
        if outputs(html, profiles) != mine[name]:
            differ.append(name)
        html5tree._copy_serialised = xml_path
    print(f"{len(mine)} pages, {len(profiles)} profiles: XML path and node by node differ on {len(differ)} "
          f"{differ}; the XML path declined {len(declined)} {declined}")
    if args.out:
        args.out.write_text(json.dumps(mine, indent=0, sort_keys=True))
    if args.against:
        theirs = json.loads(args.against.read_text())
        changed = sorted(name for name in mine.keys() & theirs.keys() if mine[name] != theirs[name])
        print(f"against {args.against}: {len(mine.keys() & theirs.keys())} pages in both, {len(changed)} "
              f"differ {changed}")
    sys.exit(1 if differ else 0)


if __name__ == "__main__":
    main()
