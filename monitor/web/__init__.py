"""The web view: a Datasette plugin (newsroom pages, links between rows, canned queries) registered
by entry point.

Datasette finds a plugin's templates beside the registered package, so the hooks are exported here.
"""
from remarkwatch.web.plugin import (
    get_metadata, prepare_connection, prepare_jinja2_environment, register_routes, render_cell,
)

__all__ = ["get_metadata", "prepare_connection", "prepare_jinja2_environment", "register_routes", "render_cell"]
