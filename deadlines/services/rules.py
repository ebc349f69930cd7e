"""Deadline rules, loaded from the mechanism file."""

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from core.services import audit_record
from core.yamlfile import yaml_read

from .. import schedules
from ..models import DeadlineRule

# --- Rules: loaded from the mechanism file ------------------------------------------------------------


def _line_finder(spec):
    """A function mapping a field path ("deadline_rules[2].schedule.days") to "第 N 行，" by walking the
    composed YAML of the file the spec came from (only if the file on disk is that exact file)."""
    from members.mechanism_config import mechanism_path

    path = mechanism_path(spec.code)
    try:
        raw = Path(path).read_bytes()
    except OSError:
        return lambda p: ""
    if hashlib.sha256(raw).hexdigest() != spec.digest:
        return lambda p: ""
    root = yaml_read(raw, filename=Path(path).name)

    def where(p: str) -> str:
        node = root
        for name, index in re.findall(r"([^.\[\]]+)|\[(\d+)\]", p):
            try:
                if name:
                    node = next(v for k, v in node.value if k.value == name)
                else:
                    node = node.value[int(index)]
            except (StopIteration, AttributeError, IndexError, TypeError):
                break
        return f"{path.name} 第 {node.start_mark.line + 1} 行，"

    return where


@dataclass
class RulesReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)


def rules_load(*, mechanism, spec, by=None) -> RulesReport:
    """Bring the mechanism's deadline rules in line with its file. Idempotent: an unchanged file
    writes nothing. A rule no longer in the file is retired (kept with its obligations), not deleted.
    Runs inside `members.services.mechanism_load`'s transaction (via members.signals.mechanism_loaded),
    so a bad rule makes the whole load fail with nothing half-written."""
    parsed = schedules.rules_parse(
        spec.extra.get("deadline_rules"), established_on=spec.established_on, where=_line_finder(spec)
    )
    report = RulesReport()
    existing = {r.code: r for r in DeadlineRule.objects.select_for_update().filter(mechanism=mechanism)}
    for rs in parsed:
        values = {
            "title": rs.title,
            "obligors": rs.obligors,
            "schedule": DeadlineRule.schedule_json(rs.schedule),
            "starts": rs.starts,
            "ends": rs.ends,
            "blue_from": rs.blue_from,
            "red_after": rs.red_after,
            "reminders": rs.reminders,
            "order": rs.order,
            "active": True,
        }
        rule = existing.get(rs.code)
        if rule is None:
            rule = DeadlineRule(mechanism=mechanism, code=rs.code, **values)
            rule.full_clean()
            rule.save()
            report.created.append(rs.code)
            continue
        changed = [k for k, v in values.items() if getattr(rule, k) != v]
        if changed:
            for k in changed:
                setattr(rule, k, values[k])
            rule.full_clean()
            rule.save(update_fields=changed)
            report.updated.append(f"{rs.code}（{'、'.join(changed)}）")
    wanted = {rs.code for rs in parsed}
    for code, rule in existing.items():
        if code not in wanted and rule.active:
            rule.active = False
            rule.save(update_fields=["active"])
            report.retired.append(code)
    if report.created or report.updated or report.retired:
        audit_record(
            actor=by,
            action="deadline_rules.load",
            obj=mechanism,
            reason=f"载入时限规则（配置版本 {spec.version}）",
            changes={"created": report.created, "updated": report.updated, "retired": report.retired},
        )
    return report


def rules_loaded_receiver(sender, *, mechanism, spec, by=None, **kwargs):
    rules_load(mechanism=mechanism, spec=spec, by=by)
