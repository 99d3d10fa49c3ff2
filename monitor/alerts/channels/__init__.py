"""Alert channels: one module per kind, each declaring `CHANNEL`, an instance of its ChannelKind
subclass (base.py); registry.py finds them by `kind`."""
