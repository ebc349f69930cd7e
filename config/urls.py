from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path

from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from core.health import health
from core.observability import metrics
from dashboard import views as dashboard_views
from members import views as members_views

from .api import router

admin.site.site_header = "绿色社区创建行动联席会议 管理后台"
admin.site.site_title = "联席会议管理后台"
admin.site.index_title = "系统管理"

urlpatterns = [
    path("", members_views.home, name="home"),
    path("accounts/login/", login_not_required(auth_views.LoginView.as_view(redirect_authenticated_user=True)),
         name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("mechanism/", include("members.urls")),
    path("items/", include("workflow.urls")),
    path("deadlines/", include("deadlines.urls")),
    path("communities/", include("communities.urls")),
    path("meetings/", include("meetings.urls")),
    path("dashboard/", include("dashboard.urls")),
    path("calendar/<str:token>.ics", dashboard_views.calendar_feed, name="calendar-feed"),
    path("health/", health, name="health"),
    path("metrics", metrics, name="metrics"),
    path("admin/", admin.site.urls),
    path("api/v1/", include(router.urls)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]

# Chinese error pages in the product's frame (core/handlers.py).
handler400 = "core.handlers.bad_request"
handler403 = "core.handlers.permission_denied"
handler404 = "core.handlers.page_not_found"
handler500 = "core.handlers.server_error"
