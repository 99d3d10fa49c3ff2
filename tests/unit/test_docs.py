"""The docs cannot drift: the generated references match the code, and every link leads somewhere."""
from __future__ import annotations

import importlib.util
import re
import tomllib

import pytest

from tests.conftest import ROOT

DOCS = ROOT / "docs"
PAGES = [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def _generator():
    spec = importlib.util.spec_from_file_location("docs_generate", DOCS / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


generate = _generator()


@pytest.mark.parametrize("name", ["cli.md", "configuration.md"])
def test_generated_reference_matches_the_code(name):
    on_disk = (DOCS / name).read_text(encoding="utf-8")
    assert on_disk == generate.expected()[name], f"docs/{name} is out of date: run python3 dev.py docs"


def test_every_config_key_has_a_meaning_and_none_is_stale():
    words = tomllib.loads((DOCS / "keys.toml").read_text(encoding="utf-8"))
    schema = {section: set(keys) for _, section, keys, _ in generate.schema_sections()}
    missing = sorted(f"{s}.{k}" for s, keys in schema.items() for k in keys if "meaning" not in words.get(s, {}).get(k, {}))
    stale = sorted(f"{s}.{k}" for s, entries in words.items() for k in entries if k not in schema.get(s, ()))
    assert not missing, f"keys without a meaning in docs/keys.toml: {missing}"
    assert not stale, f"docs/keys.toml describes keys the schema does not have: {stale}"


def test_every_command_has_its_help_in_the_reference():
    reference = generate.cli_reference()
    names = re.findall(r"^### `(remarkwatch[^`]*)`$", reference, re.M)
    assert "remarkwatch crawl" in names and "remarkwatch alerts retry" in names
    assert reference.count("Usage: remarkwatch") == len(names)


def _anchors(text: str) -> set[str]:
    """The anchors GitHub makes for a page's headings, and explicit <a id> ones."""
    anchors = set(re.findall(r'<a id="([^"]+)">', text))
    for heading in re.findall(r"^#{1,6} (.+)$", text, re.M):
        anchors.add(re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-"))
    return anchors


def _relative_links():
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        text = re.sub(r"```.*?```", "", text, flags=re.S)     # code blocks hold no links
        for target in LINK.findall(text):
            if not re.match(r"[a-z]+:", target):
                yield page, target


@pytest.mark.parametrize("page,target", list(_relative_links()),
                         ids=lambda v: v.name if hasattr(v, "name") else v)
def test_relative_link_points_to_a_file_that_exists(page, target):
    path, _, anchor = target.partition("#")
    resolved = (page.parent / path).resolve() if path else page
    assert resolved.exists(), f"{page.relative_to(ROOT)}: link to {target} leads nowhere"
    if anchor and resolved.suffix == ".md":
        assert anchor in _anchors(resolved.read_text(encoding="utf-8")), \
            f"{page.relative_to(ROOT)}: link to {target}: no such heading in {resolved.name}"
