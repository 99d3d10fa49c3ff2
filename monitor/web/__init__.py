"""The web view: a Datasette plugin (change pages, links between rows) registered by entry point.

Datasette finds a plugin's templates beside the registered package, so the hooks are exported here.
"""
from monitor.web.plugin import prepare_connection, register_routes, render_cell

__all__ = ["prepare_connection", "register_routes", "render_cell"]
