"""Bad input anywhere gets a 400 or a Chinese form error, never a server error (issue 11).

Generated, not listed: each kind of user walks the site from its first page through every link it is
shown (ids are the real ones of a small world: an item, reports, a meeting with minutes, a community
with an assessment), and every URL pattern the walk did not reach is tried with the id 1. Then:
- every path segment that is a number is replaced by a number beyond bigint and by a NUL byte;
- every query parameter of every link, and every field of every GET form (the filters), gets a NUL
  byte, 10,000 characters and a number beyond bigint;
- every POST form found on a page is sent back with every field (hidden ones — `version` — too) set
  to a NUL byte, to 10,000 characters, to a number beyond bigint, and emptied.
A page may refuse any of it (400, 403, 404, 409, a form error, a redirect); none may answer 5xx."""

import datetime as dt
import re
from collections import deque
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
import time_machine
from django.urls import URLPattern, URLResolver, get_resolver

pytestmark = pytest.mark.django_db

CST = dt.timezone(dt.timedelta(hours=8))
NUL = "a\x00b"
LONG = "长" * 10_000
HUGE = "99999999999999999999"
VALUES = {"nul": NUL, "long": LONG, "huge": HUGE, "empty": ""}
SKIP_PREFIXES = ("/static/", "/media/", "/admin/", "/accounts/logout/", "/api/docs/")
MAX_PAGES = 400


class _Page(HTMLParser):
    """Links and forms of one page: enough of HTML to know what a person could send."""

    def __init__(self):
        super().__init__()
        self.links, self.forms, self._form = [], [], None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "form":
            self._form = {"action": a.get("action") or "", "method": (a.get("method") or "get").lower(), "fields": {}}
            self.forms.append(self._form)
        elif self._form is not None and tag in ("input", "textarea", "select", "button") and a.get("name"):
            kind = a.get("type", "text" if tag != "button" else "submit").lower()
            if kind == "file":
                return
            if kind in ("submit", "checkbox", "radio") and a["name"] in self._form["fields"]:
                return  # keep the first button / box of a name: one choice is enough
            self._form["fields"][a["name"]] = (kind, a.get("value", "on" if kind == "checkbox" else ""))

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None


def _world(users):
    """An item with shares, quarterly reports, a meeting with minutes, a community with an assessment."""
    from communities.services import assessment_start, community_create, community_join
    from deadlines.services.obligations import obligations_generate
    from meetings.services.meetings import meeting_attendance_record, meeting_decide, meeting_propose, meeting_schedule
    from members.models import MemberUnit, ReportingUnit
    from tasks import services as flow

    unit = lambda code: MemberUnit.objects.get(code=code)  # noqa: E731
    flow.item_dispatch(
        by=users["office"],
        title="推进老旧小区绿色化改造",
        content="请按分工办理。",
        source="ad_hoc",
        lead_units=[unit("mzt")],
        participating_units=[unit("zjt")],
        due_date=dt.date(2026, 3, 20),
    )
    obligations_generate()
    m = meeting_propose(
        title="第一次联席会议",
        topics="审议年度工作要点",
        reasons="年度工作部署",
        unit=unit("mzt"),
        by=users["liaison_mzt"],
    )
    meeting_decide(meeting=m, approve=True, by=users["convener"])
    meeting_schedule(
        meeting=m,
        starts_at=dt.datetime(2026, 3, 10, 9, 30, tzinfo=CST),
        place="会议室",
        chair="陈维明",
        units=[unit("mzt"), unit("zjt")],
        by=users["office"],
    )
    meeting_attendance_record(meeting=m, attended_units=[unit("mzt"), unit("zjt")], by=users["office"])
    city = users["city_guiyang"]
    community = community_join(
        community=community_create(
            reporting_unit=ReportingUnit.objects.get(code="guiyang"), name="中华南路社区", county="云岩区", by=city
        ),
        by=city,
    )
    assessment_start(community=community, by=city)


