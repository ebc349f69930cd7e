"""The Guizhou mechanism as loaded equals the seed (黔建城通〔2020〕87号, Annex 2 and section 三)."""

import re
from datetime import date

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from core.models import AuditEntry
from members.mechanism_config import ConfigError, mechanism_path, mechanism_spec_parse, mechanism_spec_read
from members.models import Division, Mechanism, MemberUnit, Person, ReportingUnit, Role, RoleAssignment, WorkLine
from members.services import mechanism_load

GUIZHOU = mechanism_path("guizhou")

SEED_MEMBERS = {
    "王代良": ("fgw", "资源节约和环境保护处"),
    "方海": ("mzt", "基层政权和社区治理处"),
    "刘伯春": ("gat", "治安总队一处"),
    "郑红艺": ("sthjt", "宣传教育与对外合作处"),
    "杨黎": ("scjgj", "标准化处"),
    "方延旭": ("jtt", "运输处"),
    "文健": ("zjt", "住房保障处"),
    "陈少鸿": ("zjt", "房地产市场监管处"),
    "周平忠": ("zjt", "建筑业管理处"),
    "董亚伟": ("zjt", "勘察设计管理处"),
    "柯东升": ("zjt", "建筑节能与科技处"),
    "李泽晖": ("zjt", "消防设计验收处"),
    "苗理会": ("zjt", "城市管理处"),
    "罗立平": ("zjt", "信息化处"),
}
SEED_LIAISONS = {
    "蔡立智": ("zjt", "城市建设处"),
    "何秋艺": ("fgw", "资源节约和环境保护处"),
    "王浩然": ("mzt", "基层政权和社区治理处"),
    "陈显伟": ("gat", "治安总队一处"),
    "余丽丹": ("sthjt", "宣传教育与对外合作处"),
    "王丁": ("scjgj", "标准化处"),
    "刘晓舜": ("jtt", "运输处"),
    "刘光伦": ("zjt", "住房保障处"),
    "樊欣": ("zjt", "房地产市场监管处"),
    "吴文武": ("zjt", "建筑业管理处"),
    "尹燕": ("zjt", "勘察设计管理处"),
    "段莉": ("zjt", "建筑节能与科技处"),
    "李程远": ("zjt", "消防设计验收处"),
    "陈星利": ("zjt", "城市管理处"),
    "罗雄": ("zjt", "信息化处"),
}
SEED_WORK_LINES = {
    "1a": ({"mzt"}, {"zjt"}),
    "1b": ({"zjt"}, {"mzt", "sthjt"}),
    "2": ({"zjt"}, {"fgw", "scjgj"}),
    "3a": ({"zjt"}, {"sthjt"}),
    "3b": ({"mzt"}, {"zjt"}),
    "4a": ({"zjt", "gat"}, set()),
    "4b": ({"mzt"}, {"zjt", "gat"}),
    "4c": ({"zjt"}, {"mzt"}),
    "5a": ({"mzt"}, set()),
    "5b": ({"sthjt"}, set()),
    "5c": ({"mzt", "fgw", "jtt"}, set()),
    "5d": ({"zjt"}, {"mzt"}),
}
SEED_REPORTING_UNITS = [
    "贵阳市",
    "六盘水市",
    "遵义市",
    "安顺市",
    "毕节市",
    "铜仁市",
    "黔西南州",
    "黔东南州",
    "黔南州",
    "贵安新区",
]


def _active(role):
    return (
        RoleAssignment.objects.active(date(2020, 9, 11)).filter(role=role).select_related("person", "unit", "division")
    )


