"""The one exception base of PathSentry; every package raises subclasses of it."""


class PathSentryError(Exception):
    """Base of every error PathSentry raises on purpose; the message tells the user what to do."""


class ConfigError(PathSentryError):
    """The settings are invalid or cannot be read."""
