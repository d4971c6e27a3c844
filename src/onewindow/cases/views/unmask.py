"""查看完整申请表: the one staff page that shows a case's application form with its personal fields
in clear (issue #9 point 3; ARCHITECTURE rule 6; 个人信息保护法 art. 51).

A POST (never a link: nothing personal is fetched by a prefetch, a crawler or a GET retry) from the
case detail page, after a recent re-authentication (``accounts.reauth``, 等保2.0 身份鉴别); the
selector checks the scope and the role and writes the audit entry with its purpose (the case).
The page is not cached (``Cache-Control: no-store``) and not kept in the browser's history.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from onewindow.accounts.reauth import reauth_required
from onewindow.core.errors import DomainError

from .. import selectors


def _machine(request: HttpRequest) -> bool:
    """A browser bound to a hall device (kiosk, display, terminal) or a bearer token: never unmasks."""
    principal = getattr(request, "auth", None)
    return getattr(principal, "token", None) is not None or getattr(request, "bound_device", None) is not None


@never_cache
@login_required
@require_POST
@reauth_required
def form_unmask(request: HttpRequest, case_id: int) -> HttpResponse:
    """The case's form unmasked, for its receivers and handlers; audited (see the selector)."""
    try:
        unmasked = selectors.case_form_unmasked_for(request.user, case_id, machine=_machine(request))
    except DomainError as exc:
        return render(request, "cases/staff/error.html", {"error": exc}, status=exc.status)
    return render(request, "cases/staff/form_unmasked.html", {"case": unmasked.case, "rows": unmasked.rows})


urlpatterns: list[URLPattern] = [
    path("staff/<int:case_id>/form/unmask/", form_unmask, name="staff-unmask-form"),
]
