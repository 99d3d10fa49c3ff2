"""History and evidence: Wayback Machine backfill, WARC export and table exports.

Imports crawler/, core/, record/ and storage/.
"""
