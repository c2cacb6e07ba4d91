"""Who is asking: a client's coarse fingerprint, and per-client rate limits for public endpoints."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable

from flask import Blueprint, Response, current_app, jsonify, request

from traceapp.config import get_settings
from traceapp.db.sessions import get_database
from traceapp.scans import clones
from traceapp.verification.ratelimit import DEFAULT_LIMITS, Limit, RateLimiter
from traceapp.verification.ratelimit_store import Store, make_store

STORE_KEY = "traceapp.ratelimiter"
LOCAL_STORE_KEY = "traceapp.ratelimiter.local"


def client_fingerprint(**prefix: int) -> str:
    """A keyed hash of the client's network prefix: never the address itself."""
    settings = get_settings(current_app)
    assert settings.key_encryption_key is not None
    secret = hmac.new(settings.key_encryption_key, b"ocop/scan-client/v1", hashlib.sha256).digest()
    return clones.client_fingerprint(secret, request.remote_addr or "", **prefix)


def rate_limited(bucket: str, *, local: bool = False) -> int:
    """Seconds to wait, or 0; app.config["RATE_LIMITS"] overrides the default of any bucket.

    Counted in the store every worker and host share (traceapp/verification/ratelimit_store.py),
    made on first use: after gunicorn's fork, so no connection crosses it. ``local``: in this
    process's own counters instead, for answers served from memory that touch no database
    (a shared count would cost more than the answer; each worker then allows the limit)."""
    key = LOCAL_STORE_KEY if local else STORE_KEY
    limiter: Store | None = current_app.extensions.get(key)
    if limiter is None and local:
        limiter = current_app.extensions[key] = RateLimiter()
    if limiter is None:
        settings = get_settings(current_app)
        # The log's origin keeps two deployments sharing one Redis apart.
        prefix = current_app.config.get("RATE_LIMIT_KEY_PREFIX") or f"ocop:{settings.log_origin}"
        limiter = make_store(settings.ratelimit_storage_url, get_database(), prefix)
        current_app.extensions[STORE_KEY] = limiter
    limits: dict[str, Limit] = {**DEFAULT_LIMITS, **(current_app.config.get("RATE_LIMITS") or {})}
    # Full IPv4 address / IPv6 /64: one household, not a whole carrier-grade NAT /24.
    return limiter.hit(bucket, client_fingerprint(v4_bits=32, v6_bits=64), limits[bucket])


def limit_blueprint(
    bp: Blueprint, bucket: str, local_when: Callable[[], bool] | None = None
) -> None:
    """Rate-limit every request to ``bp`` per client; over the limit: 429 with Retry-After.
    ``local_when``: the requests counted per process (``rate_limited(local=True)``)."""

    def check() -> Response | None:
        wait = rate_limited(bucket, local=local_when is not None and local_when())
        if not wait:
            return None
        response = jsonify(
            error={
                "field": None,
                "message": f"too many requests; retry in {wait} s",
                "code": "RATE_LIMITED",
            }
        )
        response.status_code = 429
        response.headers["Retry-After"] = str(wait)
        return response

    hook: Callable[[], Response | None] = check
    bp.before_request(hook)
