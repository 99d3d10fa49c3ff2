"""Loopback servers (HTTP replica, SMTP, webhook receiver, Datasette) and real crawls."""
