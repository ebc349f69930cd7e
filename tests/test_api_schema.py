"""The OpenAPI schema (/api/schema/) says what the API answers: schemathesis generates requests from
it, in-process through the WSGI app, signed in as the office and as a liaison, and every answer must
be documented (status code and body) and none a server error. Bounded: a few examples per operation."""

import base64
import datetime as dt

import pytest
import schemathesis
import time_machine
from django.conf import settings as django_settings
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from members.security import second_factor_required
from tests.conftest import PASSWORD, verified_login
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
    app = get_wsgi_application()

    def with_cookie(environ, start_response):
        # The WSGI test client keeps its own cookie jar and drops a Cookie header it did not set, so the
        # session travels in a header of the test's own and becomes the cookie here.
        cookie = environ.pop("HTTP_X_TEST_COOKIE", None)
        if cookie:
            environ["HTTP_COOKIE"] = cookie
        return app(environ, start_response)

    yield with_cookie
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_the_api_answers_what_its_schema_says(users, wsgi_app):
    """One schema (it is the same for everyone), exercised by two kinds of user."""

    def auth_for(who):
        user = users[who]
        if not second_factor_required(user):
            return {"Authorization": "Basic " + base64.b64encode(f"{who}:{PASSWORD}".encode()).decode()}
        # The office must pass the second factor, so it calls the API as the browser does: a verified
        # session, with the CSRF cookie and header that session authentication asks of every write.
        client = verified_login(Client(), user)
        session = client.cookies[django_settings.SESSION_COOKIE_NAME].value
        token = "schemathesisCsrfToken0123456789a"
        return {
            "X-Test-Cookie": f"{django_settings.SESSION_COOKIE_NAME}={session}; "
            f"{django_settings.CSRF_COOKIE_NAME}={token}",
            "X-CSRFToken": token,
        }

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
            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                derandomize=True,
                suppress_health_check=list(HealthCheck),
                phases=[Phase.explicit, Phase.generate],
            )
            def run(case):  # called at once below, in this iteration: `auth` is the one meant
                response = case.call(headers=auth)  # noqa: B023
                case.validate_response(response, checks=CHECKS, headers=auth)  # noqa: B023

            try:
                run()
            except Exception as exc:  # noqa: BLE001 - every operation's failure is reported, all at once
                failures.append(f"{who} {operation.label}: {str(exc)[:1500]}")
    assert operations > 20
    assert not failures, "\n\n".join(failures)
