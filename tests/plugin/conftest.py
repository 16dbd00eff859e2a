from tests.db.fixtures import (  # noqa: F401 - the database fixtures of tests/db
    database,
    database_url,
    postgres_database,
    sqlite_template,
    sqlite_url,
)
