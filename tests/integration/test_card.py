"""`remarkwatch card` and the change page's card (issue 26, item 5): on the archive the web tests
build through the real ingest, the CLI writes the PNG and its alt text, and the page serves the
same card, with the alt text on its <img>."""
from __future__ import annotations

import io

from PIL import Image

from remarkwatch.storage.db import open_db
from tests.conftest import invoke
from tests.integration.test_web import archive_path, client, config_for  # noqa: F401


def _edit_id(path) -> int:
    db = open_db(path)
    return next(db.query("SELECT id FROM changes WHERE kind = 'edited' AND document_id = 1 ORDER BY id"))["id"]


def test_card_command_writes_the_png_and_its_alt_text(tmp_path, archive_path):  # noqa: F811
    config, change_id = config_for(tmp_path, archive_path), _edit_id(archive_path)
    out = tmp_path / "edit.png"
    result = invoke("card", str(change_id), "-o", out, "--alt", "--config", config, check=True)
    assert Image.open(out).size == (1200, 675) and Image.open(out).format == "PNG"
    alt = (tmp_path / "edit.alt.txt").read_text(encoding="utf-8").strip()
    assert alt == result.stdout.strip() and f"wrote {out}" in result.stderr
    assert "Removed (struck through on the card): “forces”." in alt and "“refugees”" in alt
    assert "turn 1, MR PRICE" in alt and "https://www.state.gov/briefing-1/" in alt      # no public_url: the page
    missing = invoke("card", "999999", "-o", tmp_path / "x.png", "--config", config)
    assert missing.returncode == 1 and "no change #999999" in missing.stderr and not (tmp_path / "x.png").exists()


def test_the_change_page_links_its_card_with_the_alt_text(client, archive_path):  # noqa: F811
    change_id = _edit_id(archive_path)
    page = client(f"/-/change/{change_id}").text
    assert f'<img src="/-/change/{change_id}/card.png" alt="Silent edit to &#8220;Briefing&#8221;' in page \
        or f'<img src="/-/change/{change_id}/card.png" alt="Silent edit to “Briefing”' in page
    assert "Permalink: http://localhost/-/change/" in page          # the page's own address, no public_url
    assert f'download="change-{change_id}.png"' in page and "Removed (struck through on the card)" in page
    response = client(f"/-/change/{change_id}/card.png")
    assert response.status_code == 200 and response.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(response.content)).size == (1200, 675)
    assert client("/-/change/999999/card.png").status_code == 404
