"""The share card of a change as a page asset: `/-/change/ID/card.png` (the PNG `remarkwatch
card` writes) and the alt text and link the change page shows with it."""
from __future__ import annotations

import asyncio

import sqlite_utils
from datasette.utils.asgi import NotFound, Response

from remarkwatch.publish import card as drawing
from remarkwatch.publish.edit import alt_text, card_edit, load


def permalink(datasette, request, links, change_id: int) -> str:
    """The change page's address: under the plugin's `public_url` when set, else as requested."""
    public = ((datasette.plugin_config("remarkwatch") or {}).get("public_url") or "").rstrip("/")
    path = links.change(change_id)
    return public + path if public else datasette.absolute_url(request, path)


def card_alt(change: dict, rows, link: str) -> str:
    """The alt text of the change's card (the change page's <img alt>)."""
    return alt_text(card_edit(change, rows, link))


async def card_response(database, change_id: int, link: str) -> Response:
    """The card's PNG (drawn off the event loop), or NotFound."""
    content = await database.execute_fn(lambda conn: load(sqlite_utils.Database(conn), change_id, link=link))
    if content is None:
        raise NotFound(f"No change #{change_id}")
    png = await asyncio.get_running_loop().run_in_executor(None, drawing.render, content)
    return Response(png, content_type="image/png",
                    headers={"content-disposition": f'inline; filename="change-{change_id}.png"',
                             "cache-control": "max-age=300"})
