"""API tokens: random secrets handed out once; only their SHA-256 is stored.

A fast hash is enough here because the secrets are 256-bit random values, not passwords:
there is nothing to guess. Lookups go by hash, so no secret is ever compared in the clear.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from db.errors import NotFoundError, TokenError
from db.models import ApiToken, Role, utcnow

PREFIX = "pst_"
MIN_SECRET_LENGTH = 16
# Recording every use would turn each read into a write; once a minute says enough.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class IssuedToken:
    """A new token: `secret` is shown to the user once and never stored."""

    name: str
    role: Role
    secret: str


def hash_secret(secret: str) -> str:
    """The stored form of a secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(session: Session, name: str, role: Role) -> IssuedToken:
    """Create a token with a fresh random secret; names are unique for ever (audit names them)."""
    name = name.strip()
    if not name:
        raise TokenError("a token needs a name (who or what uses it)")
    if session.scalar(sa.select(ApiToken.id).where(ApiToken.name == name)) is not None:
        raise TokenError(
            f"a token named {name!r} exists already (revoked or not); pick another name"
        )
    secret = PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(name=name, role=role, token_hash=hash_secret(secret)))
    session.flush()
    return IssuedToken(name, role, secret)


def seed_token(session: Session, name: str, role: Role, secret: str) -> ApiToken:
    """Make `secret` a valid token named `name` (e.g. the admin token from the settings)."""
    if len(secret) < MIN_SECRET_LENGTH:
        raise TokenError(
            f"the token for {name!r} is too short: use at least {MIN_SECRET_LENGTH} random "
            "characters (for example the output of `openssl rand -hex 32`)"
        )
    token = session.scalar(sa.select(ApiToken).where(ApiToken.name == name))
    if token is None:
        token = ApiToken(name=name, role=role, token_hash=hash_secret(secret))
        session.add(token)
    else:
        token.role, token.token_hash, token.revoked_at = role, hash_secret(secret), None
    session.flush()
    return token


def authenticate(session: Session, secret: str, *, now: datetime | None = None) -> ApiToken | None:
    """The active token with this secret, or None; notes when it was last used."""
    token = session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == hash_secret(secret)))
    if token is None or token.revoked_at is not None:
        return None
    now = now or utcnow()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        token.last_used_at = now
        session.flush()
    return token


def active_token(session: Session, token_id: int) -> ApiToken | None:
    """The token with this row id, unless it is unknown or revoked (for dashboard sessions)."""
    token = session.get(ApiToken, token_id)
    return None if token is None or token.revoked_at is not None else token


def any_active_token(session: Session) -> bool:
    """Whether at least one token works (else nobody can use the API or log in)."""
    active = sa.select(ApiToken.id).where(ApiToken.revoked_at.is_(None)).limit(1)
    return session.scalar(active) is not None


def list_tokens(session: Session) -> list[ApiToken]:
    """Every token, revoked ones included, by name."""
    return list(session.scalars(sa.select(ApiToken).order_by(ApiToken.name)))


def revoke_token(session: Session, name: str, *, now: datetime | None = None) -> ApiToken:
    """Revoke the token named `name`; it stops working at once."""
    token = session.scalar(sa.select(ApiToken).where(ApiToken.name == name))
    if token is None:
        raise NotFoundError("token named", repr(name))
    token.revoked_at = token.revoked_at or now or utcnow()
    session.flush()
    return token
