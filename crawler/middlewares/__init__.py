"""Scrapy middlewares and the duplicate filter, named in settings by dotted path."""
