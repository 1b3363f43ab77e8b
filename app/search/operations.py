"""Feed and query the site-wide search index.

Every feature indexes its own objects with :func:`index_document` when they are created, changed
or published, and calls :func:`remove_document` when they are deleted or stop being visible. Both
only flush: the caller's view or task commits, so the index changes with the object atomically.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from app.core.db import utcnow
from app.extensions import db
from app.search.models import SearchDocument, search_document_themes
from app.search.text import fold_text, fts5_match, highlight_snippet, query_terms

#: The kinds of indexed objects, with their facet labels. Features use exactly these names.
KINDS = {
    "resource": _l("Ressources"),
    "course": _l("Formations"),
    "session": _l("Sessions et replays"),
    "episode": _l("Épisodes de podcast"),
    "person": _l("Annuaire : personnes"),
    "organisation": _l("Annuaire : structures"),
    "event": _l("Agenda"),
    "discussion": _l("Discussions"),
}

VISIBILITIES = ("public", "members")

#: kind → {type code → label}: how a document's ``type`` reads ("guide" → "Guide opérationnel").
TYPE_LABELS: dict[str, dict] = {}


def register_type_labels(kind: str, labels: dict) -> None:
    """Let a feature say how the ``type`` codes it indexes read (lazy strings, translated late)."""
    TYPE_LABELS[kind] = {str(code): label for code, label in labels.items()}


def type_label(kind: str, type: str | None) -> str:  # noqa: A002 - the document's field
    """The document type in the reader's language; the code itself when no label is known."""
    if not type:
        return ""
    return str(TYPE_LABELS.get(kind, {}).get(type, type))


def index_document(
    kind: str,
    object_id: int,
    *,
    title: str,
    url: str,
    body: str = "",
    summary: str = "",
    type: str = "",
    theme_ids: Iterable[int] = (),
    territory: str | None = None,
    visibility: str = "public",
    date_dt: datetime | None = None,
    language: str = "fr",
) -> SearchDocument:
    """Add or replace the search entry of one object (flushes, never commits).

    - kind: one of KINDS ("resource", "course", "session", "episode", "person", "organisation",
      "event", "discussion"); object_id: the object's primary key. (kind, object_id) is unique:
      calling again updates the entry.
    - title, body: PLAIN text (flatten Markdown with app.core.text.plain_text; for an episode, put
      the transcript text in body). summary: short plain text shown when the body has no match.
    - url: the object's site-relative URL (e.g. url_for(..., _external=False) or "/se-former/…").
    - type: finer type shown as a badge ("guide", "webinaire", "replay"…).
    - theme_ids: ids of app.library.models.Theme; territory: one label for the territory facet.
    - visibility: "public" (everyone) or "members" (signed-in accounts). Objects nobody may see
      (drafts, hidden or opted-out profiles) must not be indexed: call remove_document instead.
    - date_dt: the date that matters (publication; start for events and sessions, which theme pages
      use to list upcoming ones), an aware datetime.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown search kind {kind!r}; use one of {', '.join(KINDS)}")
    if visibility not in VISIBILITIES:
        raise ValueError(f"visibility must be 'public' or 'members', not {visibility!r}")
    doc = db.session.execute(
        sa.select(SearchDocument).filter_by(kind=kind, object_id=object_id)
    ).scalar_one_or_none()
    if doc is None:
        doc = SearchDocument(kind=kind, object_id=object_id)
        db.session.add(doc)
    doc.title = (title or "")[:300]
    doc.body = body or ""
    doc.summary = (summary or "")[:600]
    doc.type = (type or "")[:40]
    doc.territory = (territory or None) and territory[:120]
    doc.url = url
    doc.visibility = visibility
    doc.date_dt = date_dt
    doc.language = language
    doc.updated_dt = utcnow()
    db.session.flush()
    _set_themes(doc, theme_ids)
    if db.session.get_bind().dialect.name == "sqlite":
        # FTS5 has no French stemmer: store folded words, and fold queries the same way.
        db.session.execute(sa.text("DELETE FROM search_fts WHERE rowid = :id"), {"id": doc.id})
        db.session.execute(
            sa.text("INSERT INTO search_fts (rowid, title, body) VALUES (:id, :title, :body)"),
            {"id": doc.id, "title": fold_text(doc.title), "body": fold_text(doc.body)},
        )
    return doc


def remove_document(kind: str, object_id: int) -> None:
    """Remove an object's search entry if it has one (flushes, never commits)."""
    db.session.execute(
        sa.delete(SearchDocument).where(
            SearchDocument.kind == kind, SearchDocument.object_id == object_id
        )
    )
    db.session.flush()


