"""The one road into the archive: `record()` turns a judged capture (live, from a web archive, or a
stored one extracted again) into capture, document, version, change and outbox rows, one document
per transaction; also source and extraction health events.

Imports core/, crawler.items, alerts.routing and storage/.
"""
