"""Versioned resource store: SQLAlchemy schema, engine, Alembic migrations, Repository."""
