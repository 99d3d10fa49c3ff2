"""Options every command shares: --config and --db, loading the configuration they name, and
opening the archive for commands that only read it."""
from __future__ import annotations

import functools

import click

from remarkwatch.alerts.channels.base import secret_values
from remarkwatch.config import load_config
from remarkwatch.errors import NotFound
from remarkwatch.untrusted import LOG_FILTER
from remarkwatch.storage.db import MissingDatabase, open_db

CONFIG_HELP = "Config file (default: $REMARKWATCH_CONFIG, else ./remarkwatch.toml, else the bundled default)."
DB_HELP = "Database file; overrides `db` in the config and $REMARKWATCH_DB."


def config_options(func):
    """Add --config and --db to a command (passed on as `config_path` and `db_flag`). Either may
    also be given before the command (`remarkwatch --config F status`); after it wins."""
    @click.option("--config", "config_path", type=click.Path(dir_okay=False), help=CONFIG_HELP)
    @click.option("--db", "db_flag", help=DB_HELP)
    @functools.wraps(func)
    def wrapper(config_path, db_flag, **kwargs):
        ctx = click.get_current_context()
        group = (ctx.find_root().obj or {}) if ctx.find_root() is not ctx else {}
        return func(config_path=config_path or group.get("config_path"),
                    db_flag=db_flag or group.get("db_flag"), **kwargs)
    return wrapper


def with_config(func):
    """Add --config and --db to a command and pass the loaded Config as `config`."""
    @config_options
    @functools.wraps(func)
    def wrapper(config_path, db_flag, **kwargs):
        config = load_config(config_path, db_flag=db_flag)
        register_secrets(config)
        return func(config=config, **kwargs)
    return wrapper


def register_secrets(config, env=None) -> None:
    """Teach the log filter every secret the alert channels name (values of their environment
    variables, literal hook URLs), so no log record, ours or a library's, can show one."""
    for channel in config.alerts:
        LOG_FILTER.add(*secret_values(channel, env))      # what each kind declares secret


def open_archive(config):
    """The archive, opened for reading only: never created, readable on read-only storage."""
    try:
        return open_db(config.db_path, readonly=True)
    except MissingDatabase:
        origin = f"{config.path} (bundled default)" if config.bundled else str(config.path)
        raise NotFound(f"no archive at {config.db_path} (config: {origin}); a first `remarkwatch crawl` "
                       f"creates it, or name yours with --config, --db or $REMARKWATCH_CONFIG") from None
