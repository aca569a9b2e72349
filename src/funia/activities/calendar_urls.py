"""Pages of the calendar: the public feed (token in the address) and its settings page."""

from django.urls import path

from funia.activities import calendar_views

urlpatterns = [
    path("calendar/<slug:token>.ics", calendar_views.calendar_feed_ics, name="calendar_feed_ics"),
    path("settings/calendar/", calendar_views.calendar_feed, name="calendar_feed"),
    path(
        "settings/calendar/rotate/",
        calendar_views.calendar_feed_rotate,
        name="calendar_feed_rotate",
    ),
    path(
        "settings/calendar/revoke/",
        calendar_views.calendar_feed_revoke,
        name="calendar_feed_revoke",
    ),
    path("activities/<id:pk>/invite/", calendar_views.activity_invite, name="activity_invite"),
]
