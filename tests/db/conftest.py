from tests.db.fixtures import (  # noqa: F401 - fixtures shared with tests/plugin
    database,
    database_url,
    postgres_database,
    sqlite_template,
    sqlite_url,
)
