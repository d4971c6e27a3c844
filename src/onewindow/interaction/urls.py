"""URLs of interaction: the public Q&A and FAQ, and the staff workbench under ``manage/``."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver

from .views import faq, manage, public

app_name = "interaction"

urlpatterns: list[URLPattern | URLResolver] = [*public.urlpatterns, *manage.urlpatterns, *faq.urlpatterns]
