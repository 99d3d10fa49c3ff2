"""`python -m remarkwatch` runs the remarkwatch CLI."""
from remarkwatch.cli.main import cli

cli(prog_name="remarkwatch")
