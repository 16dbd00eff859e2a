"""`pathsentry token`: create, list and revoke the bearer tokens of the web API and dashboard."""

import contextlib
import getpass
from collections.abc import Iterator
from typing import Annotated

import typer

from config import Settings
from db import audit, tokens
from db.migrate import require_current
from db.models import ApiToken, Role
from db.session import Database, open_database

app = typer.Typer(help="Manage access tokens (web API and dashboard).", no_args_is_help=True)


@app.command("create")
def create(
    ctx: typer.Context,
    role: Annotated[Role, typer.Option(help="viewer reads; pathologist also reviews; admin all.")],
    name: Annotated[str, typer.Option(help="Who or what uses it (unique; shown in the audit).")],
) -> None:
    """Create a token and print it once (only its hash is stored: keep it safe)."""
    with _database(ctx) as database, database.session() as session:
        issued = tokens.create_token(session, name, role)
        audit.record(session, _operator(), audit.Action.TOKEN_CREATE, detail=f"{name} ({role})")
        session.commit()
    typer.echo(f"token for {name!r} ({role}); it is shown only now:", err=True)
    typer.echo(issued.secret)


@app.command("list")
def list_command(ctx: typer.Context) -> None:
    """List tokens: name, role, when created and last used, and whether revoked."""
    with _database(ctx) as database, database.session() as session:
        rows = [_describe(token) for token in tokens.list_tokens(session)]
    typer.echo("\n".join(rows) if rows else "no tokens yet: pathsentry token create --help")


@app.command("revoke")
def revoke(
    ctx: typer.Context, name: Annotated[str, typer.Argument(help="The token's name.")]
) -> None:
    """Revoke a token; it stops working at once."""
    with _database(ctx) as database, database.session() as session:
        tokens.revoke_token(session, name)
        audit.record(session, _operator(), audit.Action.TOKEN_REVOKE, detail=name)
        session.commit()
    typer.echo(f"revoked {name!r}")


@contextlib.contextmanager
def _database(ctx: typer.Context) -> Iterator[Database]:
    """The settings' database, checked to be at the current schema, closed afterwards."""
    settings: Settings = ctx.obj
    database = open_database(settings)
    try:
        require_current(database)
        yield database
    finally:
        database.dispose()


def _operator() -> str:
    return f"cli:{getpass.getuser()}"


def _describe(token: ApiToken) -> str:
    def when(value: object) -> str:
        return "never" if value is None else f"{value:%Y-%m-%d %H:%M}"

    state = f"revoked {when(token.revoked_at)}" if token.revoked_at else "active"
    return (
        f"{token.name}\t{token.role}\t{state}\tcreated {when(token.created_at)}"
        f"\tlast used {when(token.last_used_at)}"
    )
