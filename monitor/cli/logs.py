"""The CLI's logging: our own lines on stderr, secrets redacted, third-party loggers quiet."""
from __future__ import annotations

import logging
import sys
import time

import click

from remarkwatch import untrusted
from remarkwatch.clock import stamped


QUIET_LOGGERS = ("scrapy", "twisted", "py.warnings", "asyncio")


class _UTCFormatter(logging.Formatter):
    converter = time.gmtime

    def formatTime(self, record, datefmt=None):  # noqa: N802 (logging's naming; `clock.stamp` writes the same form)
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", self.converter(record.created))


def setup_logging(verbose: int) -> None:
    """Our own log lines on stderr; off a terminal (cron, systemd, a log file) each carries a UTC
    timestamp. Scrapy's and Twisted's loggers stay quiet unless -v: remarkwatch reports every
    fetch problem once, in its own words. Every record passes the secret-redacting filter."""
    level = logging.DEBUG if verbose > 1 else logging.INFO if verbose else logging.WARNING
    stamp = "" if sys.stderr.isatty() else "%(asctime)s "
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_UTCFormatter(stamp + "%(levelname)s %(name)s: %(message)s"))
    handler.addFilter(untrusted.LOG_FILTER)
    third_party = logging.DEBUG if verbose > 1 else logging.WARNING if verbose else logging.CRITICAL
    # Scrapy re-levels its own loggers when a crawl starts, so the bar is kept on the handler.
    handler.addFilter(lambda record: record.levelno >= third_party or not record.name.startswith(QUIET_LOGGERS))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(third_party)
    # Apprise and urllib3 log notification and hook URLs, which hold tokens: errors only, unless -vv.
    for name in ("apprise", "urllib3"):
        logging.getLogger(name).setLevel(logging.DEBUG if verbose > 1 else logging.ERROR)


def echo(line: str, err: bool = False) -> None:
    """A summary or problem line: off a terminal (cron mails it, or it is appended to crawl.log)
    it starts with the UTC time, as the log lines do, so a log file says when each pass ran."""
    click.echo(stamped(line, sys.stderr if err else sys.stdout), err=err)
