from django.urls import path

from . import views

app_name = "notifications"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("read-all/", views.read_all, name="read-all"),
    path("reminders/", views.reminders, name="reminders"),
    path("reminders/preference/", views.reminder_preference, name="reminder-preference"),
    path("reminders/<int:reminder_id>/snooze/", views.reminder_snooze, name="reminder-snooze"),
    path("reminders/<int:reminder_id>/done/", views.reminder_done, name="reminder-done"),
    path("<str:message_id>/", views.detail, name="detail"),
]