def get_document(kind: str, object_id: int) -> SearchDocument | None:
    """Return an object's search entry, if indexed."""
    return db.session.execute(
        sa.select(SearchDocument).filter_by(kind=kind, object_id=object_id)
    ).scalar_one_or_none()


def _set_themes(doc: SearchDocument, theme_ids: Iterable[int]) -> None:
    db.session.execute(
        sa.delete(search_document_themes).where(search_document_themes.c.document_id == doc.id)
    )
    ids = sorted({int(t) for t in theme_ids})
    if ids:
        db.session.execute(
            sa.insert(search_document_themes), [{"document_id": doc.id, "theme_id": t} for t in ids]
        )
    db.session.expire(doc, ["themes"])


# --- querying ----------------------------------------------------------------------------------


@dataclass
class Hit:
    document: SearchDocument
    snippet: Markup
    rank: float = 0.0


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool = False


@dataclass
class SearchPage:
    query: str
    hits: list[Hit]
    total: int
    page: int
    per_page: int
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


@dataclass
class Filters:
    kinds: tuple[str, ...] = ()
    theme_ids: tuple[int, ...] = ()
    territories: tuple[str, ...] = ()
    #: Visibilities the reader may see: ("public",) for visitors, both for members.
    visibility: tuple[str, ...] = ("public",)


def visibilities_for(user) -> tuple[str, ...]:
    """Return the visibilities a reader may see."""
    if user is not None and getattr(user, "is_authenticated", False):
        return VISIBILITIES
    return ("public",)


#: SQLite: the matches of the current query, ranked once (see _materialize_matches).
_sqlite_hits = sa.table("search_hits", sa.column("id"), sa.column("rank"), schema="temp")


def _materialize_matches(query: str) -> bool:
    """SQLite: run the full-text match once into a per-connection temporary table.

    The page, the total and the three facets all need the matching set; FTS5 would otherwise
    walk the same doclists five times. Returns False when the query has no words.
    """
    expression = fts5_match(query)
    if expression is None:
        return False
    db.session.execute(
        sa.text("CREATE TEMP TABLE IF NOT EXISTS search_hits (id INTEGER PRIMARY KEY, rank REAL)")
    )
    db.session.execute(sa.text("DELETE FROM temp.search_hits"))
    # bm25 weights: a match in the title counts eight times one in the body.
    db.session.execute(
        sa.text(
            "INSERT INTO temp.search_hits (id, rank) SELECT rowid, bm25(search_fts, 8.0, 1.0) "
            "FROM search_fts WHERE search_fts MATCH :m"
        ),
        {"m": expression},
    )
    return True


def _match(query: str):
    """Return (join target or WHERE clause, rank) for a text query; (None, None) without words.

    On SQLite the matches must have been materialised for this query (search() does it).
    """
    if not query_terms(query):
        return None, None
    if db.session.get_bind().dialect.name == "sqlite":
        return _sqlite_hits, _sqlite_hits.c.rank
    tsv = sa.literal_column("search_documents.tsv")
    tsquery = sa.func.websearch_to_tsquery(
        sa.literal_column("'french'::regconfig"), sa.func.search_unaccent(query)
    )
    return tsv.op("@@")(tsquery), -sa.func.ts_rank_cd(tsv, tsquery)


def _filtered(base, filters: Filters, skip: str | None = None):
    stmt = base.where(SearchDocument.visibility.in_(filters.visibility))
    if filters.kinds and skip != "kind":
        stmt = stmt.where(SearchDocument.kind.in_(filters.kinds))
    if filters.territories and skip != "territory":
        stmt = stmt.where(SearchDocument.territory.in_(filters.territories))
    if filters.theme_ids and skip != "theme":
        stmt = stmt.where(
            SearchDocument.id.in_(
                sa.select(search_document_themes.c.document_id).where(
                    search_document_themes.c.theme_id.in_(filters.theme_ids)
                )
            )
        )
    return stmt


def _base(query: str, columns):
    """A SELECT of columns over the documents matching query (all documents when empty)."""
    match, rank = _match(query)
    stmt = sa.select(*columns).select_from(SearchDocument)
    if match is None:
        return stmt, None
    if match is _sqlite_hits:
        # The unary + keeps SQLite from seeking the temporary table: it scans the matches and
        # seeks documents by rowid, instead of scanning every document (and its long body).
        on = SearchDocument.id == sa.literal_column("+search_hits.id")
        return stmt.join(match, on), rank
    return stmt.where(match), rank


