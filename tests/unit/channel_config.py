"""Helpers for the channel kinds' test files: one [[alerts]] table through the real config loader,
and the sample alert every channel test sends."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from remarkwatch.alerts import message as messages
from remarkwatch.alerts.channels.base import Channel
from remarkwatch.alerts.sample import sample_change
from remarkwatch.config import load_config
from remarkwatch.errors import ConfigError

SOURCE = '[[sources]]\nname = "s"\nprofile = "state.gov"\nstart_urls = ["https://www.state.gov/press-releases/"]\n'


def load_channel(directory: Path, **table) -> Channel:
    """The Channel that remarkwatch.toml with this one [[alerts]] table (plus `name`) resolves to."""
    path = directory / "remarkwatch.toml"
    keys = {"name": "x", **table}
    path.write_text(SOURCE + "\n[[alerts]]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in keys.items()),
                    encoding="utf-8")
    return load_config(path).alerts[0]


def config_error(directory: Path, **table) -> str:
    """The ConfigError message that table earns (the test fails when it is accepted)."""
    with pytest.raises(ConfigError) as caught:
        load_channel(directory, **table)
    return str(caught.value)


def sample_message(max_bytes: int | None = None) -> messages.Message:
    return messages.build([messages.change_item(sample_change())], ["rw-test-key"], max_bytes)
