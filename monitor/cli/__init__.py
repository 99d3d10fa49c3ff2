"""The command line (click only): parse flags, call one function, render; errors become exit codes.

The only wing that may import every other one.
"""
