"""The clustered mode's coordinator: seeds the shared frontier and drains the capture stream into
record/. The worker's Scrapy components live in crawler/cluster/.

Imports crawler/, record/ and storage/.
"""
