"""The one road into the archive: a judged capture becomes capture, document, version and change
rows (and outbox rows), one document per transaction; source and extraction health events.

Imports core/, crawler.items, alerts.routing and storage/.
"""
