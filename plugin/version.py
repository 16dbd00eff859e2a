"""The version of PathSentry that runs: the installed distribution's."""

from importlib import metadata

DISTRIBUTION = "pathsentry"


def service_version() -> str:
    """The installed version, or "unknown" when the code runs from an uninstalled checkout."""
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return "unknown"
