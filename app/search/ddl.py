"""Full-text DDL that the ORM cannot express, for create_all (tests) and the Alembic migration.

SQLite: ``search_fts``, an FTS5 table (rowid = search_documents.id) holding the folded title and
body (see app.search.text.fold_text); the application writes it, a trigger removes its row when
the document row goes, so deletes through the ORM or a cascade never leave stale matches.

PostgreSQL: ``search_documents.tsv``, a stored generated tsvector (title weight A, body weight B)
using the ``french`` configuration over ``search_unaccent()`` — an IMMUTABLE wrapper of unaccent,
required because generated columns and index expressions only accept immutable functions — and a
GIN index on it.

Migration: ``from app.search.ddl import create_search_ddl, drop_search_ddl``, then call
``create_search_ddl(op.get_bind())`` in upgrade() after the tables, and
``drop_search_ddl(op.get_bind())`` first in downgrade(). Autogenerate must skip these objects:
use ``include_search_object`` as (or inside) env.py's ``include_object``.
"""

import sqlalchemy as sa

SQLITE_DDL = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5("
    "title, body, tokenize = 'unicode61 remove_diacritics 2')",
    "CREATE TRIGGER IF NOT EXISTS search_documents_fts_delete AFTER DELETE ON search_documents "
    "BEGIN DELETE FROM search_fts WHERE rowid = old.id; END",
)

SQLITE_DROP = (
    "DROP TRIGGER IF EXISTS search_documents_fts_delete",
    "DROP TABLE IF EXISTS search_fts",
)

POSTGRES_DDL = (
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    "CREATE OR REPLACE FUNCTION search_unaccent(text) RETURNS text "
    "LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT "
    "AS $$ SELECT unaccent('unaccent'::regdictionary, $1) $$",
    "ALTER TABLE search_documents ADD COLUMN IF NOT EXISTS tsv tsvector "
    "GENERATED ALWAYS AS ("
    "setweight(to_tsvector('french'::regconfig, search_unaccent(coalesce(title, ''))), 'A') || "
    "setweight(to_tsvector('french'::regconfig, search_unaccent(coalesce(body, ''))), 'B')"
    ") STORED",
    "CREATE INDEX IF NOT EXISTS ix_search_documents_tsv ON search_documents USING gin (tsv)",
)

POSTGRES_DROP = (
    "DROP INDEX IF EXISTS ix_search_documents_tsv",
    "ALTER TABLE IF EXISTS search_documents DROP COLUMN IF EXISTS tsv",
    "DROP FUNCTION IF EXISTS search_unaccent(text)",
)


def create_search_ddl(connection: sa.Connection) -> None:
    """Create the full-text objects for the connection's database (idempotent)."""
    statements = SQLITE_DDL if connection.dialect.name == "sqlite" else POSTGRES_DDL
    for statement in statements:
        connection.execute(sa.text(statement))


def drop_search_ddl(connection: sa.Connection) -> None:
    """Drop the full-text objects (before dropping search_documents)."""
    statements = SQLITE_DROP if connection.dialect.name == "sqlite" else POSTGRES_DROP
    for statement in statements:
        connection.execute(sa.text(statement))


def include_search_object(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic include_object: hide the full-text objects that live outside the models."""
    if type_ == "table" and name and name.startswith("search_fts"):
        return False
    if type_ == "column" and name == "tsv" and getattr(obj, "table", None) is not None:
        return obj.table.name != "search_documents"
    return not (type_ == "index" and name == "ix_search_documents_tsv")


def _after_create(target, connection, **kw):
    create_search_ddl(connection)


def _before_drop(target, connection, **kw):
    drop_search_ddl(connection)


def listen(metadata: sa.MetaData) -> None:
    """Create/drop the full-text objects whenever create_all/drop_all runs on the metadata."""
    if not sa.event.contains(metadata, "after_create", _after_create):
        sa.event.listen(metadata, "after_create", _after_create)
        sa.event.listen(metadata, "before_drop", _before_drop)
