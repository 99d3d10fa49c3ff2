"""Pure: normalise, transcripts, alignment, side by side, edit detection, re-check rules.

No network, no SQL, no clock (pass `now` in). Imports nothing of remarkwatch outside core/.
"""
