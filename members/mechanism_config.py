"""Reading a province's mechanism file (members/mechanisms/<code>.yaml) into a checked spec.

Every error names the file, the line and the field, in Chinese, and is raised before anything is
written: `members.services.mechanism_load` writes only a spec that passed every check here."""

import hashlib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from core.errors import DomainError
from core.yamlfile import yaml_read

from .models import Role

MECHANISM_DIR = Path(__file__).resolve().parent / "mechanisms"
SCHEMA_VERSION = 1
KNOWN_SECTIONS = {
    "deadline_rules",
    "assessment",
    "targets",
    "evaluation",
    "meeting_rules",
}  # read by later apps, kept opaque here


class ConfigError(DomainError):
    code = "mechanism_config_invalid"


@dataclass(frozen=True)
class UnitSpec:
    code: str
    name: str
    full_name: str
    is_lead: bool
    duties: str
    divisions: tuple[str, ...]
    order: int


@dataclass(frozen=True)
class PersonSpec:
    name: str
    unit: str
    division: str
    title: str
    roles: tuple[str, ...]
    order: int


@dataclass(frozen=True)
class WorkLineSpec:
    code: str
    section: str
    title: str
    content: str
    lead: tuple[str, ...]
    participating: tuple[str, ...]
    order: int


@dataclass(frozen=True)
class ReportingUnitSpec:
    code: str
    name: str
    kind: str
    order: int
    counties: tuple["ReportingUnitSpec", ...] = ()  # a prefecture's 县（市、区） (docs/counties.md)


@dataclass(frozen=True)
class MechanismSpec:
    code: str
    version: str
    digest: str
    name: str
    province: str
    document: str
    established_on: date
    office_unit: str
    office_division: str
    units: tuple[UnitSpec, ...]
    people: tuple[PersonSpec, ...]
    work_lines: tuple[WorkLineSpec, ...]
    reporting_units: tuple[ReportingUnitSpec, ...]
    reporting_unit_bureau: str
    extra: dict = field(default_factory=dict)


class _Reader:
    """Walks YAML nodes (which keep their line numbers) and builds typed values or fails precisely."""

    def __init__(self, filename: str):
        self.filename = filename
        self.constructor = SafeConstructor()

    def fail(self, node: Node | None, path: str, message: str):
        line = f"第 {node.start_mark.line + 1} 行，" if node is not None else ""
        raise ConfigError(f"{self.filename} {line}字段 {path}：{message}", field=path)

    def value(self, node: Node):
        return self.constructor.construct_object(node, deep=True)

    def mapping(self, node, path, *, required, optional=()) -> dict[str, Node]:
        if not isinstance(node, MappingNode):
            self.fail(node, path, "应为键值对（映射）。")
        out: dict[str, Node] = {}
        for key_node, value_node in node.value:
            key = self.value(key_node)
            if not isinstance(key, str):
                self.fail(key_node, path, f"键 {key!r} 应为文字。")
            if key in out:
                self.fail(key_node, f"{path}.{key}", "重复的键。")
            if key not in required and key not in optional:
                allowed = "、".join(sorted([*required, *optional]))
                self.fail(key_node, f"{path}.{key}", f"未知字段（允许的字段：{allowed}）。")
            out[key] = value_node
        for key in required:
            if key not in out:
                self.fail(node, f"{path}.{key}", "缺少必填字段。")
        return out

    def sequence(self, node, path) -> list[Node]:
        if not isinstance(node, SequenceNode):
            self.fail(node, path, "应为列表。")
        return list(node.value)

    def text(self, node, path, *, max_length: int, allow_empty=False) -> str:
        if not isinstance(node, ScalarNode):
            self.fail(node, path, "应为文字。")
        value = self.value(node)
        if value is None:
            value = ""
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            self.fail(node, path, f"应为文字，实际为 {value!r}。")
        value = str(value).strip()
        if not value and not allow_empty:
            self.fail(node, path, "不能为空。")
        if len(value) > max_length:
            self.fail(node, path, f"长度 {len(value)} 超过上限 {max_length} 个字符。")
        return value

    def code(self, node, path, *, max_length=32) -> str:
        value = self.text(node, path, max_length=max_length)
        if not all(c.isascii() and (c.isalnum() or c in "-_") for c in value):
            self.fail(node, path, f"代码 “{value}” 只能包含英文字母、数字、“-” 和 “_”。")
        return value

    def boolean(self, node, path) -> bool:
        value = self.value(node)
        if not isinstance(value, bool):
            self.fail(node, path, f"应为 true 或 false，实际为 {value!r}。")
        return value

    def day(self, node, path) -> date:
        value = self.value(node)
        if not isinstance(value, date):
            self.fail(node, path, f"应为日期（YYYY-MM-DD），实际为 {value!r}。")
        return value

    def text_list(self, node, path, *, max_length: int) -> tuple[str, ...]:
        items = [self.text(n, f"{path}[{i}]", max_length=max_length) for i, n in enumerate(self.sequence(node, path))]
        seen = set()
        for i, item in enumerate(items):
            if item in seen:
                self.fail(node.value[i], f"{path}[{i}]", f"重复的值 “{item}”。")
            seen.add(item)
        return tuple(items)


