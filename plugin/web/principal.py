"""Who is calling: a token's name and role, from a bearer header or the dashboard session."""

import hashlib
from dataclasses import dataclass

from sqlalchemy.orm import Session

from db import tokens
from db.models import Role

COOKIE = "pathsentry_session"


@dataclass(frozen=True)
class Principal:
    """The authenticated caller; `credential` is what proved it (bearer secret or session)."""

    name: str
    role: Role
    credential: str

    def allows(self, needed: Role) -> bool:
        """Whether the caller's role includes `needed`."""
        return self.role.allows(needed)

    @property
    def csrf_token(self) -> str:
        """A per-session value that dashboard forms echo back (a forged form cannot know it)."""
        return hashlib.sha256(b"pathsentry-csrf:" + self.credential.encode()).hexdigest()


def identify(session: Session, secret: str | None) -> Principal | None:
    """The caller holding `secret`, or None when it is missing, unknown or revoked."""
    if not secret:
        return None
    token = tokens.authenticate(session, secret)
    if token is None:
        return None
    session.commit()  # keeps last_used_at, before the request's own work
    return Principal(token.name, token.role, secret)
