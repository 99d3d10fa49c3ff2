"""What one delivery attempt came to."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Result:
    ok: bool
    status: int | None = None   # HTTP status or SMTP reply code, when there was one
    error: str | None = None
