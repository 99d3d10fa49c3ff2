"""`python -m monitor` runs the remarkwatch CLI."""
from monitor.cli import cli

cli(prog_name="remarkwatch")
