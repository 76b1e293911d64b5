"""Full-text index for `_text` (the narrative) and `_content` (all of a resource's text).

One row per current resource in `search_text` (migration 0004), written in the caller's transaction:
SQLite keeps it in an FTS5 table (rowid = resource.pk), PostgreSQL in two `tsvector` columns with GIN
indexes. Both sides are tokenised here, in Python, the same way for both databases: NFKD, combining
marks dropped, casefolded, split into runs of letters/digits. The databases only index and match the
words they are given (no stemming, no stop words: the PostgreSQL vectors and queries are literals,
which is what the 'simple' configuration would produce without its parser's special cases).

Query syntax (R5 leaves it to the server): words are ANDed, each matches as a word prefix
("myasth" finds "Myasthenia"); a double-quoted "phrase" matches adjacent words (its last word as a
prefix); `OR` between terms ORs them; comma-separated values are ORed like any search value."""

from __future__ import annotations

import html
import re
import unicodedata

from sqlalchemy import String, bindparam, delete, select, table
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnClause, ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.types import NullType, TypeDecorator

from .errors import SearchError

_WORD = re.compile(r"[^\W_]+")
_TAG = re.compile(r"<[^>]*>")
MAX_WORD = 64  # longer "words" (hashes, base64) are not text anyone searches for
MAX_WORDS = 20_000  # per column: keeps a huge resource's vector well under PostgreSQL's 1 MB
MAX_POSITIONS = 256  # PostgreSQL keeps at most 256 positions of a lexeme
MAX_LEXEME_BYTES = 500_000  # distinct words of one vector; PostgreSQL refuses a tsvector over 1 MB
# content keys whose values are not text: identifiers of the resource itself, codes' systems,
# references (Type/id), base64 data; the narrative has its own column
SKIP_KEYS = {"resourceType", "system", "reference", "data", "div"}
SKIP_ROOT_KEYS = {"id", "meta", "text"}


# --- extraction ----------------------------------------------------------------------------


def words(value: str) -> list[str]:
    if not value.isascii():  # ASCII (most text) has no accents to drop
        decomposed = unicodedata.normalize("NFKD", value)
        value = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return [w for w in _WORD.findall(value.casefold()) if len(w) <= MAX_WORD]


def narrative_words(resource: dict) -> list[str]:
    div = (resource.get("text") or {}).get("div")
    return words(html.unescape(_TAG.sub(" ", div)))[:MAX_WORDS] if isinstance(div, str) else []


def content_words(resource: dict) -> list[str]:
    """Every string value of the resource but the narrative and the non-text keys (SKIP_*)."""
    found: list[str] = []

    def walk(value, key: str | None) -> None:
        if len(found) >= MAX_WORDS:
            return
        if isinstance(value, str):
            if key not in SKIP_KEYS:
                found.extend(words(value))
        elif isinstance(value, dict):
            for k, v in value.items():
                if k not in SKIP_KEYS:
                    walk(v, k)
        elif isinstance(value, list):
            for item in value:
                walk(item, key)

    for key, value in resource.items():
        if key not in SKIP_ROOT_KEYS:
            walk(value, key)
    return found[:MAX_WORDS]


_POSITIONS = [str(min(i, 16383)) for i in range(MAX_WORDS + 1)]  # PostgreSQL's positions stop at 16383


def _tsvector(found: list[str]) -> str:
    """A PostgreSQL tsvector literal: 'word':1,4 'other':2 (words are letters/digits: no quoting)."""
    positions: dict[str, list[str]] = {}
    size = 0
    for i, word in enumerate(found, 1):
        at = positions.get(word)
        if at is None:
            size += len(word) if word.isascii() else len(word.encode())
            if size > MAX_LEXEME_BYTES:
                continue
            at = positions[word] = []
        at.append(_POSITIONS[i])
    return " ".join(
        [
            f"'{w}':{','.join(p if len(p) <= MAX_POSITIONS else p[:MAX_POSITIONS])}"
            for w, p in positions.items()
        ]
    )


# --- the table -----------------------------------------------------------------------------


class _Pk(ColumnClause):
    """The row's resource pk: SQLite's FTS5 rowid, PostgreSQL's resource_pk column."""

    inherit_cache = True


@compiles(_Pk, "sqlite")
def _pk_sqlite(element, compiler, **kw):
    if element.table is not TEXT:  # selected through a subquery: its column, by its label
        return compiler.visit_column(element, **kw)
    return "search_text.rowid"


TEXT = table("search_text", _Pk("resource_pk"))
PK = TEXT.c.resource_pk


def write(conn, items) -> None:
    """Insert the rows of (resource_pk, resource) pairs that have none (new, or just removed)."""
    insert(conn, [(pk, *values(r, conn.dialect.name)) for pk, r in items])


