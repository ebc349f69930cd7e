"""What `inspections` does when the apps below it say something happened."""

from django.urls import reverse

from communities.hooks import Panel, PanelRow

from .models import Inspection
from .services import finding_close_for_item


def finding_close_on_item_accepted(sender, *, item, by, **kwargs):
    """tasks.signals.item_accepted: a rectification item was 办结, so its finding is closed."""
    finding_close_for_item(item=item, by=by)


def pilot_visits(community_ids, user) -> dict:
    """communities.hooks.pilot_panels: the supervision visits (督导检查) of each community, one query."""
    if not community_ids:
        return {}
    rows = (
        Inspection.objects.filter(community_id__in=community_ids)
        .order_by("community_id", "-starts_on", "-id")
        .values("pk", "community_id", "title", "starts_on", "status", "findings_count", "closed_count")
    )
    out = {}
    for r in rows:
        panel = out.setdefault(r["community_id"], Panel(title="督导检查"))
        rate = f"问题 {r['findings_count']} 个，已整改 {r['closed_count']} 个" if r["findings_count"] else "未发现问题"
        panel.rows.append(
            PanelRow(
                title=r["title"],
                url=reverse("inspections:detail", args=[r["pk"]]),
                when=r["starts_on"],
                status=Inspection.Status(r["status"]).label,
                note=rate,
            )
        )
    for panel in out.values():
        panel.summary = f"共 {len(panel.rows)} 次"
    return out
