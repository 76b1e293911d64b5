"""Typed search index tables (current versions only), in the store's declarative Base.

Every row carries `resource_pk` and `sp`, the int64 hash of (resource type, parameter code), and
`grp`, the position of the item a composite parameter's components were taken from (0 otherwise).
Hashes stand in for long strings in the equality indexes; the clear values stay for `:text`,
`:below`, sorting and debugging. Index choice follows the query shapes in query/compile.py:
(sp, value…, resource_pk) drives a search from the index; (resource_pk, sp, value…) answers the
per-resource probes (EXISTS clauses, `_sort` keys, includes) from the index alone, and the deletes."""

from __future__ import annotations

from sqlalchemy import BigInteger, Float, ForeignKey, Index, Integer, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from fhir_service.store.schema import Base, PrimaryKey

# PostgreSQL: byte-order collation so `>= p AND < p || U+10FFFF` is a prefix match an index serves.
Text255 = String(255).with_variant(String(255, collation="C"), "postgresql")
Text512 = String(512).with_variant(String(512, collation="C"), "postgresql")


def _resource_fk() -> Mapped[int]:
    # The rule the schema keeps. On PostgreSQL migration 0005 enforces it with statement-level
    # triggers instead of a per-row foreign key (the same lock, check and cascade; ingest speed).
    return mapped_column(PrimaryKey, ForeignKey("resource.pk", ondelete="CASCADE"), nullable=False)


class SearchToken(Base):
    __tablename__ = "search_token"
    row: Mapped[int] = mapped_column(PrimaryKey, primary_key=True, autoincrement=True)
    resource_pk: Mapped[int] = _resource_fk()
    sp: Mapped[int] = mapped_column(BigInteger)
    grp: Mapped[int] = mapped_column(SmallInteger, default=0)
    system: Mapped[str | None] = mapped_column(Text512)
    code: Mapped[str | None] = mapped_column(Text255)
    text_norm: Mapped[str | None] = mapped_column(Text255)  # display / text, normalised (:text)
    h_code: Mapped[int | None] = mapped_column(BigInteger)
    h_sys: Mapped[int | None] = mapped_column(BigInteger)
    h_sys_code: Mapped[int | None] = mapped_column(BigInteger)
    h_of_type: Mapped[int | None] = mapped_column(BigInteger)  # identifier type system|code|value
    __table_args__ = (
        Index("ix_search_token_code", "sp", "h_code", "resource_pk"),
        Index("ix_search_token_sys_code", "sp", "h_sys_code", "resource_pk"),
        Index("ix_search_token_sys", "sp", "h_sys", "resource_pk"),
        Index("ix_search_token_text", "sp", "text_norm"),
        Index("ix_search_token_resource", "resource_pk", "sp", "code"),
    )


class SearchString(Base):
    __tablename__ = "search_string"
    row: Mapped[int] = mapped_column(PrimaryKey, primary_key=True, autoincrement=True)
    resource_pk: Mapped[int] = _resource_fk()
    sp: Mapped[int] = mapped_column(BigInteger)
    grp: Mapped[int] = mapped_column(SmallInteger, default=0)
    value_norm: Mapped[str] = mapped_column(Text255)
    value_exact: Mapped[str] = mapped_column(Text512)
    __table_args__ = (
        Index("ix_search_string_value", "sp", "value_norm", "resource_pk"),
        Index("ix_search_string_resource", "resource_pk", "sp", "value_norm"),
    )


class SearchReference(Base):
    __tablename__ = "search_reference"
    row: Mapped[int] = mapped_column(PrimaryKey, primary_key=True, autoincrement=True)
    resource_pk: Mapped[int] = _resource_fk()
    sp: Mapped[int] = mapped_column(BigInteger)
    grp: Mapped[int] = mapped_column(SmallInteger, default=0)
    target_type: Mapped[str | None] = mapped_column(String(64))
    target_id: Mapped[str | None] = mapped_column(String(64))
    target_url: Mapped[str | None] = mapped_column(Text512)  # absolute or canonical, without |version
    target_version: Mapped[str | None] = mapped_column(String(64))
    h_identifier: Mapped[int | None] = mapped_column(BigInteger)  # Reference.identifier system|value
    __table_args__ = (
        Index("ix_search_reference_target", "target_type", "target_id", "sp", "resource_pk"),
        Index("ix_search_reference_url", "sp", "target_url"),
        Index("ix_search_reference_identifier", "sp", "h_identifier"),
        Index("ix_search_reference_resource", "resource_pk", "sp", "target_type", "target_id"),
    )


