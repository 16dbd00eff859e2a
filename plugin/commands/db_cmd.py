"""`pathsentry db`: create or migrate the database schema."""

import sqlalchemy as sa
import typer

from config import Settings
from db.migrate import head_revision, upgrade

app = typer.Typer(help="Create or migrate the database.", no_args_is_help=True)


@app.command("upgrade")
def upgrade_command(ctx: typer.Context) -> None:
    """Create the tables, or migrate them to this version (back up the database first)."""
    settings: Settings = ctx.obj
    revision = upgrade(settings.database_url)
    shown = sa.make_url(settings.database_url).render_as_string(hide_password=True)
    typer.echo(f"database {shown} is at revision {revision} (newest: {head_revision()})")
