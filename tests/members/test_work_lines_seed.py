"""The work lines of members/mechanisms/guizhou.yaml are the seed's section 三 word for word: each line is
the text from its subsection's heading (or the previous line's bracket) to its own bracket, and a reload
of an existing database brings stored texts up to date (the loader updates on a new version)."""

import re
from pathlib import Path

from core.models import AuditEntry
from members.mechanism_config import mechanism_path, mechanism_spec_read
from members.models import Mechanism, WorkLine
from members.services import mechanism_load

SEED = Path(__file__).resolve().parents[2] / "docs" / "sources" / "guizhou-qianjianchengtong-2020-87.txt"


def seed_section_three() -> dict[str, list[tuple[str, str]]]:
    """（一）…（五） → [(text, bracket)] as printed in the seed (page breaks joined)."""
    text = SEED.read_text(encoding="utf-8")
    part = text[text.index("三、工作内容") : text.index("四、工作步骤")].replace("三、工作内容", "").strip()
    part = re.sub(r"\n\n(?!（[一二三四五]）)", "", part)
    out = {}
    for para in (p for p in part.split("\n\n") if p.strip()):
        head = re.match(r"（([一二三四五])）([^。]+)。", para)
        pieces = re.split(r"[（(](省[^（）()]*?)[）)]", para[head.end() :])
        out[head.group(0)[:-1]] = [(pieces[i].lstrip("。") + "。", pieces[i + 1]) for i in range(0, len(pieces) - 1, 2)]
    return out


def test_every_work_line_is_the_seed_text(mechanism):
    seed = seed_section_three()
    lines = list(WorkLine.objects.filter(mechanism=mechanism).order_by("order"))
    assert len(lines) == sum(len(v) for v in seed.values()) == 12
    by_section: dict[str, list[WorkLine]] = {}
    for line in lines:
        by_section.setdefault(line.section, []).append(line)
    assert list(by_section) == list(seed)
    for section, expected in seed.items():
        got = by_section[section]
        assert [w.content for w in got] == [text for text, _ in expected], section
        for w, (_text, bracket) in zip(got, expected, strict=True):
            lead = {u.name for u in w.lead_units}
            assert all(name in bracket.split("牵头负责")[0] for name in lead), (w.code, bracket)
    # Nothing stitched in by YAML folding: no spaces inside Chinese text.
    assert not [w.code for w in lines if " " in w.content]
    assert WorkLine.objects.get(code="3a").content.startswith("因地制宜开展社区人居环境建设和整治。")
    assert "增加荫下公共活动场所、小型运动场地和健身设施。" in WorkLine.objects.get(code="3a").content
    assert WorkLine.objects.get(code="3b").content.startswith("针对新冠肺炎疫情暴露出的问题，")
    assert "消除路面坑洼破损等安全隐患" in WorkLine.objects.get(code="2").content


def test_reloading_an_older_database_updates_the_texts(mechanism):
    """A database loaded from the previous version (abridged 3a, older version number) is brought up to
    date by `load_mechanism`: the new version is accepted and every changed text is rewritten, audited."""
    WorkLine.objects.filter(code="3a").update(
        content="整治小区及周边绿化、照明等环境，推动适老化改造和无障碍设施建设。"
    )
    Mechanism.objects.filter(pk=mechanism.pk).update(config_version="2020.09.11-2", config_digest="older")
    report = mechanism_load(spec=mechanism_spec_read(mechanism_path("guizhou")))
    assert any(line.startswith("工作事项 3a") and "content" in line for line in report.updated)
    assert WorkLine.objects.get(code="3a").content == seed_section_three()["（三）营造社区宜居环境"][0][0]
    assert AuditEntry.objects.filter(action="mechanism.load").exists()