def values(resource: dict, dialect: str) -> tuple[str, str]:
    """The (narrative, content) column values of a resource's row (pure: ingest workers make them)."""
    n, c = narrative_words(resource), content_words(resource)
    return (" ".join(n), " ".join(c)) if dialect == "sqlite" else (_tsvector(n), _tsvector(c))


def insert(conn, rows: list[tuple]) -> None:
    """(resource_pk, narrative, content) rows, the values as `values` made them."""
    if not rows:
        return
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("INSERT INTO search_text (rowid, narrative, content) VALUES (?, ?, ?)", rows)
        return
    with conn.connection.driver_connection.cursor() as cursor:
        with cursor.copy("COPY search_text (resource_pk, narrative, content) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


def remove(conn, pks: list[int]) -> None:
    for start in range(0, len(pks), 500):
        conn.execute(delete(TEXT).where(PK.in_(pks[start : start + 500])))


def check(conn) -> tuple[int, int]:
    """(rows of deleted or unknown resources, live resources without a row): (0, 0) when in step."""
    from sqlalchemy import func

    from fhir_service.store.schema import Resource

    r = Resource.__table__
    stale = select(func.count()).select_from(TEXT.outerjoin(r, r.c.pk == PK))
    stale = stale.where(r.c.pk.is_(None) | r.c.deleted.is_(True))
    missing = (
        select(func.count())
        .select_from(r)
        .where(r.c.deleted.is_(False), ~select(PK).where(PK == r.c.pk).exists())
    )
    return conn.scalar(stale) or 0, conn.scalar(missing) or 0


# --- queries -------------------------------------------------------------------------------

Terms = tuple[tuple[tuple[str, ...], ...], ...]  # OR of ANDs of phrases (word tuples)
_TERM = re.compile(r'"([^"]*)"|(\S+)')


def parse_terms(values: list[str]) -> Terms:
    """`values` (ORed) → OR of ANDs of phrases; a bare term with punctuation inside ("x-ray") is a
    phrase of its words."""
    groups: list[tuple[tuple[str, ...], ...]] = []
    for value in values:
        current: list[tuple[str, ...]] = []
        for quoted, bare in _TERM.findall(value):
            if bare == "OR":
                if current:
                    groups.append(tuple(current))
                current = []
                continue
            phrase = tuple(words(quoted if quoted or not bare else bare))
            if phrase:
                current.append(phrase)
        if current:
            groups.append(tuple(current))
    if not groups:
        raise SearchError(f"Text search '{','.join(values)}' has no words to search for")
    return tuple(groups)


def fts5_query(column: str | None, terms: Terms) -> str:
    def phrase(p: tuple[str, ...]) -> str:
        return '"' + " ".join(p) + '"*'

    expression = " OR ".join("(" + " AND ".join(map(phrase, group)) + ")" for group in terms)
    return f"{{{column}}} : ({expression})" if column else expression


def tsquery(terms: Terms) -> str:
    def phrase(p: tuple[str, ...]) -> str:
        quoted = [f"'{w}'" for w in p]
        quoted[-1] += ":*"
        return "(" + " <-> ".join(quoted) + ")"

    return " | ".join("(" + " & ".join(map(phrase, group)) + ")" for group in terms)


class _Query(TypeDecorator):
    """Binds (column, Terms) as the dialect's query text."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value, dialect):
        column, terms = value
        return fts5_query(column, terms) if dialect.name == "sqlite" else tsquery(terms)


class TextMatch(ColumnElement):
    """search_text row matches the query: FTS5 MATCH, or tsvector @@ tsquery."""

    type = NullType()  # a boolean predicate; Boolean would make SQLite render "MATCH ? = 1"
    inherit_cache = True
    _traverse_internals = [
        ("column", InternalTraversal.dp_string),
        ("query", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, column: str | None, terms: Terms):
        self.column = column  # "narrative", or None for the whole row
        self.query = bindparam(None, (column, terms), type_=_Query(), unique=True)


@compiles(TextMatch, "sqlite")
def _match_sqlite(element, compiler, **kw):
    return f"search_text MATCH {compiler.process(element.query, **kw)}"


@compiles(TextMatch, "postgresql")
def _match_postgresql(element, compiler, **kw):
    vector = "search_text.narrative" if element.column else "(search_text.narrative || search_text.content)"
    return f"{vector} @@ CAST({compiler.process(element.query, **kw)} AS tsquery)"


PARAMS = {"_text": "narrative", "_content": None}


def matching(code: str, values: list[str]):
    """SELECT of the pks whose narrative (`_text`) or whole text (`_content`) matches `values`."""
    return select(PK).where(TextMatch(PARAMS[code], parse_terms(values)))
