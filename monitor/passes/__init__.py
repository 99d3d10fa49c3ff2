"""Passes: one pass now (`run_pass`: lock, plan, run here or on the cluster, deliver), the daemon
that runs them on a schedule, what ran (status), re-extraction, and one page through a profile.

Imports crawler/, core/, record/, parallel/, cluster/, alerts/ and storage/; never the CLI.
"""
