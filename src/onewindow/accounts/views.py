"""Login pages."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def lockout_response(request: HttpRequest, credentials: Any = None, *args: Any,
                     **kwargs: Any) -> HttpResponse:
    """Shown after too many failed logins (django-axes): HTTP 429 with the wait time."""
    return render(request, "accounts/locked_out.html", status=429)
