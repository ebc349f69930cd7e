from rest_framework.routers import DefaultRouter

from communities import api as communities_api
from deadlines import api as deadlines_api
from meetings import api as meetings_api
from members import api as members_api
from tasks import api as task_api
from workflow import inbox_api

router = DefaultRouter()
router.register("units", members_api.MemberUnitViewSet, basename="unit")
router.register("roster", members_api.RosterViewSet, basename="roster")
router.register("work-lines", members_api.WorkLineViewSet, basename="work-line")
router.register("reporting-units", members_api.ReportingUnitViewSet, basename="reporting-unit")
router.register("items", task_api.ItemViewSet, basename="item")
router.register("tasks", task_api.TaskViewSet, basename="task")
router.register("requests", task_api.RequestViewSet, basename="request")
router.register("inbox", inbox_api.InboxViewSet, basename="inbox")
router.register("obligations", deadlines_api.ObligationViewSet, basename="obligation")
router.register("meetings", meetings_api.MeetingViewSet, basename="meeting")
router.register("minutes", meetings_api.MinutesViewSet, basename="minutes")
router.register("agreed-matters", meetings_api.AgreedMatterViewSet, basename="agreed-matter")
router.register("membership-changes", meetings_api.MembershipChangeViewSet, basename="membership-change")
router.register("communities", communities_api.CommunityViewSet, basename="community")
router.register("community-assessments", communities_api.AssessmentViewSet, basename="community-assessment")
