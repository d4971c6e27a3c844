"""Pages and streams of the big-data display (issue #16)."""

from django.urls import path

from .views import stream

app_name = "bigscreen"

urlpatterns: list[object] = [
    # Push (part 6, decision 0019): behind nginx the stream/ and poll/ paths go to the ASGI process.
    path("stream/<str:channel>/", stream.stream, name="stream"),
    path("poll/<str:channel>/", stream.poll, name="poll"),
    path("ticket/<str:channel>/", stream.ticket, name="ticket"),
]
