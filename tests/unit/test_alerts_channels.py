"""Every alert channel kind describes itself fully, has its own test file and its own section in
docs/alerts.md; and the surfaces that read the kinds (validation, log redaction) follow them."""
from __future__ import annotations

import logging
import pkgutil
import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from remarkwatch.alerts.channels import registry
from remarkwatch.alerts.channels.base import COMMON_KEYS, Channel, ChannelKind
from remarkwatch.cli.options import register_secrets
from remarkwatch.untrusted import LOG_FILTER, REDACTED
from tests.unit.channel_config import config_error

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "alerts.md"
KINDS = registry.kinds()
PACKAGE = ROOT / "monitor" / "alerts" / "channels"
NOT_KINDS = {"base", "registry"}     # the package's two modules that are not a channel kind


def test_every_module_of_the_package_is_a_registered_kind():
    modules = {info.name for info in pkgutil.iter_modules([str(PACKAGE)])} - NOT_KINDS
    assert modules == {type(kind).__module__.rsplit(".", 1)[1] for kind in KINDS.values()}, \
        "a module in monitor/alerts/channels/ without `CHANNEL = TheKind()`"
    assert {"webhook", "email", "apprise"} <= set(KINDS)        # a new kind needs no edit here


@pytest.mark.parametrize("name", sorted(KINDS))
def test_the_kind_declares_a_consistent_description(name):
    kind = KINDS[name]
    assert isinstance(kind, ChannelKind) and kind.kind == name
    assert type(kind).send is not ChannelKind.send, "a kind must define send()"
    assert not set(kind.keys) & set(COMMON_KEYS), "a kind's own key hides a key every channel takes"
    assert set(kind.required) <= set(kind.keys)
    assert all(set(group) <= set(kind.keys) for group in kind.one_of)
    # Keys naming environment variables end in `_env`, and all of them are listed by check-config.
    assert set(kind.env_keys) == {key for key in kind.keys if key.endswith("_env")}
    assert set(kind.secret_keys) <= set(kind.env_keys) and "username_env" not in kind.secret_keys
    assert set(kind.literal_secret_keys) <= set(kind.keys)
    assert kind.max_bytes is None or ("max_bytes" in kind.keys and kind.max_bytes > 0)


@pytest.mark.parametrize("name", sorted(KINDS))
def test_the_kind_has_its_own_test_file(name):
    path = ROOT / "tests" / "unit" / f"test_channel_{name}.py"
    assert path.is_file(), f"channel kind {name!r} has no {path.relative_to(ROOT)}"
    assert "import CHANNEL" in path.read_text(encoding="utf-8"), f"{path.name} does not test the kind's CHANNEL"


@pytest.mark.parametrize("name", sorted(KINDS))
def test_the_kind_has_a_section_in_the_alerts_docs(name):
    if not DOCS.is_file():
        pytest.skip("docs/alerts.md does not exist yet (it is being written): each kind needs a heading naming it")
    headings = re.findall(r"^#{1,6} .*$", DOCS.read_text(encoding="utf-8"), flags=re.MULTILINE)
    assert any(re.search(rf"\b{re.escape(name)}\b", h, flags=re.IGNORECASE) for h in headings), \
        f"docs/alerts.md has no heading naming the {name!r} channel kind"


def test_an_unknown_kind_lists_the_registered_ones(tmp_path):
    message = config_error(tmp_path, kind="pager")
    assert message.endswith(f".kind: 'pager' is not a channel kind (valid: {', '.join(sorted(KINDS))})")


@pytest.mark.parametrize("name", sorted(KINDS))
def test_log_redaction_follows_the_kinds_secret_keys(name, caplog):
    kind = KINDS[name]
    options = {key: f"RW_META_{name}_{key}".upper() for key in kind.env_keys}
    options.update({key: f"https://hooks.example/{name}/literal-{key}-token" for key in kind.literal_secret_keys})
    env = {variable: f"meta-value-{variable.lower()}" for variable in options.values()}
    register_secrets(SimpleNamespace(alerts=[Channel("c", name, options=options)]), env)
    logger = logging.getLogger("remarkwatch.tests.meta")
    logger.addFilter(LOG_FILTER)
    try:
        with caplog.at_level(logging.INFO, logger=logger.name):
            logger.info("values: %s", " ".join([*env.values(), *(options[k] for k in kind.literal_secret_keys)]))
    finally:
        logger.removeFilter(LOG_FILTER)
    logged = caplog.records[-1].getMessage()
    for key in kind.env_keys:
        value = env[options[key]]
        assert (value in logged) == (key not in kind.secret_keys), f"{key}: {logged}"
    for key in kind.literal_secret_keys:
        assert options[key] not in logged and REDACTED in logged
