from django.urls import path

from . import views, views_counties

app_name = "deadlines"
urlpatterns = [
    path("", views.obligation_list, name="obligations"),
    path("obligations/<int:pk>/", views.obligation_detail, name="obligation"),
    path("obligations/<int:pk>/counties/", views_counties.county_returns, name="county_returns"),
    path("obligations/<int:pk>/attachments/<int:attachment_id>/", views.attachment_download, name="attachment"),
    path("overdue/", views.overdue, name="overdue"),
    path("press/", views.press, name="press"),
    path("preview/", views.preview, name="preview"),
    path("calendar/", views.calendar_index, name="calendar"),
    path("calendar/<int:year>/", views.calendar_edit, name="calendar_year"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/<int:pk>/read/", views.notification_read, name="notification_read"),
    path("notifications/read-all/", views.notifications_read_all, name="notifications_read_all"),
    path("deliveries/", views.deliveries, name="deliveries"),
    path("deliveries/retry-failed/", views.delivery_retry_all, name="delivery_retry_all"),
    path("deliveries/<int:pk>/retry/", views.delivery_retry, name="delivery_retry"),
]
