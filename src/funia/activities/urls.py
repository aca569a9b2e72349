"""Pages of activities, "my day", the contact registry and the purposes' settings."""

from django.urls import path

from funia.activities import views
from funia.web import converters  # noqa: F401  (the <id:...> converter)

urlpatterns = [
    path("my-day/", views.my_day, name="my_day"),
    path("my-day/log/", views.quick_log, name="activity_quick_log"),
    path("activities/customers/", views.customer_options, name="activity_customer_options"),
    path("activities/check-conflicts/", views.conflict_check, name="activity_conflict_check"),
    path("activities/conflicts/", views.conflict_report, name="activity_conflict_report"),
    path("activities/<id:pk>/complete/", views.complete, name="activity_complete"),
    path("activities/<id:pk>/done/", views.done, name="activity_done"),
    *views.activities.urlpatterns("activities"),
    *views.purposes.urlpatterns("settings/activity-purposes"),
]
