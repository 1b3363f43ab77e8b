"""Index 20,000 resources and 5,000 podcast transcripts, then time site-wide search.

    .venv/bin/python bench/search.py          # SQLite (FTS5) in a temporary folder
    TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1/cc_library \
        .venv/bin/python bench/search.py      # PostgreSQL (tables dropped and recreated!)

Documents go through the real app.search.operations.index_document. Prints indexing throughput,
then p50/p95 of app.search.operations.search (match + rank + count + three facets + snippets,
as the search page runs it) and of a bare full-text query on the same database (FTS5 MATCH /
tsvector @@ with rank, 20 ids), and the ratio between them. Figures, not a pass/fail test.
Sizes: BENCH_RESOURCES, BENCH_TRANSCRIPTS, BENCH_TRANSCRIPT_WORDS. BENCH_SQLITE_PATH=file keeps
the SQLite index there and reuses it on the next run (indexing 25,000 documents takes a while).
"""

import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import percentiles, report, timed  # noqa: E402

RESOURCES = int(os.environ.get("BENCH_RESOURCES", 20_000))
TRANSCRIPTS = int(os.environ.get("BENCH_TRANSCRIPTS", 5_000))
TRANSCRIPT_WORDS = int(os.environ.get("BENCH_TRANSCRIPT_WORDS", 1_500))
RUNS = 30

_VOCABULARY_TEXT = (
    "épicerie épiceries associative coopérative producteur producteurs productrice circuit "
    "circuits court courts logistique tournée tournées livraison livraisons camion frigorifique "
    "chaîne froid statut juridique association SCIC gouvernance collège sociétaires bénévoles "
    "salariée tarification sociale solidaire caisse panier paniers suspendu quotient familial "
    "commune collectivité cantine restauration collective marché public hygiène réglementation "
    "sanitaire données personnelles environnement emballage vrac local locaux ferme fermes "
    "légumes fruits fromage viande pain œufs saison prix juste marge commande commandes "
    "groupement achat point retrait distribution boutique ligne outil numérique vente directe "
    "plateforme réseau territoire rural ville quartier accompagnement formation webinaire "
    "atelier témoignage projet financement subvention prêt budget trésorerie stock inventaire"
)
_FILLER_TEXT = (
    "le la les un une des de du et à en pour avec sur dans par au aux qui que nous vous ils "
    "elles est sont a ont fait faire très plus moins aussi mais donc alors chaque tous"
)
VOCABULARY = _VOCABULARY_TEXT.split()
FILLER = _FILLER_TEXT.split()
TERRITORIES = ["National", "Occitanie", "Bretagne", "Auvergne-Rhône-Alpes", "Grand Est", None]
KINDS = ["guide", "article", "case_study", "tool_sheet", "external_link"]

QUERIES = [
    "épicerie",
    "epiceries",
    "tarification sociale",
    "chaîne du froid",
    "statut juridique association",
    "tournees livraison",
    '"caisse solidaire"',
    "frigorifique",
    "quotient familial commune",
    "inventaire",
]


def words(rng: random.Random, n: int) -> str:
    # Zipf-ish: domain words are rarer than filler words, some domain words much rarer than others.
    out = []
    for _ in range(n):
        if rng.random() < 0.55:
            out.append(rng.choice(FILLER))
        else:
            out.append(VOCABULARY[min(len(VOCABULARY) - 1, int(rng.paretovariate(1.2)) - 1)])
    return " ".join(out)


def make_app(url: str | None):
    from app import create_app

    folder = tempfile.mkdtemp(prefix="bench-search-")
    os.environ["FLASK_INSTANCE_PATH"] = folder
    keep = os.environ.get("BENCH_SQLITE_PATH")
    uri = url or f"sqlite:///{keep or folder + '/bench.db'}"
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": uri,
            "SERVER_NAME": "localhost",
            "STORAGE": {"backend": "local", "root": f"{folder}/media"},
            "CELERY": {"broker_url": "memory://"},
        }
    )


