"""Alembic migrations of the SQL store (run them with ``matchcast db-upgrade``)."""
