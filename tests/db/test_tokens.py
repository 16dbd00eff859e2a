"""API tokens: shown once, stored hashed, unique names, revocable, seeded from settings."""

import pytest

from db import tokens
from db.errors import NotFoundError, TokenError
from db.models import ApiToken, Role
from db.session import Database


def test_a_created_token_authenticates_and_only_its_hash_is_stored(database: Database) -> None:
    with database.session() as session:
        issued = tokens.create_token(session, "dr.grey", Role.PATHOLOGIST)
        session.commit()
        stored = session.query(ApiToken).one()
        assert issued.secret.startswith(tokens.PREFIX) and len(issued.secret) > 40
        assert issued.secret not in (stored.token_hash, stored.name)
        token = tokens.authenticate(session, issued.secret)
        assert token is not None and (token.name, token.role) == ("dr.grey", Role.PATHOLOGIST)
        assert token.last_used_at is not None
        assert tokens.authenticate(session, issued.secret + "x") is None


def test_names_are_unique_and_revoked_tokens_stop_working(database: Database) -> None:
    with database.session() as session:
        issued = tokens.create_token(session, "scanner-room", Role.VIEWER)
        with pytest.raises(TokenError, match="exists already"):
            tokens.create_token(session, "scanner-room", Role.ADMIN)
        tokens.revoke_token(session, "scanner-room")
        session.commit()
        assert tokens.authenticate(session, issued.secret) is None
        assert [t.name for t in tokens.list_tokens(session)] == ["scanner-room"]
        with pytest.raises(NotFoundError):
            tokens.revoke_token(session, "nobody")


def test_seeding_sets_or_replaces_the_secret(database: Database) -> None:
    with database.session() as session:
        tokens.seed_token(session, "admin", Role.ADMIN, "first-secret-0123456789")
        tokens.seed_token(session, "admin", Role.ADMIN, "second-secret-0123456789")
        session.commit()
        assert tokens.authenticate(session, "first-secret-0123456789") is None
        assert tokens.authenticate(session, "second-secret-0123456789") is not None
        with pytest.raises(TokenError, match="too short"):
            tokens.seed_token(session, "admin", Role.ADMIN, "short")


def test_roles_are_ordered() -> None:
    assert Role.ADMIN.allows(Role.PATHOLOGIST)
    assert Role.PATHOLOGIST.allows(Role.VIEWER)
    assert not Role.VIEWER.allows(Role.PATHOLOGIST)
