"""Authentication of crowd-flow sources on the ingest API (issue #16 part 2: "from sensor gateways
or operators' feeds, with a per-source token"): ``Authorization: Bearer ow_<prefix>_<secret>``.

The bearer is an accounts.ApiToken holding the scope ``crowd:ingest``, bound one-to-one to a
:class:`~onewindow.bigscreen.models.Source`; ``request.auth`` is that Source (its area loaded).
Refusals, all ``{code, message, fields}``: no bearer 401 ``unauthenticated``; an unknown, revoked
or expired token 401 (``token_invalid`` / ``token_revoked`` / ``token_expired``); a token without
the scope 403 ``insufficient_scope``; a token bound to no source 403 ``crowd_source_unknown``; a
deactivated source 403 ``crowd_source_inactive``. A session (even a staff one) is not a source:
the ingest endpoints take no cookie, so it is answered 401. Basis: GB/T 22239-2019 (身份鉴别,
访问控制): one credential per source, least privilege, revocable alone; the token is bound to its
source's area (``crowd_source_wrong_area`` in the ingest).
"""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja.security import HttpBearer

from onewindow.accounts.services import api_token_authenticate
from onewindow.core.errors import PermissionDenied

from .models import Source

INGEST_SCOPE = "crowd:ingest"


class SourceBearerAuth(HttpBearer):
    """The crowd source behind a bearer token; ``request.auth`` is the :class:`Source`."""

    def authenticate(self, request: HttpRequest, token: str) -> Source:
        api_token = api_token_authenticate(bearer=token)
        if INGEST_SCOPE not in (api_token.scopes or []):
            raise PermissionDenied(_("此令牌没有执行该操作的权限"), code="insufficient_scope")
        source = Source.objects.select_related("area").filter(token=api_token).first()
        if source is None:
            raise PermissionDenied(_("此令牌未绑定任何客流数据源。"), code="crowd_source_unknown")
        if not source.is_active:
            raise PermissionDenied(_("该客流数据源已停用。"), code="crowd_source_inactive")
        return source


source_auth = SourceBearerAuth()


def source_of(request: HttpRequest) -> Source:
    """The authenticated source of an ingest request."""
    source = getattr(request, "auth", None)
    if not isinstance(source, Source):  # pragma: no cover - the operation's auth guarantees it
        raise PermissionDenied(_("仅限客流数据源调用。"), code="crowd_source_only")
    return source
