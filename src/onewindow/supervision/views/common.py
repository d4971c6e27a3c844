"""What every supervision page shares: the staff check, the error page, page numbers."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from onewindow.core.errors import DomainError, PermissionDenied

from .. import permissions as perms


def require_staff(user: Any) -> None:
    """The platform's pages are for supervision staff (and system admins): 403 otherwise."""
    if not perms.is_supervision_staff(user):
        raise PermissionDenied(_("仅监管部门工作人员可以使用监管平台。"), code="supervision_staff_only")


def error_page(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return render(request, "supervision/error.html", {"error": exc}, status=exc.status)


