"""`pathsentry config`: look at the effective settings."""

import json
import re
from typing import Annotated, Any

import tomli_w
import typer

from config import Settings

app = typer.Typer(help="Inspect the effective settings.", no_args_is_help=True)

_URL_PASSWORD = re.compile(r"(?<=://)([^:/@]+):[^@]*@")
UNSET = ""  # how the defaults file writes "not set" (TOML has no null)


@app.command("show")
def show(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of TOML.")] = False,
) -> None:
    """Print the effective settings (defaults, file, environment), every key, secrets masked.

    Keys that are not set show as "" (TOML) or null (JSON). The database URL in use, which
    defaults to a SQLite file in the data directory, comes first (as `database_url` in JSON).
    """
    settings: Settings = ctx.obj
    shown = masked(settings)
    database_url = mask_url(settings.database_url)
    if as_json:
        typer.echo(json.dumps({"database_url": database_url, **shown}, indent=2))
    else:
        typer.echo(f"# effective database URL: {database_url}\n" + tomli_w.dumps(_unset(shown)))


def masked(settings: Settings) -> dict[str, Any]:
    """The settings as plain data; tokens and database passwords replaced by asterisks."""
    data = settings.model_dump(mode="json")
    data["db"]["url"] = mask_url(data["db"]["url"])
    return data


def mask_url(url: str) -> str:
    """`url` with its password replaced by asterisks."""
    return _URL_PASSWORD.sub(r"\1:***@", url)


def _unset(data: Any) -> Any:
    if isinstance(data, dict):
        return {key: _unset(value) for key, value in data.items()}
    if isinstance(data, list):
        return [_unset(value) for value in data]
    return UNSET if data is None else data