def search(
    query: str,
    filters: Filters | None = None,
    *,
    page: int = 1,
    per_page: int = 20,
    facets: bool = True,
) -> SearchPage:
    """Search the index: best matches first (newest first without a query), with facet counts."""
    filters = filters or Filters()
    page = max(1, page)
    shown_query = query
    if db.session.get_bind().dialect.name == "sqlite" and not _materialize_matches(query):
        query = ""  # only punctuation or operators: browse, like an empty query
    stmt, rank = _base(query, [SearchDocument.id])
    stmt = _filtered(stmt, filters)
    count_stmt, _ = _base(query, [sa.func.count()])
    total = db.session.execute(_filtered(count_stmt, filters)).scalar_one()
    if rank is not None:
        stmt = stmt.add_columns(rank.label("rank")).order_by(rank, SearchDocument.id)
    else:
        stmt = stmt.add_columns(sa.literal(0.0).label("rank")).order_by(
            SearchDocument.date_dt.desc().nulls_last(), SearchDocument.id.desc()
        )
    # Rank ids only, then load the page's rows: sorting whole rows would read every body.
    ranked = db.session.execute(stmt.limit(per_page).offset((page - 1) * per_page)).all()
    loaded = {
        doc.id: doc
        for doc in db.session.execute(
            sa.select(SearchDocument).where(SearchDocument.id.in_([i for i, _ in ranked]))
        ).scalars()
    }
    rows = [(loaded[i], r) for i, r in ranked]
    terms = query_terms(query)
    hits = [Hit(doc, _snippet(doc, terms), float(r or 0)) for doc, r in rows]
    result = SearchPage(query=shown_query, hits=hits, total=total, page=page, per_page=per_page)
    if facets:
        result.facets = _facets(query, filters)
    return result


def _snippet(doc: SearchDocument, terms: list[str]) -> Markup:
    # Highlighting happens here, on the original text, with the folding used for matching, so
    # both databases show the same readable, accented excerpt (FTS5 stores only folded text).
    snippet = highlight_snippet(doc.body, terms) if terms else Markup("")
    if terms and "<mark>" in snippet:
        return snippet
    return highlight_snippet(doc.summary or doc.body, terms, words=40)


def _facets(query: str, filters: Filters) -> dict[str, list[FacetValue]]:
    from app.library.models import Theme

    out = {}
    stmt, _ = _base(query, [SearchDocument.kind, sa.func.count()])
    rows = db.session.execute(
        _filtered(stmt, filters, skip="kind").group_by(SearchDocument.kind)
    ).all()
    out["kind"] = sorted(
        (
            FacetValue(kind, str(KINDS.get(kind, kind)), n, kind in filters.kinds)
            for kind, n in rows
        ),
        key=lambda f: list(KINDS).index(f.value) if f.value in KINDS else 99,
    )
    stmt, _ = _base(query, [search_document_themes.c.theme_id, sa.func.count()])
    stmt = stmt.join(
        search_document_themes, search_document_themes.c.document_id == SearchDocument.id
    )
    counts = dict(
        db.session.execute(
            _filtered(stmt, filters, skip="theme").group_by(search_document_themes.c.theme_id)
        ).all()
    )
    themes = db.session.execute(
        sa.select(Theme).where(Theme.id.in_(counts)).order_by(Theme.position, Theme.name)
    ).scalars()
    out["theme"] = [
        FacetValue(str(t.id), t.label, counts[t.id], t.id in filters.theme_ids) for t in themes
    ]
    stmt, _ = _base(query, [SearchDocument.territory, sa.func.count()])
    rows = db.session.execute(
        _filtered(stmt, filters, skip="territory")
        .where(SearchDocument.territory.is_not(None))
        .group_by(SearchDocument.territory)
        .order_by(sa.func.count().desc(), SearchDocument.territory)
    ).all()
    out["territory"] = [FacetValue(t, t, n, t in filters.territories) for t, n in rows]
    return out


def documents_for_theme(
    theme_id: int,
    kinds: Iterable[str],
    *,
    visibility: tuple[str, ...] = ("public",),
    upcoming_only: bool = False,
    limit: int = 6,
) -> list[SearchDocument]:
    """List indexed objects of some kinds tagged with a theme (newest first, or next first)."""
    stmt = (
        sa.select(SearchDocument)
        .join(search_document_themes, search_document_themes.c.document_id == SearchDocument.id)
        .where(
            search_document_themes.c.theme_id == theme_id,
            SearchDocument.kind.in_(list(kinds)),
            SearchDocument.visibility.in_(visibility),
        )
    )
    if upcoming_only:
        stmt = stmt.where(SearchDocument.date_dt >= utcnow()).order_by(SearchDocument.date_dt)
    else:
        stmt = stmt.order_by(SearchDocument.date_dt.desc().nulls_last(), SearchDocument.id.desc())
    return list(db.session.execute(stmt.limit(limit)).scalars())
