from django.urls import path  # noqa: F401

app_name = "taxqr"
urlpatterns: list = []  # type: ignore[type-arg]
