"""Pages and streams of the big-data display (issue #16)."""

from django.urls import path

from .views import ops, pages, stream

app_name = "bigscreen"

urlpatterns: list[object] = [
    # Push (part 6, decision 0019): behind nginx the stream/ and poll/ paths go to the ASGI process.
    path("stream/<str:channel>/", stream.stream, name="stream"),
    path("poll/<str:channel>/", stream.poll, name="poll"),
    path("ticket/<str:channel>/", stream.ticket, name="ticket"),
    # Pages (part 5): the wall, the bound screen, the operator's page; an area's crowd page last
    # (its slug would shadow the fixed paths above it).
    path("wall/", pages.wall, name="wall"),
    path("screen/", pages.screen, name="screen"),
    path("ops/", ops.ops, name="ops"),
    path("ops/emergency/", ops.emergency_post, name="emergency-post"),
    path("ops/emergency/<int:emergency_id>/clear/", ops.emergency_clear, name="emergency-clear"),
    path("ops/screens/new/", ops.screen_create, name="screen-create"),
    path("ops/screens/<int:screen_id>/", ops.screen_configure, name="screen-configure"),
    path("<slug:area_code>/", pages.crowd, name="crowd"),
]
