"""Errors raised while loading site profiles."""


class ProfileError(Exception):
    """A site profile file is missing, unreadable or has an invalid key."""
