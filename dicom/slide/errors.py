"""What goes wrong when a slide is opened or read; each message says what and where."""

from config.errors import PathSentryError


class SlideError(PathSentryError):
    """A slide cannot be opened or read."""


class NoSlideError(SlideError):
    """A folder holds no readable whole-slide image."""


class SlideReadError(SlideError):
    """A region of an opened slide cannot be read."""
