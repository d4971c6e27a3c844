"""The citizen's "who viewed my personal data" page (个人信息查阅记录, PIPL art. 45)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from . import selectors


@login_required
@require_GET
def access_log(request: HttpRequest) -> HttpResponse:
    """Every unmasked view of the logged-in person's data, newest first, 20 a page: time,
    handling department, the viewer's role and the purpose (case number etc.)."""
    raw = request.GET.get("page", "1")
    page_number = int(raw) if raw.isdigit() and 0 < len(raw) <= 6 else 1
    result = selectors.access_log_for(request.user, page_number)
    # A Paginator over the count only, for the pager's numbers; the rows come from the selector.
    pages = Paginator(range(result.count), result.page_size).get_page(result.page)
    if pages.number != result.page:  # past the last page: show the last one
        result = selectors.access_log_for(request.user, pages.number)
    has_person = getattr(request.user, "person_id", None) is not None
    return render(request, "accounts/access_log.html", {"log": result, "pages": pages, "has_person": has_person})
