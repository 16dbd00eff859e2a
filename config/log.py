"""Logging, configured once at start-up by the command line."""

import logging
import sys

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


def configure_logging(level: str = "INFO") -> None:
    """Send our log records to stderr at `level`; libraries stay at WARNING unless DEBUG."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(FORMAT))
    root.addHandler(handler)
    root.setLevel(level)
    library_level = logging.DEBUG if level == "DEBUG" else logging.WARNING
    for name in _QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(library_level)
