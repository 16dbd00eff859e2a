"""Alembic migrations of the PathSentry schema; run them with `pathsentry db upgrade`."""