def _internal(href):
    parts = urlsplit(href)
    if parts.scheme or parts.netloc or not parts.path.startswith("/") or parts.path.startswith(SKIP_PREFIXES):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _walk(client, starts):
    """The pages reachable by links from `starts`, two of each shape (a unit's page is like every other
    unit's page): {url: (status, page)}."""
    seen, queue, pages, shapes = set(starts), deque(starts), {}, {}
    while queue and len(pages) < MAX_PAGES:
        url = queue.popleft()
        shape = (_shape(url), tuple(sorted(k for k, _ in parse_qsl(urlsplit(url).query))))
        shapes[shape] = shapes.get(shape, 0) + 1
        if shapes[shape] > 2:
            continue
        response = client.get(url)
        if response.status_code >= 500:
            pages[url] = (response.status_code, None)
            continue
        if "text/html" not in response.get("Content-Type", "") or response.status_code != 200:
            pages[url] = (response.status_code, None)
            continue
        page = _Page()
        page.feed(response.content.decode())
        pages[url] = (200, page)
        for href in page.links:
            target = _internal(href)
            # one visit per list page is enough: pages of results differ only in their rows
            if target and target not in seen and not re.search(r"[?&](page|cursor)=", target):
                seen.add(target)
                queue.append(target)
    return pages


def _patterns():
    out = []

    def walk(patterns, prefix):
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                route = prefix + str(p.pattern)
                if "format" in route or "(" in route.replace("(?P<", "") or route.startswith("admin/"):
                    continue
                route = route.replace("^", "").replace("$", "").replace("\\Z", "").replace("\\.", ".")
                route = re.sub(r"\(\?P<[^>]+>[^)]*\)", "1", route)
                out.append("/" + re.sub(r"<[^>]+>", "1", route))

    walk(get_resolver().url_patterns, "")
    return sorted(set(out))


def _shape(url):
    """A URL with its numbers blanked: one per pattern is enough for the path attacks."""
    return re.sub(r"/\d+", "/#", urlsplit(url).path)


def _path_attacks(url):
    path = urlsplit(url).path
    out = []
    for m in re.finditer(r"(?<=/)\d+(?=[/.])", path):
        for value in (HUGE, "%00", "-1"):
            out.append(path[: m.start()] + value + path[m.end() :])
    out.append(path.rstrip("/") + "/%00/" if path.endswith("/") else path + "%00")
    return out


def _query_attacks(url):
    parts = urlsplit(url)
    params = parse_qsl(parts.query, keep_blank_values=True)
    out = []
    for i, (name, _) in enumerate(params):
        for value in VALUES.values():
            changed = params[:i] + [(name, value)] + params[i + 1 :]
            out.append(parts.path + "?" + urlencode(changed))
    return out


def _form_data(form, value):
    data = {}
    for name, (kind, original) in form["fields"].items():
        if name == "csrfmiddlewaretoken":
            continue
        data[name] = original if kind in ("submit", "checkbox", "radio") and value == "" else value
    return data


def _form_url(page_url, form):
    action = form["action"] or urlsplit(page_url).path
    return _internal(action) if action.startswith("/") else urlsplit(page_url).path


ROLES = ["office", "liaison_mzt", "city_guiyang", "convener", "anonymous"]


@pytest.mark.parametrize("who", ROLES)
def test_bad_input_never_answers_a_server_error(users, client_for, who):
    from django.test import Client

    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=CST), tick=False):
        _world(users)
        client = Client() if who == "anonymous" else client_for(users[who])
        client.raise_request_exception = False
        failures = []

        def check(method, url, data=None):
            response = client.get(url, data) if method == "get" else client.post(url, data or {})
            if response.status_code >= 500 and not (url.startswith("/health/") and response.status_code == 503):
                error = getattr(response, "exc_info", None)
                failures.append(
                    (
                        method,
                        url[:120],
                        {k: (v[:12] if isinstance(v, str) else v) for k, v in (data or {}).items()},
                        response.status_code,
                        repr(error[1])[:300] if error else "",
                    )
                )
            return response

        starts = ["/", "/accounts/login/"] + _patterns()
        pages = _walk(client, starts)
        failures += [
            ("get", url, {}, status)
            for url, (status, _) in pages.items()
            if status >= 500 and not (url.startswith("/health/") and status == 503)
        ]

        shapes, params = set(), set()
        for url in list(pages):
            shape = _shape(url)
            if shape not in shapes:
                shapes.add(shape)
                for attack in _path_attacks(url):
                    check("get", attack)
            names = tuple(sorted(k for k, _ in parse_qsl(urlsplit(url).query)))
            if names and (shape, names) not in params:
                params.add((shape, names))
                for attack in _query_attacks(url):
                    check("get", attack)

        forms = {}
        for url, (_, page) in pages.items():
            for form in page.forms if page else ():
                target = _form_url(url, form)
                if target is None or target.startswith("/accounts/logout/"):
                    continue
                forms.setdefault((form["method"], _shape(target), tuple(sorted(form["fields"]))), (target, form))
        for (method, _, _), (target, form) in forms.items():
            for value in VALUES.values():
                check(method, target, _form_data(form, value))
        # the walk must have found something to attack, or this test proves nothing
        assert len(pages) > (2 if who == "anonymous" else 20) and forms
        assert not failures, "\n".join(map(repr, failures))


