from django.urls import path

app_name = "bigscreen"

urlpatterns: list[object] = []
