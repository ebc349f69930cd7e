"""The one place an issued agreed matter becomes a supervised item (督办事项), routed by the item
flow of `workflow`, and the one place the meeting pages read those items' live status."""

from tasks.models import Item
from tasks.services import item_dispatch

TITLE_MAX = 120


def agreed_matter_dispatch(*, matter, by) -> Item:
    """Create and route the supervised item of an issued agreed matter, linked back to its clause
    (`matter.item`, and the item's `source_note` names the 文号 and clause). Runs inside the caller's
    transaction: if the item flow refuses (e.g. a due date already past), nothing is issued."""
    minutes = matter.minutes
    clause = f"第{matter.number_cn}条"
    item = item_dispatch(
        by=by,
        title=f"{minutes.doc_number}{clause}：{matter.content}"[:TITLE_MAX],
        content=f"{matter.content}\n\n完成标准：{matter.done_criteria}",
        source=Item.Source.AGREED_MATTER,
        source_note=f"{minutes.doc_number}《{minutes.title}》{clause}"[:200],
        lead_units=matter.lead_units,
        participating_units=matter.participating_units,
        due_date=matter.due_date,
    )
    matter.item = item
    matter.save(update_fields=["item"])
    return item


def item_statuses(item_ids) -> dict:
    """Live status of the supervised items behind agreed matters: {item_id: {code, label, done, due_date}}."""
    ids = [i for i in item_ids if i]
    if not ids:
        return {}
    return {
        pk: {"code": status, "label": Item.Status(status).label, "done": status == Item.Status.DONE, "due_date": due}
        for pk, status, due in Item.objects.filter(pk__in=ids).values_list("pk", "status", "due_date")
    }
