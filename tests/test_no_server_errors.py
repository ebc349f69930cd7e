"""Every page, for every kind of user, with junk in the query string: never a server error."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

# NUL bytes: PostgreSQL refuses them in any text parameter.
NUL = "?q=a%00b&year=%00&page=%00&cursor=%00&unit=%00&status=%00&from=%00&to=%00&kind=%00&after=%00&due=%00&role=%00"
JUNK = "?q=%3Cscript%3E&year=abc&page=-1&cursor=zz&unit=x&units=x&status=bad&from=2026-13-45&to=x&kind=x&limit=x&offset=-5&ordering=x&day=x&format=json"


def _paths():
    out = []

    def walk(patterns, prefix):
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                if "format" in str(p.pattern):
                    continue
                route = prefix + str(p.pattern)
                route = route.replace("^", "").replace("$", "").replace("\\Z", "").replace("\\.", ".")
                route = re.sub(r"<[^>]+>", "1", route)
                if "(" in route or "[" in route or route.startswith("admin/"):
                    continue
                out.append("/" + route)

    walk(get_resolver().url_patterns, "")
    return sorted(set(out))


@pytest.mark.parametrize("who", ["convener", "office", "liaison_mzt", "city_guiyang", "outsider"])
def test_no_page_answers_500(users, client_for, who):
    client = client_for(users[who])
    client.raise_request_exception = False
    failures = []
    for path in _paths():
        for url in (path, path + JUNK, path + NUL):
            response = client.get(url)
            if response.status_code >= 500 and not (
                path == "/health/" and response.status_code == 503
            ):  # 503 = "degraded", by design
                failures.append((url, response.status_code))
    assert failures == []
