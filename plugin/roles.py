"""The parts of the service one `pathsentry serve` process runs (`--roles`)."""

import enum

from config import PathSentryError, Settings


class Role(enum.StrEnum):
    """One part of the service."""

    INGEST = "ingest"
    WEB = "web"
    EXPORT = "export"
    ANALYSIS = "analysis"


class RoleError(PathSentryError):
    """The roles asked for cannot run here; the message says why."""


def serve_roles(requested: str | None, settings: Settings) -> frozenset[Role]:
    """The roles of `serve`, from a comma-separated list (None: every role of this mode).

    In distributed mode (a broker is set) analysis runs in `pathsentry worker`, never in serve.
    """
    distributed = settings.jobs.distributed
    if requested is None:
        return frozenset(Role) - {Role.ANALYSIS} if distributed else frozenset(Role)
    names = [name.strip() for name in requested.split(",") if name.strip()]
    unknown = sorted(set(names) - {role.value for role in Role})
    if unknown or not names:
        raise RoleError(
            f"unknown role(s) {', '.join(unknown) or '(none given)'}: "
            f"use a comma-separated list of {', '.join(role.value for role in Role)}"
        )
    roles = frozenset(Role(name) for name in names)
    if distributed and Role.ANALYSIS in roles:
        raise RoleError(
            "jobs.broker_url is set (distributed mode): analysis runs in `pathsentry worker` "
            "processes, not in serve; use --roles ingest,web,export"
        )
    return roles
