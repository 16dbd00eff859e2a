"""Every command's --help: the DESIGN's commands exist, and no word of their help is lost."""

import re
from typing import Any

import pytest
import typer.main
from typer.core import TyperGroup
from typer.testing import CliRunner

from plugin.cli import app

DESIGN_COMMANDS = [
    "serve",
    "demo",
    "synth",
    "infer",
    "train",
    "evaluate",
    "bench",
    "db upgrade",
    "config show",
]


def _commands(group: TyperGroup, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found: list[tuple[str, ...]] = []
    for name, command in group.commands.items():
        path = (*prefix, name)
        if isinstance(command, TyperGroup):
            found.extend(_commands(command, path))
        else:
            found.append(path)
    return found


def _words(text: str) -> list[str]:
    return re.findall(r"[A-Za-z0-9]+", text)


ROOT = typer.main.get_command(app)
assert isinstance(ROOT, TyperGroup)
COMMANDS = _commands(ROOT)


def test_the_commands_of_the_design_exist() -> None:
    assert {" ".join(path) for path in COMMANDS} >= set(DESIGN_COMMANDS)


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_help_shows_every_word_of_the_command_and_option_texts(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "400"})
    assert result.exit_code == 0, result.output
    shown = " ".join(_words(result.output))
    command: Any = ROOT
    for name in path:
        command = command.commands[name]
    texts = [command.help or ""] + [getattr(param, "help", None) or "" for param in command.params]
    for text in texts:
        # Typer shows the docstring up to its form feed, if any; markdown drops only markup.
        expected = " ".join(_words(text.split("\f")[0]))
        assert expected in shown, f"{' '.join(path)}: {text!r} is not shown whole"
