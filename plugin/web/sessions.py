"""The dashboard's session cookie: a signed, expiring reference to a token, never the token.

The cookie holds the token's row id and an expiry, signed (HMAC-SHA256) with a key of this
installation over the token's stored hash too: revoking or re-seeding the token ends its
sessions, a changed byte is refused, and sent as a bearer token the cookie is worthless.
"""

import hashlib
import hmac
import logging
import os
import secrets
import time
from pathlib import Path

from sqlalchemy.orm import Session

from db import tokens
from db.models import ApiToken
from plugin.web.params import MAX_ROW_ID
from plugin.web.principal import COOKIE, Principal

log = logging.getLogger(__name__)

__all__ = ["COOKIE", "open_session", "session_key", "session_user"]

SESSION_SECONDS = 12 * 3600
KEY_FILE = "web-session.key"
KEY_BYTES = 32


def session_key(data_dir: Path) -> bytes:
    """The signing key in `data_dir` (shared by every web node there), made on first use."""
    path = data_dir / KEY_FILE
    if not path.exists():
        _write_key(path)
    key = path.read_bytes()
    if len(key) != KEY_BYTES:
        raise ValueError(f"{path} is damaged ({len(key)} bytes): delete it to make a new one")
    return key


def open_session(token: ApiToken, key: bytes, *, now: float | None = None) -> str:
    """The cookie value of a new session of `token`."""
    expires = int((now or time.time()) + SESSION_SECONDS)
    return f"{token.id}.{expires}.{_signature(key, token.id, expires, token.token_hash)}"


def session_user(
    session: Session, cookie: str | None, key: bytes, *, now: float | None = None
) -> Principal | None:
    """The user of a valid, unexpired session cookie, or None."""
    parts = (cookie or "").split(".")
    if len(parts) != 3 or not (parts[0].isdigit() and parts[1].isdigit()):
        return None
    token_id, expires = int(parts[0]), int(parts[1])
    if expires < (now or time.time()) or token_id > MAX_ROW_ID:
        return None
    token = tokens.active_token(session, token_id)
    if token is None:
        return None
    if not hmac.compare_digest(parts[2], _signature(key, token_id, expires, token.token_hash)):
        return None
    return Principal(token.name, token.role, credential=cookie or "")


def _signature(key: bytes, token_id: int, expires: int, token_hash: str) -> str:
    message = f"{token_id}.{expires}.{token_hash}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _write_key(path: Path) -> None:
    """Write a fresh key atomically; when another process won the race, keep its key."""
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(secrets.token_bytes(KEY_BYTES))
    try:
        os.link(draft, path)
        log.info("made the dashboard session key %s", path)
    except FileExistsError:
        pass
    finally:
        draft.unlink()
