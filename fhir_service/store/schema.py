"""The versioned store's tables (SQLAlchemy 2 typed ORM).

`resource` holds the current version of every resource (also deleted ones, as tombstones), so a
read is one primary-key-like lookup; `resource_version` holds every version, current included, for
vread and history. `content` is the exact compact JSON served to clients, meta already filled in.
Search index tables (owned by the search package) join the same `Base`.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    TypeDecorator,
    UniqueConstraint,
    select,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# SQLite only autoincrements an INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit identity.
PrimaryKey = BigInteger().with_variant(Integer, "sqlite")


class UtcDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on both backends (SQLite stores naive text, so normalise here)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class Resource(Base):
    __tablename__ = "resource"

    pk: Mapped[int] = mapped_column(PrimaryKey, primary_key=True, autoincrement=True)
    type: Mapped[str] = mapped_column(String(64))
    id: Mapped[str] = mapped_column(String(64))
    version_id: Mapped[int] = mapped_column(Integer)
    last_updated: Mapped[datetime] = mapped_column(UtcDateTime)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    content: Mapped[bytes | None] = mapped_column(LargeBinary)  # None while deleted

    __table_args__ = (
        UniqueConstraint("type", "id", name="uq_resource_type_id"),
        Index("ix_resource_type_last_updated", "type", "last_updated"),
        Index("ix_resource_last_updated", "last_updated"),
    )


class ResourceVersion(Base):
    __tablename__ = "resource_version"

    resource_pk: Mapped[int] = mapped_column(
        PrimaryKey, ForeignKey("resource.pk", ondelete="CASCADE"), primary_key=True
    )
    version_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    type: Mapped[str] = mapped_column(String(64))
    id: Mapped[str] = mapped_column(String(64))
    last_updated: Mapped[datetime] = mapped_column(UtcDateTime)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    method: Mapped[str] = mapped_column(String(8))  # POST | PUT | PATCH | DELETE
    content: Mapped[bytes | None] = mapped_column(LargeBinary)

    __table_args__ = (
        Index("ix_resource_version_last_updated", "last_updated"),
        Index("ix_resource_version_type_last_updated", "type", "last_updated"),
    )


class IngestMember(Base):
    """Which resources an ingested source (a monograph or a FHIR file) produced last time, so a
    re-ingest can delete the ones that disappeared without touching other sources' resources."""

    __tablename__ = "ingest_member"

    source: Mapped[str] = mapped_column(String(512), primary_key=True)
    type: Mapped[str] = mapped_column(String(64), primary_key=True)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)


# A current row's columns in StoredResource's field order (reads by id, bulk reads).
CURRENT_COLUMNS = select(
    Resource.type,
    Resource.id,
    Resource.version_id,
    Resource.last_updated,
    Resource.deleted,
    Resource.content,
    Resource.pk,
)
