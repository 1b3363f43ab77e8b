"""`flask db upgrade` builds exactly the schema the models describe, on SQLite and PostgreSQL."""

import os
import uuid

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from app import create_app
from app.extensions import db, init_migrate
from app.search.ddl import include_search_object
from tests.conftest import make_config


def _check_upgrade_matches_models(tmp_path, monkeypatch, url):
    monkeypatch.setenv("FLASK_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app(make_config(tmp_path, SQLALCHEMY_DATABASE_URI=url))
    init_migrate(app)
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            opts = {"compare_type": True, "include_object": include_search_object}
            diff = compare_metadata(MigrationContext.configure(conn, opts=opts), db.metadata)
        summary = [(d[0], getattr(d[1], "name", d[1])) if isinstance(d, tuple) else d for d in diff]
        assert diff == [], f"models and migrations differ: {summary}"
        # And back down to nothing, so every migration can be undone.
        downgrade(revision="base")
        tables = set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}
        assert tables == set()
        db.engine.dispose()


def test_migrations_build_the_model_schema_on_sqlite(tmp_path, monkeypatch):
    _check_upgrade_matches_models(tmp_path, monkeypatch, f"sqlite:///{tmp_path / 'm.db'}")


@pytest.mark.services
def test_migrations_build_the_model_schema_on_postgresql(tmp_path, monkeypatch):
    base = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1/test")
    url = sa.engine.make_url(base)
    name = f"cc_migrations_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        _check_upgrade_matches_models(
            tmp_path, monkeypatch, url.set(database=name).render_as_string(hide_password=False)
        )
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_web_processes_do_not_load_alembic_but_the_flask_command_does(tmp_path):
    """Alembic stays out of web and worker processes (memory); ``flask db`` still works."""
    import subprocess
    import sys

    env = {
        **os.environ,
        "FLASK_INSTANCE_PATH": str(tmp_path / "instance"),
        "FLASK_APP": "app",
        "FLASK_SECRET_KEY": "a-test-secret-key-that-is-long-enough-0123456789",
    }
    code = "from app import create_app; import sys; create_app(); print('alembic' in sys.modules)"
    plain = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert plain.stdout.strip() == "False", plain.stderr
    flask = os.path.join(os.path.dirname(sys.executable), "flask")
    heads = subprocess.run([flask, "db", "heads"], env=env, capture_output=True, text=True)
    assert heads.returncode == 0, heads.stderr
    assert "(head)" in heads.stdout