def mechanism_path(code: str) -> Path:
    return MECHANISM_DIR / f"{code}.yaml"


def mechanism_spec_read(path: Path | str) -> MechanismSpec:
    """Parse and check a mechanism file. Raises ConfigError naming the line and the field."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"无法读取配置文件 {path}：{exc.strerror}") from exc
    return mechanism_spec_parse(raw, filename=path.name)


def mechanism_spec_parse(raw: bytes, *, filename: str) -> MechanismSpec:
    r = _Reader(filename)
    root = yaml_read(raw, filename=filename, error=ConfigError)
    if root is None:
        raise ConfigError(f"{filename}：文件为空。")

    top = r.mapping(
        root,
        "（根）",
        required=(
            "schema",
            "code",
            "version",
            "name",
            "province",
            "established_on",
            "units",
            "office",
            "people",
            "work_lines",
            "reporting_units",
        ),
        optional=("document", "reporting_unit_bureau", *KNOWN_SECTIONS),
    )
    schema = r.value(top["schema"])
    if schema != SCHEMA_VERSION:
        r.fail(top["schema"], "schema", f"不支持的格式版本 {schema!r}（本系统读取版本 {SCHEMA_VERSION}）。")

    units = _read_units(r, top["units"])
    unit_by_code = {u.code: u for u in units}
    leads = [u for u in units if u.is_lead]
    if len(leads) != 1:
        r.fail(top["units"], "units", f"必须恰有一个牵头单位（lead: true），现有 {len(leads)} 个。")

    office = r.mapping(top["office"], "office", required=("unit", "division"))
    office_unit = r.code(office["unit"], "office.unit")
    if office_unit not in unit_by_code:
        r.fail(office["unit"], "office.unit", f"未知的单位代码 “{office_unit}”。")
    office_division = r.text(office["division"], "office.division", max_length=60)
    if office_division not in unit_by_code[office_unit].divisions:
        r.fail(office["division"], "office.division", f"单位 {office_unit} 没有处室 “{office_division}”。")

    people = _read_people(r, top["people"], unit_by_code)
    work_lines = _read_work_lines(r, top["work_lines"], unit_by_code)
    reporting_units = _read_reporting_units(r, top["reporting_units"])

    return MechanismSpec(
        code=r.code(top["code"], "code"),
        version=r.text(top["version"], "version", max_length=40),
        digest=hashlib.sha256(raw).hexdigest(),
        name=r.text(top["name"], "name", max_length=100),
        province=r.text(top["province"], "province", max_length=20),
        document=r.text(top["document"], "document", max_length=100) if "document" in top else "",
        established_on=r.day(top["established_on"], "established_on"),
        office_unit=office_unit,
        office_division=office_division,
        units=units,
        people=people,
        work_lines=work_lines,
        reporting_units=reporting_units,
        reporting_unit_bureau=(
            r.text(top["reporting_unit_bureau"], "reporting_unit_bureau", max_length=60)
            if "reporting_unit_bureau" in top
            else ""
        ),
        extra={key: r.value(top[key]) for key in KNOWN_SECTIONS if key in top},
    )


def _unique(r: _Reader, nodes, values, path, what):
    seen = {}
    for i, (node, value) in enumerate(zip(nodes, values)):
        if value in seen:
            r.fail(node, f"{path}[{i}]", f"{what} “{value}” 与第 {seen[value] + 1} 项重复。")
        seen[value] = i


def _read_units(r, node) -> tuple[UnitSpec, ...]:
    nodes = r.sequence(node, "units")
    if not nodes:
        r.fail(node, "units", "至少需要一个成员单位。")
    units = []
    for i, n in enumerate(nodes):
        p = f"units[{i}]"
        m = r.mapping(n, p, required=("code", "name", "duties", "divisions"), optional=("full_name", "lead"))
        units.append(
            UnitSpec(
                code=r.code(m["code"], f"{p}.code"),
                name=r.text(m["name"], f"{p}.name", max_length=60),
                full_name=r.text(m["full_name"], f"{p}.full_name", max_length=100) if "full_name" in m else "",
                is_lead=r.boolean(m["lead"], f"{p}.lead") if "lead" in m else False,
                duties=r.text(m["duties"], f"{p}.duties", max_length=2000),
                divisions=r.text_list(m["divisions"], f"{p}.divisions", max_length=60),
                order=i,
            )
        )
    _unique(r, nodes, [u.code for u in units], "units", "单位代码")
    _unique(r, nodes, [u.name for u in units], "units", "单位名称")
    return tuple(units)


def _read_people(r, node, unit_by_code) -> tuple[PersonSpec, ...]:
    nodes = r.sequence(node, "people")
    people = []
    valid_roles = {choice.value for choice in Role}
    for i, n in enumerate(nodes):
        p = f"people[{i}]"
        m = r.mapping(n, p, required=("name", "unit", "roles"), optional=("division", "title"))
        unit = r.code(m["unit"], f"{p}.unit")
        if unit not in unit_by_code:
            r.fail(m["unit"], f"{p}.unit", f"未知的单位代码 “{unit}”。")
        division = r.text(m["division"], f"{p}.division", max_length=60) if "division" in m else ""
        if division and division not in unit_by_code[unit].divisions:
            r.fail(m["division"], f"{p}.division", f"单位 {unit} 没有处室 “{division}”。")
        roles = r.text_list(m["roles"], f"{p}.roles", max_length=20)
        if not roles:
            r.fail(m["roles"], f"{p}.roles", "至少需要一个角色。")
        for j, role in enumerate(roles):
            if role not in valid_roles:
                r.fail(
                    m["roles"].value[j],
                    f"{p}.roles[{j}]",
                    f"未知角色 “{role}”（可选：{'、'.join(sorted(valid_roles))}）。",
                )
            if role in {Role.MEMBER, Role.LIAISON} and not division:
                r.fail(m["roles"].value[j], f"{p}.roles[{j}]", "成员和联络员必须注明处室（division）。")
        people.append(
            PersonSpec(
                name=r.text(m["name"], f"{p}.name", max_length=30),
                unit=unit,
                division=division,
                title=r.text(m["title"], f"{p}.title", max_length=60, allow_empty=True) if "title" in m else "",
                roles=roles,
                order=i,
            )
        )
    _unique(r, nodes, [(x.unit, x.name) for x in people], "people", "同一单位的人员")
    for role in (Role.CONVENER, Role.DEPUTY_CONVENER):
        holders = [x for x in people if role in x.roles]
        if len(holders) > 1:
            r.fail(node, "people", f"{role.label}只能有一位，现有 {len(holders)} 位。")
    return tuple(people)


def _read_work_lines(r, node, unit_by_code) -> tuple[WorkLineSpec, ...]:
    nodes = r.sequence(node, "work_lines")
    lines = []
    for i, n in enumerate(nodes):
        p = f"work_lines[{i}]"
        m = r.mapping(n, p, required=("code", "section", "title", "content", "lead"), optional=("participating",))
        lead = r.text_list(m["lead"], f"{p}.lead", max_length=32)
        participating = (
            r.text_list(m["participating"], f"{p}.participating", max_length=32) if "participating" in m else ()
        )
        if not lead:
            r.fail(m["lead"], f"{p}.lead", "至少需要一个牵头单位。")
        for key, codes in (("lead", lead), ("participating", participating)):
            for j, code in enumerate(codes):
                if code not in unit_by_code:
                    r.fail(m[key].value[j], f"{p}.{key}[{j}]", f"未知的单位代码 “{code}”。")
        both = set(lead) & set(participating)
        if both:
            r.fail(m["participating"], f"{p}.participating", f"单位 {'、'.join(sorted(both))} 不能既牵头又参与。")
        lines.append(
            WorkLineSpec(
                code=r.code(m["code"], f"{p}.code", max_length=8),
                section=r.text(m["section"], f"{p}.section", max_length=60),
                title=r.text(m["title"], f"{p}.title", max_length=120),
                content=r.text(m["content"], f"{p}.content", max_length=4000),
                lead=lead,
                participating=participating,
                order=i,
            )
        )
    _unique(r, nodes, [x.code for x in lines], "work_lines", "编号")
    return tuple(lines)


def _read_reporting_units(r, node) -> tuple[ReportingUnitSpec, ...]:
    nodes = r.sequence(node, "reporting_units")
    out = []
    for i, n in enumerate(nodes):
        p = f"reporting_units[{i}]"
        m = r.mapping(n, p, required=("code", "name", "kind"), optional=("counties",))
        counties = []
        for j, c in enumerate(r.sequence(m["counties"], f"{p}.counties") if "counties" in m else []):
            q = f"{p}.counties[{j}]"
            cm = r.mapping(c, q, required=("code", "name"), optional=("kind",))
            counties.append(
                ReportingUnitSpec(
                    code=r.code(cm["code"], f"{q}.code"),
                    name=r.text(cm["name"], f"{q}.name", max_length=40),
                    kind=r.text(cm["kind"], f"{q}.kind", max_length=10) if "kind" in cm else "县市区",
                    order=j,
                )
            )
        out.append(
            ReportingUnitSpec(
                code=r.code(m["code"], f"{p}.code"),
                name=r.text(m["name"], f"{p}.name", max_length=40),
                kind=r.text(m["kind"], f"{p}.kind", max_length=10),
                order=i,
                counties=tuple(counties),
            )
        )
    # Codes and names are unique across prefectures and counties alike (one table, one key).
    everything = [(n, x) for n, x in zip(nodes, out)] + [(n, c) for n, x in zip(nodes, out) for c in x.counties]
    _unique(r, [n for n, _ in everything], [x.code for _, x in everything], "reporting_units", "代码")
    _unique(r, [n for n, _ in everything], [x.name for _, x in everything], "reporting_units", "名称")
    return tuple(out)


_DUTIES: dict = {}


def mechanism_duties(code: str) -> tuple[str, tuple[str, ...]]:
    """The joint meeting's own duties as its file states them (`meeting_rules.duties_text` and the
    short `duties` list): ("", ()) when the file gives none. Read once per change of the file."""
    path = mechanism_path(code)
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        return "", ()
    memo = _DUTIES.get(code)
    if memo is None or memo[0] != stamp:
        rules = mechanism_spec_read(path).extra.get("meeting_rules") or {}
        memo = (stamp, (str(rules.get("duties_text") or ""), tuple(str(d) for d in rules.get("duties") or ())))
        _DUTIES[code] = memo
    return memo[1]
