"""Errors raised while writing a whole-slide image."""

from config.errors import PathSentryError


class SlideWriteError(PathSentryError):
    """A slide cannot be written as asked; the message names the parameter to change."""
