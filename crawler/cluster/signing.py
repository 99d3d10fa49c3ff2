"""What the cluster puts in Redis carries an HMAC-SHA256 with the cluster's secret: frontier
requests, the pass contexts and the capture stream's entries. Whoever can write to the Redis but
does not hold the secret can no longer have a worker fetch a page or the writer record one: what
fails the check is refused (the callers move it to the dead-letter stream).

The secret comes from the environment (`$REMARKWATCH_CLUSTER_SECRET`, read by monitor/cluster), is
never written to Redis, the archive or a log; a `Signer` without one (the `insecure_unsigned`
opt-in) signs and checks nothing.
"""
from __future__ import annotations

import hashlib
import hmac

SECRET_ENV = "REMARKWATCH_CLUSTER_SECRET"
SIGNATURE_FIELD = "sig"
_PREFIX = b"v1."           # a signed frontier member or context: v1.<hex HMAC>.<JSON>


class BadSignature(ValueError):
    """A frontier request, pass context or stream entry without a valid HMAC of the cluster secret."""


class Signer:
    def __init__(self, secret: bytes | None):
        self._secret = secret

    @property
    def signing(self) -> bool:
        return self._secret is not None

    def _mac(self, data: bytes) -> str:
        return hmac.new(self._secret, data, hashlib.sha256).hexdigest()

    def fingerprint(self) -> str:
        """A digest that tells two secrets apart without revealing either (a worker compares it)."""
        return self._mac(b"remarkwatch cluster secret check")[:16] if self.signing else "unsigned"

    # A frontier member or a pass context: one value.
    def wrap(self, payload: bytes) -> bytes:
        if not self.signing:
            return payload
        return _PREFIX + self._mac(payload).encode() + b"." + payload

    def unwrap(self, data: bytes) -> bytes:
        if not self.signing:
            return data
        if not data.startswith(_PREFIX) or data.count(b".", len(_PREFIX)) < 1:
            raise BadSignature("not signed with the cluster secret")
        signature, payload = data[len(_PREFIX):].split(b".", 1)
        if not hmac.compare_digest(signature, self._mac(payload).encode()):
            raise BadSignature("its signature does not match the cluster secret")
        return payload

    # A stream entry: every field, in a form where no two entries read alike.
    def sign_fields(self, fields: dict) -> dict:
        if not self.signing:
            return fields
        return {**fields, SIGNATURE_FIELD: self._mac(_canonical(fields))}

    def check_fields(self, fields: dict) -> None:
        """Raise BadSignature unless the entry (as Redis returns it: bytes keys and values) is
        signed with the cluster secret."""
        if not self.signing:
            return
        given = fields.get(SIGNATURE_FIELD.encode())
        if given is None:
            raise BadSignature("the entry is not signed with the cluster secret")
        rest = {k: v for k, v in fields.items() if k != SIGNATURE_FIELD.encode()}
        if not hmac.compare_digest(given, self._mac(_canonical(rest)).encode()):
            raise BadSignature("the entry's signature does not match the cluster secret")


def _bytes(value) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode()


def _canonical(fields: dict) -> bytes:
    """Every field, sorted, each name and value preceded by its length."""
    parts = []
    for key, value in sorted((_bytes(k), _bytes(v)) for k, v in fields.items()):
        parts += [b"%d:" % len(key), key, b"%d:" % len(value), value]
    return b"".join(parts)
