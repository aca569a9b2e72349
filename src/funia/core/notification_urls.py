"""Pages of in-app notifications."""

from django.urls import path

from funia.core import notification_views

urlpatterns = [
    path("notifications/", notification_views.notification_list, name="notification_list"),
    path(
        "notifications/read-all/",
        notification_views.notification_read_all,
        name="notification_read_all",
    ),
    path("notifications/bell/", notification_views.notification_bell, name="notification_bell"),
    path(
        "notifications/<id:notification_id>/read/",
        notification_views.notification_read,
        name="notification_read",
    ),
]
