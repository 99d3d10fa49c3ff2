"""Passes: one pass now (`run.py`'s `run_pass`: lock, plan, run here or on the cluster, deliver),
a pass in this process (`local.py`) and the book-keeping every pass keeps (`book.py`, which the
cluster's coordinator holds too), the daemon that runs them on a schedule, what ran (status),
re-extraction, and one page through a profile.

Imports crawler/, core/, record/, parallel/, cluster/, alerts/ and storage/; never the CLI.
"""
