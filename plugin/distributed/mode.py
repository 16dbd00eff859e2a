"""What distributed mode needs from the settings before anything starts."""

import sqlalchemy as sa

from config import PathSentryError, Settings


class DistributedSetupError(PathSentryError):
    """Distributed mode cannot start with these settings; the message says what to change."""


def require_distributed_database(settings: Settings) -> None:
    """Distributed mode shares one PostgreSQL database between machines: SQLite is refused."""
    if not settings.jobs.distributed:
        return
    backend = sa.make_url(settings.database_url).get_backend_name()
    if backend != "postgresql":
        raise DistributedSetupError(
            f"jobs.broker_url is set (distributed mode), but the database is {backend}: "
            "every machine must share one PostgreSQL database. Set db.url "
            "(PATHSENTRY_DB__URL=postgresql+psycopg://...) or leave jobs.broker_url empty "
            "to run everything in one process"
        )


def require_broker(settings: Settings) -> None:
    """`pathsentry worker` only makes sense with a broker to take messages from."""
    if not settings.jobs.distributed:
        raise DistributedSetupError(
            "jobs.broker_url is empty: `pathsentry worker` takes analysis messages from a "
            "broker (PATHSENTRY_JOBS__BROKER_URL=amqp://... or redis://...); without one, "
            "`pathsentry serve` analyses slides itself"
        )
    require_distributed_database(settings)
