"""Logging, configured once at start-up by the command line."""

import logging
import sys
from pathlib import Path

FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"

# Libraries that log dataset contents (patient identifiers) at DEBUG or chatter at INFO.
_QUIET_LIBRARIES = (
    "pynetdicom",
    "highdicom",
    "wsidicom",
    "PIL",
    "matplotlib",
    "httpx",
    "multipart",
    "alembic",
    "uvicorn.access",
)
# pydicom's warnings about odd values quote the values, a patient's name among them.
_VALUE_QUOTING_LIBRARIES = ("pydicom",)


def configure_logging(
    level: str = "INFO", *, file: Path | None = None, console_level: str | None = None
) -> None:
    """Send our log records at `level` to stderr (at `console_level`, when given) and to
    `file`, if given; libraries stay at WARNING (pydicom at ERROR) unless DEBUG."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    console = logging.StreamHandler(sys.stderr)
    console.setLevel(console_level or level)
    handlers: list[logging.Handler] = [console]
    if file is not None:
        file.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(file, encoding="utf-8"))
    for handler in handlers:
        handler.setFormatter(logging.Formatter(FORMAT))
        root.addHandler(handler)
    root.setLevel(level)
    debug = level == "DEBUG"
    for name in _QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(logging.DEBUG if debug else logging.WARNING)
    for name in _VALUE_QUOTING_LIBRARIES:
        logging.getLogger(name).setLevel(logging.DEBUG if debug else logging.ERROR)
