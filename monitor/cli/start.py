"""The commands that start a new configuration: `init` (a starter file for the bundled site
profiles, with one commented alert channel of each kind) and `profiles` (what they are)."""
from __future__ import annotations

import json
from pathlib import Path

import click

from remarkwatch.errors import ConfigError


@click.command()
@click.argument("path", type=click.Path(dir_okay=False), default="remarkwatch.toml")
@click.option("--profile", "chosen", multiple=True, metavar="NAME",
              help="Watch this bundled profile's sources (repeatable; default state.gov); "
                   "the other profiles' are written commented out. See `remarkwatch profiles`.")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def init(path, chosen, force):
    """Write a commented starter configuration: the sources to start with of every bundled site
    profile (state.gov's, or those of --profile, uncommented) and one commented alert channel
    of each kind.

    Example: remarkwatch init --profile whitehouse.gov --profile gov.uk ~/remarkwatch/remarkwatch.toml
    """
    from remarkwatch.starter import starter_config

    target = Path(path)
    if target.exists() and not force:
        raise ConfigError(f"{target}: already exists; pass --force to overwrite it")
    text = starter_config(tuple(chosen))
    target.write_text(text, encoding="utf-8")
    click.echo(f"wrote {target} (watching {', '.join(chosen or ('state.gov',))}); "
               f"check it with: remarkwatch check-config --config {target}")


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def profiles(as_json):
    """List the site profiles, a line each: name, site, signals, description; below it the
    sources each offers to start with (`remarkwatch init --profile NAME` writes them).

    Example: remarkwatch profiles
    """
    from remarkwatch.crawler.profiles import load_profiles

    found = load_profiles()
    if as_json:
        click.echo(json.dumps([{"name": p.name, "site": p.site, "hosts": list(p.hosts), "description": p.description,
                                "eras": [e.name for e in p.eras], "sitemaps": list(p.sitemaps),
                                "feeds": list(p.feeds), "rest": list(p.rest),
                                "starts": [{"name": s.name, "start_urls": list(s.start_urls), "note": s.note}
                                           for s in p.starts]}
                               for p in found.values()], indent=2))
        return
    for p in sorted(found.values(), key=lambda p: p.name):
        signals = ", ".join(k for k, v in (("sitemaps", p.sitemaps), ("feeds", p.feeds), ("rest", p.rest)) if v)
        click.echo(f"{p.name:<16} {p.site:<20} signals: {signals or 'none':<24} {p.description}")
        if p.hosts or p.eras:
            click.echo(f"{'':<16} " + "; ".join(filter(None, [
                f"also reads {', '.join(p.hosts)}" if p.hosts else "",
                f"older layouts: {', '.join(e.name for e in p.eras)}" if p.eras else ""])))
        for start in p.starts:
            click.echo(f"{'':<16} start {start.name}: {' '.join(start.start_urls)}")
