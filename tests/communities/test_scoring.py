"""The two engines against hand-computed examples, read off the seeds' 评分标准 column."""

import re
from pathlib import Path

import pytest

from communities.scoring import StandardError, engine_for, share_reached, standard_read

SOURCES = Path(__file__).resolve().parents[2] / "docs" / "sources"
ZJ = engine_for("zhejiang")
GZ = engine_for("guizhou")

# A perfect community: every required fact at its best value.
PERFECT = {"trainings_per_year": 2, "property_management_coverage": "30", "heritage": "protected"}


def score(**facts):
    return ZJ.evaluate({**PERFECT, **facts})


def item(result, no):
    return next(i for i in result.items if i.no == no)


def test_perfect_community_scores_96_plus_bonus():
    r = score()
    assert r.total == 96 and r.passed and r.max_total == 100
    assert [i.score for i in r.items[:16]] == [6] * 16
    assert score(bonus=4).total == 100


# --- each item's rule ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "facts,expected",
    [
        ({"no_documents": True}, 3),
        ({"low_participation": 2}, 4),
        ({"no_documents": True, "low_participation": 3}, 0),
    ],
)
def test_item_1(facts, expected):
    assert item(score(**facts), 1).score == expected


def test_item_1_judgement_outside_1_to_3_is_refused_not_clamped():
    with pytest.raises(StandardError, match="第1项"):
        score(low_participation=4)


@pytest.mark.parametrize(
    "facts,expected", [({"no_platform": True}, 3), ({"no_platform": True, "no_consultation": True}, 0)]
)
def test_item_2(facts, expected):
    assert item(score(**facts), 2).score == expected


def test_items_3_4_and_5():
    assert item(score(professionals_absent=3), 3).score == 3
    assert item(score(infrastructure_missing=2, no_rectification_plan=True), 4).score == 1
    assert item(score(no_road_works=True, no_sponge_works=True), 5).score == 2
    assert item(score(no_road_works=True, no_sponge_works=True, no_full_waste_sorting=True), 5).score == 0


@pytest.mark.parametrize("materials,expected", [(0, 6), (1, 5), (3, 3), (5, 3)])
def test_item_6_banned_materials_one_each_at_most_3(materials, expected):
    assert item(score(banned_materials=materials), 6).score == expected


def test_item_6_both_rules_reach_zero():
    assert item(score(wasteful_projects=True, banned_materials=7), 6).score == 0


def test_item_7_two_judgements():
    assert item(score(green_space_layout=1, public_space_lacking=3), 7).score == 2


@pytest.mark.parametrize(
    "parking,spaces,lanes,expected",
    [
        (1, 0, 0, 5),
        (2, 0, 0, 4),
        (9, 0, 0, 4),  # 乱停车 at most −2
        (0, 5, 0, 4),  # 公共车位 at most −2
        (0, 0, 1, 5),
        (0, 0, 4, 4),  # 生命通道 at most −2
        (3, 3, 3, 0),
        (1, 1, 1, 3),
    ],
)
def test_item_8_three_capped_sub_rules(parking, spaces, lanes, expected):
    r = score(illegal_parking=parking, occupied_public_spaces=spaces, blocked_fire_lanes=lanes)
    assert item(r, 8).score == expected


def test_item_9():
    assert item(score(no_ageing_friendly=True), 9).score == 3
    assert item(score(no_ageing_friendly=True, no_barrier_free=True), 9).score == 0


@pytest.mark.parametrize(
    "received,handled,expected",
    [
        (0, 0, 6),  # no complaint: nothing left unhandled
        (10, 10, 6),  # 100%
        (10, 9, 5),  # 90%: −1
        (20, 19, 5),  # 95%: part of a 10% step counts as a step
        (10, 8, 4),  # 80%
        (10, 7, 3),  # 70%
        (10, 6, 2),  # 60%: −4, still scored
        (100, 61, 2),  # 61%: 39% lower → 4 steps
        (100, 59, 0),  # below 60%: the item scores 0
        (10, 0, 0),
    ],
)
def test_item_10_complaint_handling(received, handled, expected):
    r = score(noise_complaints_received=received, noise_complaints_handled=handled)
    assert item(r, 10).score == expected


def test_item_10_more_handled_than_received_is_refused():
    with pytest.raises(StandardError, match="已处理件数不能多于投诉件数"):
        score(noise_complaints_received=3, noise_complaints_handled=4)


def test_item_11():
    assert item(score(no_smart_security=True), 11).score == 0


@pytest.mark.parametrize(
    "coverage,expected",
    [
        ("100", 6),
        ("30", 6),
        ("29.9", 5),
        ("25", 5),
        ("24.9", 4),
        ("20", 4),
        ("5", 1),
        ("0.1", 0),
        ("0", 0),
    ],
)
def test_item_12_coverage_minus_1_per_5_percent_at_most_6(coverage, expected):
    assert item(score(property_management_coverage=coverage), 12).score == expected


@pytest.mark.parametrize("bad", ["-1", "100.1", "abc", ""])
def test_item_12_bad_coverage_is_refused(bad):
    with pytest.raises(StandardError, match="第12项"):
        score(property_management_coverage=bad)


@pytest.mark.parametrize(
    "no_site,quarters,expected",
    [
        (False, 0, 6),
        (True, 0, 4),
        (False, 1, 4),
        (False, 2, 2),
        (False, 4, 2),  # quarters at most −4
        (True, 2, 0),
        (True, 4, 0),
    ],
)
def test_item_13_site_and_quarterly_updates(no_site, quarters, expected):
    r = score(no_publicity_site=no_site, quarters_without_update=quarters)
    assert item(r, 13).score == expected


