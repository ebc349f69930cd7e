"""二次交办 and 成员审核 in a person's 待办 (docs/divisions.md): `pending_for(user, *, limit)` returns what
waits for this person as plain dicts (kind, key, title, unit, due_on, url, action), soonest due first,
for the unified 我的待办 to merge with the other apps' sources. Each source is one query."""

from django.db.models import F
from django.db.models.functions import Coalesce
from django.urls import reverse

from members.access import access_for

from .division_selectors import _unit_reviewer_units
from .models import DivisionPart, HeadReview


def parts_pending_for(user, *, limit: int = 50) -> list[dict]:
    """The open parts of the user's divisions (办理中 or 退回修改): one query, read in the index's order."""
    division_ids = access_for(user).division_ids if user.is_authenticated else ()
    if not division_ids:
        return []
    rows = (DivisionPart.objects.filter(division_id__in=division_ids, status__in=DivisionPart.WORKABLE)
            .order_by("due_date", "pk")
            .values_list("pk", "item_id", "item__title", "assignment__unit__name", "division__name", "due_date",
                         "status")[:limit])
    return [{"kind": "division_part", "key": f"part:{pk}", "title": title, "unit": f"{unit}{division}",
             "due_on": due, "url": reverse("items:detail", args=[item_id]) + f"#part-{pk}",
             "action": "修改后报送" if status == DivisionPart.Status.RETURNED else "办理并报送"}
            for pk, item_id, title, unit, division, due, status in rows]


def reviews_pending_for(user, *, limit: int = 50) -> list[dict]:
    """What waits for this member's review (成员审核): one query (plus one for the unit grants, cached
    on the user)."""
    if not user.is_authenticated:
        return []
    access = access_for(user)
    units = _unit_reviewer_units(user)
    if not access.review_division_ids and not units:
        return []
    from django.db.models import Q

    rows = (HeadReview.objects.filter(status=HeadReview.Status.PENDING)
            .filter(Q(division_id__in=access.review_division_ids) | Q(division__isnull=True, unit_id__in=units))
            .annotate(due=Coalesce(F("part__due_date"), F("assignment__due_date")))
            .order_by("due", "pk")
            .values_list("pk", "item_id", "item__title", "unit__name", "division__name", "due")[:limit])
    return [{"kind": "head_review", "key": f"review:{pk}", "title": title, "unit": f"{unit}{division or ''}",
             "due_on": due, "url": reverse("items:detail", args=[item_id]) + f"#review-{pk}", "action": "成员审核"}
            for pk, item_id, title, unit, division, due in rows]


def pending_for(user, *, limit: int = 50) -> list[dict]:
    """Both sources, soonest due first."""
    rows = parts_pending_for(user, limit=limit) + reviews_pending_for(user, limit=limit)
    return sorted(rows, key=lambda r: (r["due_on"], r["key"]))[:limit]
