"""The clustered mode's coordinator: seeds the shared frontier and drains the capture stream into
record/ (`coordinator.py`, its book-keeping a passes/book.py PassBook, shared with the local pass),
accepting only signed, bounded entries of a worker's form on the source's hosts (`intake.py`);
the Redis connection and status (`connection.py`); the `remarkwatch worker` process
(`worker_process.py`). The worker's Scrapy components live in crawler/cluster/.

Imports crawler/, passes/book (and passes/local's download delay, for the worker), record/ and storage/.
"""
