"""What `remarkwatch backfill` reads: the documents of the named sources, the URLs given (each a
document of the archive or a page of a configured source's hosts), or every source's documents;
and which URLs a web archive may name as a source's page."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable
from urllib.parse import urlsplit

from remarkwatch.config import Config, Source
from remarkwatch.crawler.middlewares.offsite import host_allowed
from remarkwatch.errors import ConfigError
from remarkwatch.storage import documents


@dataclass
class Target:
    source: Source
    url: str
    document_id: int | None = None



def targets(db, config: Config, source_names: Iterable[str], urls: Iterable[str]) -> list[Target]:
    """The documents to backfill: those of the named sources, the URLs given (each a document of
    the archive or a page of a configured source's hosts), or every source's documents."""
    source_names, urls = list(source_names), list(urls)
    found: list[Target] = []
    for url in urls:
        if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
            raise ConfigError(f"{url!r} is not an http(s) URL")
        document = documents.resolve_document(db, url) if db is not None else None
        if document is not None:
            found.append(Target(config.source(document["source"]) if _has_source(config, document["source"])
                                else _source_for(config, url), document["url"], document["id"]))
        else:
            found.append(Target(_source_for(config, url), url))
    if urls and not source_names:
        return found
    names = source_names or [s.name for s in config.sources]
    for name in names:
        source = config.source(name)
        if db is None:
            continue
        for row in documents.source_documents(db, name):
            found.append(Target(source, row["url"], row["id"]))
    return found


def _has_source(config: Config, name: str) -> bool:
    return any(s.name == name for s in config.sources)


def of_source(source: Source, url: str | None) -> bool:
    """An http(s) URL of one of the source's hosts: all an archive's answer may name as the page."""
    hosts = [h for h in (*source.allowed_domains, source.profile.site, *source.profile.hosts) if h]
    return bool(url) and urlsplit(url).scheme in ("http", "https") and host_allowed(url, hosts)


def _source_for(config: Config, url: str) -> Source:
    for source in config.sources:
        if of_source(source, url):
            return source
    names = ", ".join(s.name for s in config.sources) or "none"
    raise ConfigError(f"{url}: no configured source reads {urlsplit(url).hostname} (sources: {names}); "
                      f"add one whose allowed_domains include it")