def seed(db, rng):
    from app.library.models import Theme
    from app.search.operations import index_document

    themes = [Theme(slug=f"bench-theme-{i}", name=f"Thème {i}", position=i) for i in range(9)]
    db.session.add_all(themes)
    db.session.commit()
    theme_ids = [t.id for t in themes]
    now = datetime.now(UTC)
    start = time.perf_counter()
    for i in range(RESOURCES):
        index_document(
            "resource",
            i + 1,
            title=f"{words(rng, 6)} {i}".capitalize(),
            body=words(rng, rng.randint(300, 1200)),
            summary=words(rng, 30),
            url=f"/se-documenter/ressources/r-{i}",
            type=rng.choice(KINDS),
            theme_ids=rng.sample(theme_ids, rng.randint(1, 3)),
            territory=rng.choice(TERRITORIES),
            date_dt=now - timedelta(hours=i),
        )
        if i % 500 == 499:
            db.session.commit()
    db.session.commit()
    resources_s = time.perf_counter() - start
    start = time.perf_counter()
    for i in range(TRANSCRIPTS):
        index_document(
            "episode",
            i + 1,
            title=f"Épisode {i} : {words(rng, 5)}",
            body=words(rng, TRANSCRIPT_WORDS),
            url=f"/ecouter/episodes/{i}",
            type="transcript",
            theme_ids=rng.sample(theme_ids, 1),
            date_dt=now - timedelta(hours=i),
        )
        if i % 200 == 199:
            db.session.commit()
    db.session.commit()
    transcripts_s = time.perf_counter() - start
    return resources_s, transcripts_s


def bare_query(db, query: str):
    """The full-text query alone: 20 best ids, nothing else."""
    if db.engine.dialect.name == "sqlite":
        from app.search.text import fts5_match

        return db.session.execute(
            sa.text(
                "SELECT rowid FROM search_fts WHERE search_fts MATCH :m "
                "ORDER BY bm25(search_fts, 8.0, 1.0) LIMIT 20"
            ),
            {"m": fts5_match(query)},
        ).all()
    return db.session.execute(
        sa.text(
            "SELECT id FROM search_documents, "
            "websearch_to_tsquery('french'::regconfig, search_unaccent(:q)) AS q "
            "WHERE tsv @@ q ORDER BY ts_rank_cd(tsv, q) DESC LIMIT 20"
        ),
        {"q": query},
    ).all()


def main():
    url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
    app = make_app(url)
    from app.extensions import db
    from app.search.operations import search

    rng = random.Random(20261130)
    reuse = not url and bool(os.environ.get("BENCH_SQLITE_PATH"))
    with app.app_context():
        from app.search.models import SearchDocument

        dialect = db.engine.dialect.name
        print(
            f"search bench on {dialect}: {RESOURCES} resources, {TRANSCRIPTS} transcripts "
            f"of {TRANSCRIPT_WORDS} words",
            flush=True,
        )
        db.create_all()
        indexed = db.session.execute(sa.select(sa.func.count(SearchDocument.id))).scalar()
        if reuse and indexed == RESOURCES + TRANSCRIPTS:
            print(f"reusing the {indexed} documents already indexed", flush=True)
        else:
            db.drop_all()
            db.create_all()
            resources_s, transcripts_s = seed(db, rng)
            report(f"search[{dialect}] index resources", RESOURCES / resources_s, "docs/s")
            report(f"search[{dialect}] index transcripts", TRANSCRIPTS / transcripts_s, "docs/s")
        if dialect == "postgresql":
            db.session.execute(sa.text("ANALYZE search_documents"))
            db.session.commit()
        full_all, bare_all = [], []
        for query in QUERIES:
            total = search(query).total
            search(query)
            bare_query(db, query)  # warm caches for both
            full = timed(lambda q=query: search(q), RUNS)
            bare = timed(lambda q=query: bare_query(db, q), RUNS)
            full_all += full
            bare_all += bare
            p50, p95 = percentiles(full)
            b50, _ = percentiles(bare)
            print(f"  {query!r}: {total} hits, search p50 {p50:.1f} ms p95 {p95:.1f} ms, "
                  f"bare p50 {b50:.1f} ms", flush=True)
        p50, p95 = percentiles(full_all)
        b50, b95 = percentiles(bare_all)
        report(f"search[{dialect}] p50", p50, "ms", baseline=b50, note="vs bare full-text query")
        report(f"search[{dialect}] p95", p95, "ms", baseline=b95, note="vs bare full-text query")
        db.session.remove()
        if not reuse:
            db.drop_all()


if __name__ == "__main__":
    main()
