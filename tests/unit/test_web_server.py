"""The Datasette instance `remarkwatch serve` builds (web/server.py), in process through
Datasette's own client: read-only, no raw file download, arbitrary SQL only when allowed, the
answer budget and public URL handed to the plugin, metadata from config/datasette.json."""
from __future__ import annotations

import asyncio

import pytest

from remarkwatch.web.server import build_datasette, metadata_for


def get(datasette, url: str) -> int:
    return asyncio.run(datasette.client.get(url)).status_code


def test_read_only_and_never_a_download(served):
    assert get(served, "/archive.db") == 403         # the raw file holds the outbox and run history too
    assert (get(served, "/archive.json?sql=select+1"), get(served, "/archive/changes.json")) == (200, 200)
    response = asyncio.run(served.client.get("/archive.json?sql=delete+from+changes"))
    assert response.status_code == 400 and "Statement must be a SELECT" in response.text


def test_a_public_instance_answers_no_sql_of_its_own(_migrated):
    datasette = build_datasette(_migrated, allow_sql=False)
    assert get(datasette, "/archive.json?sql=select+1") == 403
    assert (get(datasette, "/archive/changes.json"), get(datasette, "/archive/latest_changes.json")) == (200, 200)


@pytest.mark.parametrize("public_url, answer_bytes", [(None, 1000), ("https://desk.example.org", 5_000_000)])
def test_the_plugin_is_told_the_public_url_and_the_answer_budget(_migrated, public_url, answer_bytes):
    datasette = build_datasette(_migrated, public_url=public_url, answer_bytes=answer_bytes)
    config = datasette.plugin_config("remarkwatch")
    assert config.get("public_url") == public_url and config["answer_bytes"] == answer_bytes
    assert datasette.setting("allow_download") is False and datasette.setting("suggest_facets") is False


@pytest.mark.parametrize("public_url, plugins", [(None, None), ("https://desk.example.org", "https://desk.example.org")])
def test_metadata_comes_from_config_without_the_archives_own_section(public_url, plugins):
    metadata = metadata_for(public_url)
    assert "archive" not in metadata and metadata["title"]
    assert metadata.get("plugins", {}).get("remarkwatch", {}).get("public_url") == plugins