class SearchDate(Base):
    __tablename__ = "search_date"
    row: Mapped[int] = mapped_column(PrimaryKey, primary_key=True, autoincrement=True)
    resource_pk: Mapped[int] = _resource_fk()
    sp: Mapped[int] = mapped_column(BigInteger)
    grp: Mapped[int] = mapped_column(SmallInteger, default=0)
    low: Mapped[int] = mapped_column(BigInteger)  # µs since epoch, inclusive
    high: Mapped[int] = mapped_column(BigInteger)  # µs since epoch, exclusive
    __table_args__ = (
        Index("ix_search_date_low", "sp", "low", "high", "resource_pk"),
        Index("ix_search_date_high", "sp", "high"),
        Index("ix_search_date_resource", "resource_pk", "sp", "low", "high"),
    )


class SearchQuantity(Base):
    __tablename__ = "search_quantity"
    row: Mapped[int] = mapped_column(PrimaryKey, primary_key=True, autoincrement=True)
    resource_pk: Mapped[int] = _resource_fk()
    sp: Mapped[int] = mapped_column(BigInteger)
    grp: Mapped[int] = mapped_column(SmallInteger, default=0)
    system: Mapped[str | None] = mapped_column(Text512)
    code: Mapped[str | None] = mapped_column(String(64))
    unit: Mapped[str | None] = mapped_column(String(64))
    h_sys_code: Mapped[int | None] = mapped_column(BigInteger)
    h_code: Mapped[int | None] = mapped_column(BigInteger)  # code, or unit when there is no code
    low: Mapped[float] = mapped_column(Float)
    high: Mapped[float] = mapped_column(Float)
    __table_args__ = (
        Index("ix_search_quantity_value", "sp", "low", "high"),
        Index("ix_search_quantity_code", "sp", "h_sys_code", "low"),
        Index("ix_search_quantity_resource", "resource_pk", "sp", "low", "high"),
    )


class SearchNumber(Base):
    __tablename__ = "search_number"
    row: Mapped[int] = mapped_column(PrimaryKey, primary_key=True, autoincrement=True)
    resource_pk: Mapped[int] = _resource_fk()
    sp: Mapped[int] = mapped_column(BigInteger)
    grp: Mapped[int] = mapped_column(SmallInteger, default=0)
    low: Mapped[float] = mapped_column(Float)
    high: Mapped[float] = mapped_column(Float)
    __table_args__ = (
        Index("ix_search_number_value", "sp", "low", "high"),
        Index("ix_search_number_resource", "resource_pk", "sp", "low", "high"),
    )


class SearchUri(Base):
    __tablename__ = "search_uri"
    row: Mapped[int] = mapped_column(PrimaryKey, primary_key=True, autoincrement=True)
    resource_pk: Mapped[int] = _resource_fk()
    sp: Mapped[int] = mapped_column(BigInteger)
    grp: Mapped[int] = mapped_column(SmallInteger, default=0)
    uri: Mapped[str] = mapped_column(Text512)
    h_uri: Mapped[int] = mapped_column(BigInteger)
    __table_args__ = (
        Index("ix_search_uri_hash", "sp", "h_uri", "resource_pk"),
        Index("ix_search_uri_value", "sp", "uri"),
        Index("ix_search_uri_resource", "resource_pk", "sp", "uri"),
    )


class SearchParameterEnabled(Base):
    """Stored SearchParameter resources that `fhir-service reindex` has indexed, so searches may use them."""

    __tablename__ = "search_parameter_enabled"
    url: Mapped[str] = mapped_column(String(512), primary_key=True)
    resource_pk: Mapped[int] = _resource_fk()
    version_id: Mapped[int] = mapped_column(Integer)


INDEX_TABLES = {
    "token": SearchToken,
    "string": SearchString,
    "reference": SearchReference,
    "date": SearchDate,
    "quantity": SearchQuantity,
    "number": SearchNumber,
    "uri": SearchUri,
}
