"""Errors raised while writing PathSentry's results (segmentation and structured report)."""

from config.errors import PathSentryError


class ResultWriteError(PathSentryError):
    """A result cannot be written from what was given; the message names what to change."""
