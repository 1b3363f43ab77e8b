"""Readiness checks for /healthz: each returns (ok, detail)."""

import shutil
import subprocess

import sqlalchemy as sa
from flask import current_app

from app.extensions import db


def check_database() -> tuple[bool, str]:
    """Run a trivial query."""
    try:
        db.session.execute(sa.text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure means "not usable"
        db.session.rollback()
        return False, type(exc).__name__
    return True, db.engine.dialect.name


def check_broker() -> tuple[bool, str]:
    """Open (and close) a connection to the Celery broker."""
    celery_app = current_app.extensions["celery"]
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
            transport = conn.transport_cls
    except Exception as exc:  # noqa: BLE001
        return False, type(exc).__name__
    return True, str(transport)


def check_storage() -> tuple[bool, str]:
    """Ask the configured storage backend whether it can read and write."""
    from app.media.storage import get_storage

    try:
        storage = get_storage()
        storage.healthcheck()
    except Exception as exc:  # noqa: BLE001
        return False, type(exc).__name__
    return True, storage.name


def _check_binary(setting: str, version_flag: str) -> tuple[bool, str]:
    binary = current_app.config[setting]
    path = shutil.which(binary)
    if path is None:
        return False, f"{binary} not found"
    try:
        out = subprocess.run(  # noqa: S603 - fixed argv, no shell
            [path, version_flag], capture_output=True, text=True, timeout=5, check=True
        ).stdout
    except (subprocess.SubprocessError, OSError) as exc:
        return False, type(exc).__name__
    return True, (out.splitlines() or [""])[0][:80]


def check_ffmpeg() -> tuple[bool, str]:
    """Find ffmpeg and ffprobe and run them."""
    ok, detail = _check_binary("FFMPEG_BINARY", "-version")
    if ok:
        ok_probe, probe_detail = _check_binary("FFPROBE_BINARY", "-version")
        if not ok_probe:
            return False, probe_detail
    return ok, detail


def check_espeak() -> tuple[bool, str]:
    """Find espeak-ng and run it."""
    return _check_binary("ESPEAK_BINARY", "--version")


CHECKS = {
    "database": check_database,
    "broker": check_broker,
    "storage": check_storage,
    "ffmpeg": check_ffmpeg,
    "espeak-ng": check_espeak,
}


def run_checks() -> tuple[bool, dict]:
    """Run every check; return (all ok, {name: {"ok": bool, "detail": str}})."""
    results = {}
    for name, check in CHECKS.items():
        ok, detail = check()
        results[name] = {"ok": ok, "detail": detail}
    return all(r["ok"] for r in results.values()), results
