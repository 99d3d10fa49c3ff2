"""Alerts: channels registered by `kind`, routing rules, a durable outbox and its sender."""
