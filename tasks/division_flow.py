"""二次交办's last step, which moves the item's flow: the unit's consolidation (docs/divisions.md). The
domain rules are in `tasks.divisions`; this only adds the flow (as `tasks.services` does for items)."""

from core.errors import NotAllowed
from members.selectors import units_for_user

from .divisions import may_review, review_needed
from .models import Assignment, HeadReview
from .services import assignment_submit


def share_consolidate(*, assignment: Assignment, result: str, version, by) -> Assignment:
    """汇总: the unit's one feedback (or, for the primary lead, its consolidated report) to the office,
    after its divisions' parts are in; for a reviewer, approving the liaison's pending submission."""
    if review_needed(assignment) and not units_for_user(by).filter(pk=assignment.unit_id).exists():
        raise NotAllowed("只有本单位的成员可以审核。")
    review = assignment.head_reviews.filter(part__isnull=True, status=HeadReview.Status.PENDING).first()
    if review is not None and may_review(by, review):
        result, version = review.result, None
    return assignment_submit(assignment=assignment, result=result, version=version, by=by)
