"""Build the Datasette instance for an archive: read-only, with metadata and canned queries from config/."""
from __future__ import annotations

import json
from pathlib import Path

from datasette.app import Datasette

from remarkwatch.crawler.profiles import config_dir
from remarkwatch.storage.db import writable
from remarkwatch.web import feeds
from remarkwatch.web.limits import ANSWER_BYTES, bound_answers

METADATA_FILE = "datasette.json"
# Facet *suggestions* scan every column of a filtered table, which on a large archive costs far
# more than the page itself (docs/performance.md, bench/web_bench.py). Explicit facets
# (?_facet=kind) still work.
SETTINGS = {"sql_time_limit_ms": 5000, "max_returned_rows": 2000, "facet_time_limit_ms": 500,
            "suggest_facets": False, "allow_download": False}


def metadata_for(public_url: str | None = None) -> dict:
    """The instance's title, description and license; each archive's tables and canned queries
    come from the plugin, whatever the file is called. `public_url` is where the archive is
    served, for absolute links in the feeds."""
    metadata = json.loads((config_dir() / METADATA_FILE).read_text(encoding="utf-8"))
    metadata.pop("archive")
    if public_url:
        metadata["plugins"] = {"remarkwatch": {"public_url": public_url}}
    return metadata


def build_datasette(*db_paths: Path, public_url: str | None = None, answer_bytes: int = ANSWER_BYTES,
                    allow_sql: bool = True) -> Datasette:
    # Datasette opens a file database with read-only connections for every query; nothing here
    # writes. allow_download is off: the raw file holds the outbox and run history too. Every
    # answer is bounded in memory (web/limits.py) as Datasette bounds it in time.
    metadata = metadata_for(public_url)
    metadata.setdefault("plugins", {}).setdefault("remarkwatch", {})["answer_bytes"] = answer_bytes
    if not allow_sql:
        # A public instance: no arbitrary SQL; the pages, tables, search and canned queries stay.
        metadata["allow_sql"] = False
    # An archive this process cannot write (read-only storage, another user's file) is opened
    # immutable, as the CLI opens it: mode=ro cannot read a WAL archive without its -shm.
    files = [str(p) for p in db_paths if writable(Path(p))]
    immutables = [str(p) for p in db_paths if not writable(Path(p))]
    datasette = Datasette(files, immutables=immutables, metadata=metadata, settings=SETTINGS)
    bound_answers(datasette, answer_bytes)
    feeds.install(datasette)
    return datasette