def test_guizhou_matches_the_seed(mechanism):
    assert mechanism.document == "黔建城通〔2020〕87号"
    units = {u.code: u for u in MemberUnit.objects.all()}
    assert set(units) == {"zjt", "fgw", "mzt", "gat", "sthjt", "jtt", "scjgj"}
    assert [u.code for u in MemberUnit.objects.filter(is_lead=True)] == ["zjt"]
    assert units["zjt"].name == "省住房城乡建设厅"
    assert "节能照明、节水器具" in units["scjgj"].duties

    convener = _active(Role.CONVENER).get()
    assert (convener.person.name, convener.unit.code, convener.person.title) == ("陈维明", "zjt", "副厅长")
    deputy = _active(Role.DEPUTY_CONVENER).get()
    assert (deputy.person.name, deputy.division.name) == ("张春晖", "城市建设处")
    director = _active(Role.OFFICE_DIRECTOR).get()
    assert director.person == deputy.person  # 办公室主任由城市建设处主要负责同志兼任

    members = {a.person.name: (a.unit.code, a.division.name) for a in _active(Role.MEMBER)}
    assert members == SEED_MEMBERS and len(members) == 14
    liaisons = {a.person.name: (a.unit.code, a.division.name) for a in _active(Role.LIAISON)}
    assert liaisons == SEED_LIAISONS and len(liaisons) == 15

    lines = {w.code: w for w in WorkLine.objects.prefetch_related("assignments__unit")}
    assert {
        code: ({u.code for u in w.lead_units}, {u.code for u in w.participating_units}) for code, w in lines.items()
    } == SEED_WORK_LINES
    assert [ru.name for ru in ReportingUnit.objects.order_by("order")] == SEED_REPORTING_UNITS


def test_contact_details_are_left_empty(mechanism):
    assert not Person.objects.exclude(mobile="").exists()
    assert not Person.objects.exclude(email="").exists()
    assert not Person.objects.filter(is_demo=True).exists()


def test_second_load_changes_nothing(mechanism):
    before = (
        AuditEntry.objects.count(),
        Mechanism.objects.get().loaded_at,
        sorted(RoleAssignment.objects.values_list("id", flat=True)),
    )
    report = mechanism_load(spec=mechanism_spec_read(GUIZHOU))
    assert not report.changed and report.created == [] and report.updated == []
    after = (
        AuditEntry.objects.count(),
        Mechanism.objects.get().loaded_at,
        sorted(RoleAssignment.objects.values_list("id", flat=True)),
    )
    assert after == before


def test_first_load_is_audited(db):
    mechanism_load(spec=mechanism_spec_read(GUIZHOU))
    entry = AuditEntry.objects.get(action="mechanism.load")
    assert "版本" in entry.reason and len(entry.changes["created"]) > 100


def test_reload_keeps_roles_changed_in_the_system(mechanism):
    liaison = RoleAssignment.objects.get(person__name="王浩然", role=Role.LIAISON)
    liaison.end_date = date(2024, 1, 1)
    liaison.save()
    mechanism_load(spec=mechanism_spec_read(GUIZHOU))
    liaison.refresh_from_db()
    assert liaison.end_date == date(2024, 1, 1)
    assert RoleAssignment.objects.filter(person__name="王浩然", role=Role.LIAISON).count() == 1


def _text():
    return GUIZHOU.read_text(encoding="utf-8")


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


MALFORMED = [
    # (description, transform, expected fragments of the message)
    (
        "unknown unit in a work line",
        lambda t: t.replace("lead: [mzt, fgw, jtt]", "lead: [mzt, fgw, xyz]"),
        ["work_lines[10].lead[2]", "未知的单位代码 “xyz”", "第 {line} 行"],
        "lead: [mzt, fgw, xyz]",
    ),
    (
        "unknown role",
        lambda t: t.replace("roles: [convener]", "roles: [chairman]"),
        ["people[0].roles[0]", "未知角色 “chairman”"],
        "roles: [chairman]",
    ),
    (
        "division not in unit",
        lambda t: t.replace(
            "{name: 王丁, unit: scjgj, division: 标准化处", "{name: 王丁, unit: scjgj, division: 运输处"
        ),
        ["people[21].division", "没有处室 “运输处”"],
        "{name: 王丁",
    ),
    (
        "missing field",
        lambda t: t.replace("  - {code: zunyi, name: 遵义市, kind: 市}", "  - {code: zunyi, name: 遵义市}"),
        ["reporting_units[2].kind", "缺少必填字段"],
        "{code: zunyi",
    ),
    (
        "two lead units",
        lambda t: t.replace("    full_name: 贵州省民政厅\n", "    full_name: 贵州省民政厅\n    lead: true\n"),
        ["units", "恰有一个牵头单位"],
        None,
    ),
    (
        "misspelt key",
        lambda t: t.replace("    participating: [sthjt]\n", "    participatng: [sthjt]\n", 1),
        ["participatng", "未知字段"],
        "participatng",
    ),
    ("broken YAML", lambda t: t.replace("  - code: fgw\n", "  - code: fgw\n   name: : :\n"), ["YAML 格式错误"], None),
    (
        "duplicate unit code",
        lambda t: t.replace("  - code: jtt\n", "  - code: gat\n"),
        ["units[5]", "单位代码 “gat”", "重复"],
        None,
    ),
    (
        "wrong type for lead",
        lambda t: t.replace("    lead: true\n", "    lead: 是\n", 1),
        ["units[0].lead", "true 或 false"],
        "lead: 是",
    ),
]


