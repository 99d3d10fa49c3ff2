"""The CDX search's match key for a URL (a SURT), as the Wayback Machine computes it: by the
Internet Archive's own canonicaliser (the `surt` package, which pywb uses too), never by hand.
The whole URL lower-cased, `www\\d*.` and the scheme dropped, the query sorted, no trailing slash:
`https://www.nasa.gov/%E2%80%A2/` -> `gov,nasa)/%e2%80%a2`, as the real CDX server answers in the
recording `src/wayback/tests/cassettes/test_search_with_filter.yaml` of EDGI's `wayback`.
Backfill keeps the CDX records of its target by it; the replica Wayback Machine answers by it."""
from __future__ import annotations

import surt


def surt_key(url: str) -> str:
    """The CDX's `urlkey` of `url`."""
    return surt.surt(url)