@pytest.mark.parametrize(
    "url",
    [
        "/calendar/%00.ics",
        "/calendar/a%00b.ics",
        f"/calendar/{HUGE}.ics",
        "/communities/%00/",
        f"/items/{HUGE}/",
        "/items/1%00/",
    ],
)
def test_a_nul_or_a_huge_number_in_the_path_is_refused_without_sign_in(client, url):
    client.raise_request_exception = False
    response = client.get(url)
    assert response.status_code < 500


# --- the findings of issue 11, one by one ---------------------------------------------------------------


@pytest.fixture
def under_review(users, client_for):
    """An item whose only unit has reported: the office may 办结 it."""
    from members.models import MemberUnit
    from tasks import services as flow

    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=CST), tick=False):
        item = flow.item_dispatch(
            by=users["office"],
            title="推进老旧小区绿色化改造",
            content="请按分工办理。",
            source="ad_hoc",
            lead_units=[MemberUnit.objects.get(code="zjt")],
            participating_units=[],
            due_date=dt.date(2026, 3, 20),
        )
        a = item.assignments.get()
        liaison = client_for(users["liaison_zjt"])
        liaison.post(f"/items/tasks/{a.pk}/claim/")
        a.refresh_from_db()
        liaison.post(f"/items/tasks/{a.pk}/work/", {"result": "已完成", "version": a.version, "submit": "1"})
    item.refresh_from_db()
    assert item.status == "under_review"
    return item


@pytest.mark.parametrize("version", ["", "abc", "a\x00b", HUGE, "-1"])
def test_accept_with_a_bad_version_is_a_chinese_error_not_a_500(users, client_for, under_review, version):
    response = client_for(users["office"]).post(f"/items/{under_review.pk}/accept/", {"version": version})
    assert response.status_code in (400, 409)
    assert "版本号无效" in response.content.decode() or "已被他人修改" in response.content.decode()
    under_review.refresh_from_db()
    assert under_review.status == "under_review"


def test_a_nul_in_a_comment_is_a_form_error_that_keeps_the_text(users, client_for, under_review):
    response = client_for(users["office"]).post(f"/items/{under_review.pk}/comment/", {"body": "请补充\x00数据"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "意见内容含有无效字符（空字符）" in page and "请补充" in page
    assert not under_review.comments.exists()


def test_a_nul_in_a_django_form_re_renders_it_with_the_typed_values(users, client_for):
    from communities.models import Community
    from members.models import ReportingUnit

    unit = ReportingUnit.objects.get(code="guiyang")
    response = client_for(users["city_guiyang"]).post(
        "/communities/new/",
        {"reporting_unit": unit.pk, "name": "中华\x00南路社区", "county": "云岩区", "renovation": "none"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "含有无效字符（空字符），请删除后重试。" in page and "云岩区" in page
    assert not Community.objects.exists()


def test_a_forged_form_count_builds_no_thousand_forms(users, client_for):
    """TOTAL_FORMS beyond bigint on the minutes page: refused by the formset, not a thousand forms."""
    from meetings.forms import MatterFormSet

    formset = MatterFormSet({"m-TOTAL_FORMS": HUGE, "m-INITIAL_FORMS": "0"}, prefix="m")
    assert len(formset.forms) <= 30 and not formset.is_valid()


@pytest.mark.parametrize(
    "url",
    [
        "/items/queue/?unit=²",
        "/items/queue/?unit=" + HUGE,
        "/items/new/?work_line=²",
        "/items/new/?work_line=" + HUGE,
        "/dashboard/list/?metric=open&unit=mu:²",
        "/dashboard/list/?metric=open&unit=mu:" + HUGE,
    ],
)
def test_digits_python_will_not_parse_are_not_a_500(users, client_for, url):
    """'²'.isdigit() is True but int('²') fails: ids are parsed by core.parsing, not by isdigit()."""
    client = client_for(users["office"])
    client.raise_request_exception = False
    assert client.get(url).status_code in (200, 400, 404)
