"""The clustered mode's worker side: Scrapy components that share a frontier in Redis
(`frontier.py`), pace each host across every worker (`pacing.py`) and push captures to a stream
(`stream.py`), with one spider for every source (`worker.py`); everything put in Redis is signed
with the cluster secret (`signing.py`). Chosen by settings; the single-machine crawler never
imports them.
"""
