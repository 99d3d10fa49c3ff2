"""In process, no subprocess and no network: `pytest tests/unit` runs in seconds."""
