from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from core.health import health
from core.observability import metrics
from dashboard import views as dashboard_views
from members import account_views, views as members_views
from members.security import second_factor_exempt

from .api import router

admin.site.site_header = "绿色社区创建行动联席会议 管理后台"
admin.site.site_title = "联席会议管理后台"
admin.site.index_title = "系统管理"

urlpatterns = [
    path("", members_views.home, name="home"),
    path(
        "accounts/login/",
        login_not_required(auth_views.LoginView.as_view(redirect_authenticated_user=True)),
        name="login",
    ),
    path("accounts/logout/", second_factor_exempt(auth_views.LogoutView.as_view()), name="logout"),
    # 账号安全 (members.account_views): second factor and passwords.
    path("accounts/2fa/", account_views.second_factor, name="second-factor"),
    path("accounts/2fa/recovery-codes/", account_views.recovery_codes, name="second-factor-recovery"),
    path("accounts/2fa/reset/<int:user_id>/", account_views.second_factor_reset_view, name="second-factor-reset"),
    path("accounts/password/", account_views.password_change, name="password_change"),
    path("accounts/password/done/", account_views.password_change_done, name="password_change_done"),
    path("accounts/password/reset/", account_views.password_reset, name="password_reset"),
    path("accounts/password/reset/sent/", account_views.password_reset_done, name="password_reset_done"),
    path(
        "accounts/password/reset/<uidb64>/<token>/", account_views.password_reset_confirm, name="password_reset_confirm"
    ),
    path("accounts/password/reset/complete/", account_views.password_reset_complete, name="password_reset_complete"),
    path("mechanism/", include("members.urls")),
    path("me/", include("members.urls_me")),
    path("items/", include("tasks.urls")),
    path("divisions/", include("tasks.division_urls")),
    path("deadlines/", include("deadlines.urls")),
    path("communities/", include("communities.urls")),
    path("meetings/", include("meetings.urls")),
    path("inspections/", include("inspections.urls")),
    path("dashboard/", include("dashboard.urls")),
    path("evaluation/", include("evaluation.urls")),
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
