"""Alert channels: one module per kind, registered by `kind`."""
