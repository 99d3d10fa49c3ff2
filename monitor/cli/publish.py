"""The commands that publish one change: `card` (a PNG to share and its alt text)."""
from __future__ import annotations

from pathlib import Path

import click

from remarkwatch.cli.options import open_archive, with_config
from remarkwatch.cli.render import safe
from remarkwatch.errors import NotFound


def alt_path(output: Path) -> Path:
    """Where the alt text goes beside a card: edit.png -> edit.alt.txt."""
    return output.with_suffix(".alt.txt")


@click.command()
@with_config
@click.argument("change_id", type=int)
@click.option("--output", "-o", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Write the PNG here; its alt text is written beside it (edit.png -> edit.alt.txt).")
@click.option("--alt", "print_alt", is_flag=True, help="Also print the alt text.")
def card(config, change_id, output, print_alt):
    """Draw a change as a 1200x675 PNG to share: title, source, date, speaker, the sentence with
    removed words struck and added words highlighted, "silent edit", and the permalink (the
    change's page under `public_url`, else the release's URL).

    Example: remarkwatch card 36 -o edit.png --alt
    """
    from remarkwatch.publish import card as drawing
    from remarkwatch.publish.edit import alt_text, load

    db = open_archive(config)
    content = load(db, change_id, config.public_url)
    if content is None:
        raise NotFound(f"{config.db_path}: no change #{change_id} (see `remarkwatch changes`)")
    alt = alt_text(content)
    output.write_bytes(drawing.render(content))
    alt_path(output).write_text(alt + "\n", encoding="utf-8")
    click.echo(f"wrote {output} (1200x675) and its alt text to {alt_path(output)}", err=True)
    if print_alt:
        click.echo(safe(alt))
