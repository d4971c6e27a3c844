"""Display preferences for every page: the large-font elderly mode (适老化) and the language."""

from __future__ import annotations

from django.http import HttpRequest

ELDERLY_COOKIE = "ow_elderly"


def display(request: HttpRequest) -> dict[str, object]:
    return {"elderly_mode": request.COOKIES.get(ELDERLY_COOKIE) == "1"}
