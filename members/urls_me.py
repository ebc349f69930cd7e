from django.urls import path

from . import views_me

app_name = "me"
urlpatterns = [
    path("", views_me.settings_page, name="settings"),
    path("reachability/", views_me.reach, name="reach"),
    path("units/<str:key>/", views_me.unit_contact_edit, name="unit_contact"),
]
