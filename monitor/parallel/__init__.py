"""Helper processes of a pass: pages judged, prepared and written outside the reactor's process.

Imports crawler/, core/, record/ and storage/; never passes/ or the CLI.
"""