@pytest.mark.parametrize("description,transform,fragments,needle", MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_file_is_refused_with_line_and_field(db, description, transform, fragments, needle):
    bad = transform(_text())
    assert bad != _text(), "the fixture transform must change the file"
    with pytest.raises(ConfigError) as excinfo:
        mechanism_spec_parse(bad.encode(), filename="guizhou.yaml")
    message = excinfo.value.message
    line = _line_of(bad, needle) if needle else None
    for fragment in fragments:
        assert fragment.format(line=line) in message, message
    if needle:
        assert f"第 {line} 行" in message
    assert message.startswith("guizhou.yaml")


def test_malformed_file_writes_nothing_through_the_command(db, tmp_path):
    bad = tmp_path / "broken.yaml"
    bad.write_text(_text().replace("roles: [liaison]}", "roles: [liason]}", 1), encoding="utf-8")
    with pytest.raises(CommandError) as excinfo:
        call_command("load_mechanism", str(bad))
    assert "数据库未作任何修改" in str(excinfo.value) and "liason" in str(excinfo.value)
    assert Mechanism.objects.count() == 0 and MemberUnit.objects.count() == 0 and AuditEntry.objects.count() == 0


def test_failure_half_way_through_the_write_rolls_back(db, monkeypatch):
    """A failure after units, people and roles were written (here: at the first reporting unit)
    leaves nothing behind."""
    from members import services

    real_upsert = services._upsert

    def failing_upsert(model, *args, **kwargs):
        if model is ReportingUnit:
            raise RuntimeError("database went away")
        return real_upsert(model, *args, **kwargs)

    monkeypatch.setattr(services, "_upsert", failing_upsert)
    with pytest.raises(RuntimeError):
        mechanism_load(spec=mechanism_spec_read(GUIZHOU))
    assert MemberUnit.objects.count() == 0 and Division.objects.count() == 0 and Person.objects.count() == 0


def test_changed_file_without_new_version_is_refused(mechanism):
    text = _text().replace("负责督促、指导绿色出行工作。", "负责督促、指导绿色出行工作（修订）。")
    spec = mechanism_spec_parse(text.encode(), filename="guizhou.yaml")
    with pytest.raises(ConfigError, match="版本号"):
        mechanism_load(spec=spec)
    assert MemberUnit.objects.get(code="jtt").duties == "负责督促、指导绿色出行工作。"


def test_new_version_updates_and_is_audited(mechanism):
    text = _text().replace("负责督促、指导绿色出行工作。", "负责督促、指导绿色出行工作（修订）。")
    text = re.sub(r'^version: "([^"]+)"', r'version: "\1-test"', text, count=1, flags=re.M)
    report = mechanism_load(spec=mechanism_spec_parse(text.encode(), filename="guizhou.yaml"))
    assert any("省交通运输厅" in line and "duties" in line for line in report.updated)
    assert MemberUnit.objects.get(code="jtt").duties.endswith("（修订）。")
    assert AuditEntry.objects.filter(action="mechanism.load").count() == 2
