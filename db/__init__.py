"""Database: SQLAlchemy models, sessions, worklist queries and Alembic migrations."""
