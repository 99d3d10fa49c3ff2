"""The clustered mode's worker side: Scrapy components that share a frontier in Redis and push
captures to a stream. Chosen by settings; the single-machine crawler never imports them.
"""
