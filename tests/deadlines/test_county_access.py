"""Access follows the tree (docs/counties.md): a county sees its own only, a prefecture its own and its
counties', the province everything; the rest is 404. The permission matrix over every obligation page
of the tree for every account, and a walk of every page for the marks each account must never see."""

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from deadlines import cascade
from deadlines.models import Obligation
from deadlines.services.obligations import obligation_submit, obligations_generate
from tests.county_world import county_world
from tests.test_no_server_errors import _paths

TZ = ZoneInfo("Asia/Shanghai")
MADE = datetime(2026, 11, 2, 10, tzinfo=TZ)
WALKED = datetime(2026, 11, 10, 10, tzinfo=TZ)
OVERSEERS = ["convener", "deputy", "office", "admin"]
COUNTY_OF = {
    "city_chengdong": "gy_chengdong",
    "city_chengxi": "gy_chengxi",
    "city_shannan": "gy_shannan",
    "city_beishan": "zy_beishan",
}
PREFECTURE_OF = {"city_guiyang": "guiyang", "city_zunyi": "zunyi"}
EVERYONE = [
    *OVERSEERS,
    "member_mzt",
    "liaison_mzt",
    "liaison_zjt",
    "outsider",
    "city_guiyang",
    "city_zunyi",
    *COUNTY_OF,
]


@pytest.fixture
def tree(users):
    with time_machine.travel(MADE, tick=False):
        world = county_world(users)
        obligations_generate()
        parents = {
            code: Obligation.objects.get(reporting_unit__code=code, rule__code="stage_summary", period="2026-1115")
            for code in ("guiyang", "zunyi")
        }
        shares = {}
        for code, parent in parents.items():
            for share in cascade.obligation_pass_down(
                obligation=parent,
                counties=parent.reporting_unit.counties.all(),
                due_on=date(2026, 11, 9),
                by=users[f"city_{code}"],
            ):
                shares[share.reporting_unit.code] = share
    with time_machine.travel(datetime(2026, 11, 5, 10, tzinfo=TZ), tick=False):
        for username, code in COUNTY_OF.items():
            obligation_submit(obligation=shares[code], text=f"{world[code].name}报送甲", by=users[username])
    return {"parents": parents, "shares": shares, "world": world}


def _may_see(who: str, o: Obligation) -> bool:
    code = o.reporting_unit.code
    parent = o.reporting_unit.parent.code if o.reporting_unit.parent_id else None
    if who in OVERSEERS:
        return True
    if who in COUNTY_OF:
        return COUNTY_OF[who] == code
    if who in PREFECTURE_OF:
        return PREFECTURE_OF[who] in (code, parent)
    return False


def test_the_matrix_of_obligation_pages_follows_the_tree(tree, users, client_for):
    objects = [*tree["parents"].values(), *tree["shares"].values()]
    wrong = []
    with time_machine.travel(WALKED, tick=False):
        for who in EVERYONE:
            client = client_for(users[who])
            for o in objects:
                want = 200 if _may_see(who, o) else 404
                for url in (f"/deadlines/obligations/{o.pk}/", f"/api/v1/obligations/{o.pk}/"):
                    got = client.get(url).status_code
                    if got != want:
                        wrong.append((who, url, o.reporting_unit.name, got, want))
            # the county page: the prefecture and the province; never a county, never the other prefecture
            for code, parent in tree["parents"].items():
                want = 200 if who in OVERSEERS or PREFECTURE_OF.get(who) == code else 404
                got = client.get(f"/deadlines/obligations/{parent.pk}/counties/").status_code
                if got != want:
                    wrong.append((who, "counties", code, got, want))
            for share in tree["shares"].values():  # a share has no county page of its own
                if client.get(f"/deadlines/obligations/{share.pk}/counties/").status_code != 404:
                    wrong.append((who, "counties of a share", share.pk))
    assert wrong == []


def test_no_page_shows_a_county_return_to_anyone_outside_its_tree(tree, users, client_for):
    """Every page (list pages, and each object page filled with the tree's ids) for every account:
    0 leaks of the county returns an account may not see."""
    marks = {code: f"{tree['world'][code].name}报送甲" for code in COUNTY_OF.values()}
    ids = [str(o.pk) for o in [*tree["parents"].values(), *tree["shares"].values()]]
    patterns = _paths()
    paths = [p for p in patterns if "/1" not in p]
    paths += sorted(
        {
            re.sub(r"/1(?=[/.])", f"/{pk}", p, count=1)
            for p in patterns
            if "/1" in p and p.startswith(("/deadlines/", "/api/"))
            for pk in ids
        }
    )
    leaks = []
    with time_machine.travel(WALKED, tick=False):
        for who in EVERYONE:
            if who in OVERSEERS:
                continue  # the province sees every return
            forbidden = [m for code, m in marks.items() if not _may_see(who, tree["shares"][code])]
            client = client_for(users[who])
            client.raise_request_exception = False
            for path in paths:
                response = client.get(path)
                if response.status_code >= 500:
                    leaks.append((who, path, response.status_code))
                    continue
                body = b"".join(response.streaming_content) if response.streaming else response.content
                found = [m for m in forbidden if m in body.decode("utf-8", "replace")]
                if found:
                    leaks.append((who, path, found))
    assert leaks == []


def test_a_county_lists_only_its_own_and_a_prefecture_its_counties(tree, users, client_for):
    with time_machine.travel(WALKED, tick=False):
        page = client_for(users["city_chengdong"]).get("/deadlines/?status=all").content.decode()
        assert "城东区" in page and "城西区" not in page and "贵阳市" not in page
        page = client_for(users["city_guiyang"]).get("/deadlines/?status=all").content.decode()
        assert "贵阳市" in page and "城东区" not in page  # its own list first: the counties' are one click away
        page = client_for(users["city_guiyang"]).get("/deadlines/?status=all&scope=counties").content.decode()
        assert all(n in page for n in ("城东区", "城西区", "山南县")) and "北山县" not in page
        page = client_for(users["city_zunyi"]).get("/deadlines/?status=all&scope=counties").content.decode()
        assert "北山县" in page and "城东区" not in page
