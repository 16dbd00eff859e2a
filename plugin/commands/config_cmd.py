"""`pathsentry config`: look at the effective settings."""

import json
import re
from typing import Annotated, Any

import tomli_w
import typer

from config import Settings

app = typer.Typer(help="Inspect the effective settings.", no_args_is_help=True)

_URL_PASSWORD = re.compile(r"(?<=://)([^:/@]+):[^@]*@")


@app.command("show")
def show(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of TOML.")] = False,
) -> None:
    """Print the effective settings (defaults, file, environment), with secrets masked."""
    settings: Settings = ctx.obj
    shown = masked(settings)
    typer.echo(json.dumps(shown, indent=2) if as_json else tomli_w.dumps(shown))


def masked(settings: Settings) -> dict[str, Any]:
    """The settings as plain data; tokens and database passwords replaced by asterisks."""
    data = settings.model_dump(mode="json", exclude_none=True)
    data["db"]["url"] = _URL_PASSWORD.sub(r"\1:***@", data["db"]["url"])
    return data
