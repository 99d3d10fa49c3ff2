"""Fetch and extract: Scrapy spiders driven by site profiles. Never decides what changed."""
