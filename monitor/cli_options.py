"""Options every command shares: --config and --db, and loading the configuration they name."""
from __future__ import annotations

import functools

import click

from monitor.config import load_config


def config_options(func):
    """Add --config and --db to a command (passed on as `config_path` and `db_flag`)."""
    func = click.option("--db", "db_flag", help="Database file; overrides `db` in the config and $REMARKWATCH_DB.")(func)
    return click.option("--config", "config_path", type=click.Path(dir_okay=False),
                        help="Config file (default: ./remarkwatch.toml, else the bundled default).")(func)


def with_config(func):
    """Add --config and --db to a command and pass the loaded Config as `config`."""
    @config_options
    @functools.wraps(func)
    def wrapper(config_path, db_flag, **kwargs):
        return func(config=load_config(config_path, db_flag=db_flag), **kwargs)
    return wrapper
