"""Whether this process can do its work: one verdict per role it runs, plus what they share.

The web server's /healthz and the health port of a process without one (`serve --health-port`,
`pathsentry worker --metrics-port`) give the same report.
"""

from plugin.health.checks import (
    NOT_USED,
    OK,
    WARMING,
    HealthReport,
    ProcessHealth,
    alive,
    broker_reachable,
    database_up,
    storage_writable,
)
from plugin.health.server import HealthPortError, HealthServer

__all__ = [
    "NOT_USED",
    "OK",
    "WARMING",
    "HealthPortError",
    "HealthReport",
    "HealthServer",
    "ProcessHealth",
    "alive",
    "broker_reachable",
    "database_up",
    "storage_writable",
]
