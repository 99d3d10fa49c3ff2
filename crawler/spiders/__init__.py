"""Spiders: one generic spider driven by a site profile."""
