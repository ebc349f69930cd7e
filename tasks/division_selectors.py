"""Reads of 二次交办 and 成员审核 that depend on who is asking (docs/divisions.md).

Access follows the tree: the office and the convener see every part of their joint meeting; a unit's
own (unit-level) liaison or member sees all of the unit's parts; a division's liaison or member sees
its division's parts only. Anything else answers 404."""

from django.db.models import Q
from django.http import Http404

from members.access import access_for
from members.models import Division
from members.selectors import is_overseer, mechanism_id_for, unit_reviewer_users

from .models import Assignment, DivisionPart, HeadReview, PartAttachment


def parts_for_user(user):
    if not user.is_authenticated:
        return DivisionPart.objects.none()
    if is_overseer(user):
        return DivisionPart.objects.filter(assignment__unit__mechanism_id=mechanism_id_for(user))
    access = access_for(user)
    return DivisionPart.objects.filter(
        Q(assignment__unit_id__in=access.unit_ids) | Q(division_id__in=access.division_ids)
    )


def get_part_for_user_or_404(user, pk) -> DivisionPart:
    try:
        return parts_for_user(user).select_related("assignment__unit", "division", "item").get(pk=pk)
    except (DivisionPart.DoesNotExist, ValueError, TypeError):
        raise Http404("未找到该处室任务。") from None


def get_part_attachment_for_user_or_404(user, pk) -> PartAttachment:
    try:
        att = PartAttachment.objects.get(pk=pk)
    except (PartAttachment.DoesNotExist, ValueError, TypeError):
        raise Http404("未找到该附件。") from None
    if not parts_for_user(user).filter(pk=att.part_id).exists():
        raise Http404("未找到该附件。")
    return att


def reviews_for_user(user):
    """Reviews this user may decide or see as the reviewer: their divisions' parts, and the unit's
    own feedback where they are a unit-level member."""
    access = access_for(user)
    q = Q(division_id__in=access.review_division_ids) | Q(division__isnull=True, unit_id__in=_unit_reviewer_units(user))
    return HeadReview.objects.filter(q)


def _unit_reviewer_units(user) -> tuple:
    # Unit-level members hold the review grant on their unit (members.services.access_sync).
    from guardian.shortcuts import get_objects_for_user

    from members.models import MemberUnit

    memo = getattr(user, "_review_units", None)
    if memo is None:
        memo = (
            tuple(
                get_objects_for_user(
                    user, "members.review_unit_work", klass=MemberUnit, accept_global_perms=False, with_superuser=False
                ).values_list("pk", flat=True)
            )
            if user.is_authenticated
            else ()
        )
        user._review_units = memo
    return memo


def get_review_for_user_or_404(user, pk) -> HeadReview:
    try:
        return reviews_for_user(user).select_related("assignment__unit", "item", "part", "division").get(pk=pk)
    except (HeadReview.DoesNotExist, ValueError, TypeError):
        raise Http404("未找到该审核。") from None


def division_panel(user, item) -> dict:
    """What the item page shows of 二次交办 and 成员审核 to this user, in a fixed number of queries."""
    access = access_for(user)
    overseer = is_overseer(user)
    dispatcher = user.has_perm("members.dispatch")
    shares = [
        a
        for a in item.assignments.select_related("unit").order_by("role", "order", "pk")
        if a.status != Assignment.Status.REROUTED
    ]
    parts = list(
        DivisionPart.objects.filter(item=item)
        .select_related("division", "assignment__unit", "submitted_by__person")
        .prefetch_related("files")
        .order_by("assignment_id", "division__order", "pk")
    )
    reviews = list(
        HeadReview.objects.filter(item=item)
        .select_related("division", "unit", "submitted_by__person", "decided_by__person")
        .order_by("submitted_at", "pk")
    )
    unit_ids = set(access.unit_ids)
    review_units = set(_unit_reviewer_units(user)) if reviews else set()
    divisions_by_unit: dict = {}
    for d in Division.objects.filter(unit_id__in=[a.unit_id for a in shares]).order_by("order", "pk"):
        divisions_by_unit.setdefault(d.unit_id, []).append(d)

    managed = []
    for a in shares:
        if a.unit_id in unit_ids or (dispatcher and overseer):
            a.division_parts = [p for p in parts if p.assignment_id == a.pk]
            a.unit_divisions = divisions_by_unit.get(a.unit_id, [])
            a.pending_review = next(
                (
                    r
                    for r in reviews
                    if r.assignment_id == a.pk and r.part_id is None and r.status == HeadReview.Status.PENDING
                ),
                None,
            )
            a.is_mine = a.unit_id in unit_ids
            a.may_assign = a.status in (Assignment.Status.TODO, Assignment.Status.CLAIMED, Assignment.Status.REVISION)
            if a.is_mine or a.division_parts or (a.may_assign and len(a.unit_divisions) > 1):
                managed.append(a)
    my_parts = [p for p in parts if p.division_id in access.division_ids and p.status != DivisionPart.Status.WITHDRAWN]
    my_reviews = [
        r
        for r in reviews
        if r.status == HeadReview.Status.PENDING
        and (
            (r.division_id is not None and r.division_id in access.review_division_ids)
            or (r.division_id is None and r.unit_id in review_units)
        )
    ]
    visible_reviews = [r for r in reviews if overseer or r.unit_id in unit_ids or r.division_id in access.division_ids]
    for a in managed:
        a.review_needed = a.is_mine and a.unit.head_review and bool(unit_reviewer_users(a.unit))
    return {
        "division_shares": managed,
        "my_parts": my_parts,
        "my_reviews": my_reviews,
        "review_record": visible_reviews,
        "overseer": overseer,
    }
