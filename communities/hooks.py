"""Hooks through which apps above `communities` add to its pages without `communities` importing them.

`pilot_panels`: callables `(community_ids, user) -> {community_id: Panel}` that the community page
and the progress page draw for pilot communities (inspections registers the supervision visits).
Each must answer for many communities in a constant number of queries."""

from dataclasses import dataclass, field


@dataclass
class PanelRow:
    title: str
    url: str
    when: object = None  # a date
    status: str = ""
    note: str = ""


@dataclass
class Panel:
    title: str
    rows: list[PanelRow] = field(default_factory=list)
    summary: str = ""


pilot_panels: list = []


def panels_for(community_ids, user) -> dict[int, list[Panel]]:
    out: dict[int, list[Panel]] = {}
    for fn in pilot_panels:
        for cid, panel in fn(list(community_ids), user).items():
            out.setdefault(cid, []).append(panel)
    return out
