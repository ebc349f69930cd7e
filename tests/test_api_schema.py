"""The OpenAPI schema (/api/schema/) says what the API answers: schemathesis generates requests from
it, in-process through the WSGI app, signed in as the office and as a liaison, and every answer must
be documented (status code and body) and none a server error. Bounded: a few examples per operation."""

import base64
import datetime as dt

import pytest
import schemathesis
import time_machine
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from tests.conftest import PASSWORD
from tests.test_bad_input import CST, _world

pytestmark = pytest.mark.django_db

EXAMPLES = 3
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]


@pytest.fixture
def wsgi_app():
    # The app runs in this thread on the test's own connection (inside its transaction): Django must not
    # close that connection at the end of each request, as the test client also arranges.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield get_wsgi_application()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_the_api_answers_what_its_schema_says(users, wsgi_app):
    """One schema (it is the same for everyone), exercised by two kinds of user."""
    def auth_for(who):
        return {"Authorization": "Basic " + base64.b64encode(f"{who}:{PASSWORD}".encode()).decode()}

    # lists with something in them: an item, reports, a meeting, a community with an assessment
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=CST), tick=False):
        _world(users)
    schema = schemathesis.openapi.from_wsgi("/api/schema/", wsgi_app, headers=auth_for("office"))
    failures = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for who in ("office", "liaison_mzt"):
            auth = auth_for(who)

            @given(case=operation.as_strategy())
            @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                      suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
            def run(case):
                response = case.call(headers=auth)
                case.validate_response(response, checks=CHECKS, headers=auth)

            try:
                run()
            except Exception as exc:  # noqa: BLE001 - every operation's failure is reported, all at once
                failures.append(f"{who} {operation.label}: {str(exc)[:1500]}")
    assert operations > 20
    assert not failures, "\n\n".join(failures)
