"""The home page of the web shell: it composes the apps' public figures, so it lives beside the
URL configuration rather than in ``core`` (which must not import any domain app)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from onewindow.catalog.selectors import catalog_stats


def home(request: HttpRequest) -> HttpResponse:
    """网上政务大厅首页: search box and the online hall's headline figures (seed article)."""
    return render(request, "home.html", {"stats": catalog_stats()})
