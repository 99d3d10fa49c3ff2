"""What every helper process of a crawl does first (extraction workers, the archive writer)."""
from __future__ import annotations

import os
import signal
import threading
import time


def guard() -> None:
    """Ignore SIGINT and SIGTERM: they go to the whole process group (Ctrl-C, systemd), and the
    crawling process finishes its pages gracefully, then shuts its helpers down. When the crawling
    process is killed outright (kill -9, the OOM killer), notice within a second that the parent
    is gone and exit: a pool process would otherwise wait for work forever."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, name="remarkwatch-parent-watch", daemon=True).start()
