from django.urls import path

from . import views

app_name = "notifications"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("read-all/", views.read_all, name="read-all"),
    path("<str:message_id>/", views.detail, name="detail"),
]