def test_item_13_more_than_four_quarters_is_refused():
    with pytest.raises(StandardError, match="第13项"):
        score(quarters_without_update=5)


@pytest.mark.parametrize("trainings,expected", [(5, 6), (2, 6), (1, 3), (0, 0)])
def test_item_14_trainings(trainings, expected):
    assert item(score(trainings_per_year=trainings), 14).score == expected


def test_item_14_must_be_entered():
    with pytest.raises(StandardError, match="请填写第14项"):
        ZJ.evaluate({"property_management_coverage": "40", "heritage": "protected"})


def test_item_15():
    assert item(score(no_convention=True, media_exposure=True), 15).score == 2


@pytest.mark.parametrize("heritage,expected", [("protected", 6), ("not_protected", 3), ("damaged", 0)])
def test_item_16_damaging_incident_loses_6(heritage, expected):
    assert item(score(heritage=heritage), 16).score == expected


def test_item_16_unknown_option_is_refused():
    with pytest.raises(StandardError, match="第16项"):
        score(heritage="fine")


@pytest.mark.parametrize("bonus,expected", [(0, 0), (3, 3), (4, 4), (7, 4)])
def test_bonus_item_17_capped_at_4(bonus, expected):
    r = score(bonus=bonus)
    assert item(r, 17).score == expected and r.total == 96 + expected
    assert bool(item(r, 17).notes) == (bonus > 4)


# --- the 80-point line ---------------------------------------------------------------------------


def test_80_passes_and_79_fails():
    # 96 − 6 (item 11) − 6 (item 16 damaged) − 4 (item 12 at 12%: 18% lower → 4 steps) = 80
    at_80 = score(no_smart_security=True, heritage="damaged", property_management_coverage="12")
    assert at_80.total == 80 and at_80.passed
    at_79 = score(no_smart_security=True, heritage="damaged", property_management_coverage="12", illegal_parking=1)
    assert at_79.total == 79 and not at_79.passed
    # the bonus can lift 79 over the line
    assert score(
        no_smart_security=True, heritage="damaged", property_management_coverage="12", illegal_parking=1, bonus=1
    ).passed


def test_floor_reading_of_steps_is_available(monkeypatch):
    engine = engine_for("zhejiang")
    monkeypatch.setitem(engine.spec, "partial_step", "full_steps_only")
    r = engine.evaluate(
        {
            **PERFECT,
            "property_management_coverage": "29",
            "noise_complaints_received": 20,
            "noise_complaints_handled": 19,
        }
    )
    assert item(r, 12).score == 6 and item(r, 10).score == 6


# --- Guizhou's checklist -------------------------------------------------------------------------


def test_guizhou_checklist_needs_all_16_items():
    all_met = {f"item_{n}": True for n in range(1, 17)}
    r = GZ.evaluate(all_met)
    assert r.passed and r.total == 16 and len(r.items) == 16
    r = GZ.evaluate({**all_met, "item_12": False})
    assert not r.passed and r.total == 15 and item(r, 12).met is False
    assert not GZ.evaluate({}).passed


def test_guizhou_has_16_items_in_5_areas():
    spec = standard_read("guizhou")
    assert [len(a["items"]) for a in spec["areas"]] == [3, 3, 4, 2, 4]
    assert [i["number"] for a in spec["areas"] for i in a["items"]] == list(range(1, 17))


# --- texts are the seed's, word for word ---------------------------------------------------------


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_zhejiang_texts_are_in_the_seed():
    seed = _squash((SOURCES / "zhejiang-green-community-plan.txt").read_text(encoding="utf-8"))
    spec = standard_read("zhejiang")
    for area in spec["areas"]:
        assert _squash(area["name"]) in seed
        for it in area["items"]:
            assert _squash(it["standard"]) in seed, it["number"]
            assert _squash(it["scoring"]) in seed, it["number"]
            assert it["points"] == 6
    assert _squash(spec["bonus"]["scoring"]) in seed and _squash(spec["pass_text"]) in seed
    for t in spec["targets"]:
        assert _squash(t["text"]) in seed


def test_guizhou_texts_are_in_the_seed():
    seed = _squash((SOURCES / "guizhou-qianjianchengtong-2020-87.txt").read_text(encoding="utf-8"))
    spec = standard_read("guizhou")
    for area in spec["areas"]:
        assert _squash(area["name"]) in seed
        for it in area["items"]:
            assert _squash(it["standard"]) in seed, it["number"]
    for t in spec["targets"]:
        assert _squash(t["text"]) in seed
    assert _squash(spec["renovated_estates"]["text"]) in seed


# --- targets -------------------------------------------------------------------------------------


def test_targets_by_year():
    assert GZ.target_for(2020) is None
    assert GZ.target_for(2021)["share"] == 30 and GZ.target_for(2022)["share"] == 60
    assert GZ.target_for(2025)["share"] == 60
    assert ZJ.target_for(2021)["share"] == 40 and ZJ.target_for(2022)["share"] == 60
    assert GZ.renovated_share == 100 and ZJ.renovated_share is None
    assert ZJ.report_by_county and not GZ.report_by_county


@pytest.mark.parametrize(
    "met,total,share,reached",
    [
        (299, 1000, 30, False),
        (300, 1000, 30, True),
        (3, 10, 30, True),
        (2, 10, 30, False),
        (399, 1000, 40, False),
        (400, 1000, 40, True),
        (0, 0, 30, False),
        (1, 1, 100, True),
        (99, 100, 100, False),
    ],
)
def test_share_reached_at_the_boundary(met, total, share, reached):
    assert share_reached(met, total, share) is reached
