"""Channel kinds by name, found in this package: every module here that declares `CHANNEL` (an
instance of its ChannelKind subclass) is a kind. So a new channel is one module and one test file.

The package is walked the way Scrapy's SpiderLoader walks SPIDER_MODULES: an explicit declaration
per module, no metaclass and no import-time side effects.
"""
from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from pathlib import Path

from remarkwatch.errors import ConfigError


@cache
def kinds() -> dict:
    """Every channel kind, name -> its ChannelKind instance, in name order."""
    found: dict = {}
    for info in pkgutil.iter_modules([str(Path(__file__).parent)]):
        module = importlib.import_module(f"{__package__}.{info.name}")
        channel = getattr(module, "CHANNEL", None)
        if channel is None:
            continue
        if channel.kind in found:
            raise RuntimeError(f"channel kind {channel.kind!r} is declared twice: in "
                               f"{type(found[channel.kind]).__module__} and {module.__name__}")
        found[channel.kind] = channel
    return dict(sorted(found.items()))


def kind(name: str):
    """The ChannelKind named `name`; a ConfigError listing the valid ones when there is none."""
    try:
        return kinds()[name]
    except KeyError:
        raise ConfigError(f"{name!r} is not a channel kind (valid: {', '.join(kinds())})") from None
