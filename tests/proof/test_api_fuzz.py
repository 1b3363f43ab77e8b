"""Schemathesis against /api/openapi.json: whatever the input, the API never answers 5xx.

Every operation of the document gets a bounded number of generated requests (valid and invalid
ones) sent through the WSGI app with an administrator's API token, so authenticated endpoints are
exercised too; the demo content (without media) gives list endpoints real rows to serialise.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings

from app.auth import operations as auth_operations
from app.auth.models import Role
from app.extensions import db
from tests.conftest import PASSWORD

#: Generated requests per operation: enough to reach the validation paths, bounded in time.
MAX_EXAMPLES = 12


@pytest.fixture
def fuzz_target(app_factory):
    """An app with the demo loaded and an administrator's token; no app context left pushed."""
    app = app_factory()
    with app.app_context():
        from app.demo import load_demo

        load_demo(with_media=False, log=lambda *_: None)
        admin = auth_operations.create_user(
            "fuzz-admin@example.org", PASSWORD, role=Role.ADMIN, confirmed=True
        )
        token = auth_operations.create_api_token(admin, "schemathesis")
        db.session.commit()
        db.session.remove()
    return app, token


def _fuzz(operation, headers: dict, failures: list[str]) -> None:
    """Send generated requests to one operation; record every 5xx."""

    @given(case=operation.as_strategy())
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def exercise(case):
        where = (
            f"{operation.method.upper()} {operation.path} "
            f"({case.formatted_path} query={case.query!r} body={case.body!r})"
        )
        try:
            response = case.call(headers=headers)
        except Exception as exc:  # noqa: BLE001 - in tests errors propagate: a production 500
            failures.append(f"{where} → raised {type(exc).__name__}: {exc}"[:600])
            return
        if response.status_code >= 500:
            failures.append(f"{where} → {response.status_code}: {response.text[:200]}")

    exercise()


def test_api_answers_no_server_error_to_generated_requests(fuzz_target):
    app, token = fuzz_target
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    headers = {"Authorization": f"Bearer {token}"}
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        _fuzz(result.ok(), headers, failures)
        operations += 1
    assert operations >= 5, "the OpenAPI document lists too few operations"
    # One example per operation and kind of error.
    distinct = {}
    for failure in failures:
        operation_part, _, outcome = failure.partition(" (")
        key = (operation_part, outcome.split("→", 1)[-1].split(":", 1)[0])
        distinct.setdefault(key, failure)
    assert not failures, f"{len(failures)} server errors:\n" + "\n".join(distinct.values())
