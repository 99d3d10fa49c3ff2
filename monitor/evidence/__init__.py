"""Independent proof from a third party: the Internet Archive's Save Page Now (SPN2) asked to capture
an edited page when the change is detected. `settings.py` (the `[save_page_now]` table), `spn.py`
(the SPN2 API client), `queue.py` (the sender: the queue's requests, bounded in time, retried with
backoff). Imports core/, errors and storage/ only."""
