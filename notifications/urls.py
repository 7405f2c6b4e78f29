from django.urls import path

from . import views

app_name = "notifications"

urlpatterns = [
    path("", views.notification_list, name="list"),
    path("<int:pk>/open/", views.notification_open, name="open"),
    path("read/", views.mark_all_read, name="read"),
    path("digests/", views.digest_preference, name="digests"),
    path("settings/", views.reminder_settings, name="settings"),
    path("jobs/", views.jobs, name="jobs"),
]
