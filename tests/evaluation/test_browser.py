"""The evaluation's pages in a real browser at phone (390 px) and desktop (1440 px) width: no page
scrolls sideways and axe-core finds no serious or critical violation — for the office (the table,
a unit's result, its drill-down, good practice) and for a liaison (their own published result)."""

import os

import pytest
from django.conf import settings
from django.test import Client

from evaluation.services import (
    evaluation_compute,
    evaluation_confirm,
    evaluation_publish,
    evaluation_submit,
    practice_create,
    practice_praise,
    score_adjust,
)
from tests.conftest import CHROMIUM, verified_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _context(browser, live_server, user, width):
    client = verified_login(Client(), user)
    context = browser.new_context(locale="zh-CN", base_url=live_server.url, viewport={"width": width, "height": 900})
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    return context


def test_evaluation_pages_fit_phone_and_desktop_and_pass_axe(year, users, mechanism, live_server):
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import sync_playwright

    e = evaluation_compute(mechanism=mechanism, year=2025, by=users["office"])
    mzt = e.scores.get(name="省民政厅")
    score_adjust(
        score=e.scores.get(name="贵阳市"), adjustment="1", reason="创建工作获省政府督查通报肯定", by=users["office"]
    )
    p = practice_create(
        by=users["office"],
        title="垃圾分类积分兑换",
        text="推行积分兑换，居民参与率明显提高。" * 10,
        member_unit=mzt.member_unit,
    )
    practice_praise(practice=p, praised=True, by=users["office"])
    office_pages = [
        "/evaluation/",
        f"/evaluation/{e.pk}/",
        f"/evaluation/{e.pk}/units/{mzt.pk}/",
        f"/evaluation/{e.pk}/units/{mzt.pk}/overdue_days/",
        f"/evaluation/{e.pk}/units/{mzt.pk}/returns/",
        "/evaluation/practices/",
        f"/evaluation/practices/{p.pk}/",
    ]
    evaluation_submit(evaluation=e, by=users["office"])
    evaluation_confirm(evaluation=e, by=users["convener"])
    evaluation_publish(evaluation=e, by=users["office"])
    liaison_pages = [
        "/evaluation/",
        f"/evaluation/{e.pk}/units/{mzt.pk}/",
        f"/evaluation/{e.pk}/units/{mzt.pk}/quality/",
    ]

    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    problems = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
            axe = Axe()
            for who, paths in (("office", office_pages), ("liaison_mzt", liaison_pages)):
                for width in (390, 1440):
                    context = _context(browser, live_server, users[who], width)
                    page = context.new_page()
                    for path in paths:
                        assert page.goto(path).status == 200, (who, path)
                        scroll = page.evaluate("document.documentElement.scrollWidth")
                        if scroll > width:
                            problems.append(f"{who} {path} @{width}px: 页面宽 {scroll}px")
                        for v in axe.run(page).response["violations"]:
                            if v["impact"] in {"serious", "critical"}:
                                problems.append(f"{who} {path} @{width}px: {v['id']} {v['nodes'][0]['target']}")
                    context.close()
            browser.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    assert not problems, "\n".join(problems)
