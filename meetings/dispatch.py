"""The one place an issued agreed matter becomes a supervised item (督办事项)."""


def agreed_matter_dispatch(*, matter, by):
    """Create and route the supervised item for an issued agreed matter, linked back to its clause.

    Must call `workflow.services.item_dispatch(by=by, title=…, content=…, source=Item.Source.AGREED_MATTER,
    source_note="<文号> 第X条", lead_units=matter.lead_units, participating_units=matter.participating_units,
    due_date=matter.due_date)` inside the caller's transaction and store the item's id on `matter.item_id`."""
    raise NotImplementedError("督办事项流程（items 分支）尚未合并。")


def item_statuses(item_ids) -> dict:
    """Live status of the supervised items behind agreed matters: {item_id: {code, label, done, due_date}}."""
    return {}
