"""Grants across installations (跨平台共享授权): :func:`grant_register_remote` records, on the
**consumer** installation, a grant that another installation issued for one of its resources (the
resource is catalogued here with ``adapter = http``, its endpoint and its code over there), so the
exchange can call it with the other side's token. (On the provider installation the peer endpoint
finds the grant by its token with ``services.access.grant_authenticate``.)
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onewindow.accounts import permissions as account_perms
from onewindow.accounts.models import hash_token_secret, new_token_parts, parse_token
from onewindow.core import crypto
from onewindow.core.actors import Actor, is_system
from onewindow.core.audit import audit_record
from onewindow.core.errors import DomainError, PermissionDenied
from onewindow.core.models import Department
from onewindow.core.numbering import next_number

from .. import permissions
from ..choices import AdapterKind, GrantStatus, Purpose, RequestStatus, ResourceStatus
from ..models import AccessEvent, AccessRequest, DataResource, Grant


def _invalid(message: Any, field: str, code: str = "sharing_remote_grant_invalid") -> DomainError:
    return DomainError(message, code=code, status=422, fields={field: [message]})


def grant_register_remote(*, by: Actor, resource: DataResource, consumer_department: Department, purpose: str,
                          fields: list[str], valid_from: datetime.date, valid_to: datetime.date,
                          rate_per_minute: int, remote_token: str) -> Grant:
    """Record a grant another installation issued to ``consumer_department`` for ``resource``.

    Rule: the provider installation decided (its own 共享申请 and approval); this side keeps an
    approved request and an active grant with the same scope, so its exchange checks purpose,
    fields, period and rate before calling, and logs each call under it. The other side's token is
    stored encrypted (``remote_token``, core crypto); the grant's own token prefix and hash are
    random and never shown (nobody calls this installation with them). Actor: a 部门管理员 or 数据报送员
    of the consumer department, a system admin, or the system (demo, commands). Refusals, nothing
    written: 403 ``sharing_forbidden``; 422 ``sharing_resource_not_remote`` (not an HTTP resource
    or not published), ``sharing_remote_grant_invalid`` (purpose, fields outside the catalogued
    schema, period, rate or token).
    """
    if not (is_system(by) or account_perms.is_system_admin(by)
            or permissions.is_requester_for(by, consumer_department.pk)):
        raise PermissionDenied(_("只有使用部门的部门管理员或数据报送员可以登记对端平台的授权。"),
                               code="sharing_forbidden")
    version = resource.current
    if resource.adapter != AdapterKind.HTTP or resource.status != ResourceStatus.PUBLISHED or version is None:
        raise DomainError(_("只能为已发布的跨平台资源登记对端授权。"), code="sharing_resource_not_remote", status=422)
    if purpose not in Purpose.values:
        raise _invalid(_("共享用途无效。"), "purpose")
    names = [str(name) for name in fields]
    unknown = sorted(set(names) - set(version.field_names))
    if not names or unknown:
        raise _invalid(_("授权数据项须为该资源目录中的数据项：%(names)s") % {"names": "、".join(unknown) or "—"},
                       "fields")
    if valid_to < valid_from:
        raise _invalid(_("有效期止不能早于有效期起。"), "valid_to")
    if rate_per_minute < 1:
        raise _invalid(_("调用频率上限至少为每分钟 1 次。"), "rate_per_minute")
    if parse_token(remote_token or "") is None:
        raise _invalid(_("对端令牌格式不正确（应为 ow_<前缀>_<密钥>）。"), "remote_token")
    user = account_perms.as_user(by)
    now = timezone.now()
    prefix, secret = new_token_parts()
    with transaction.atomic():
        number = f"GX{now.year}{next_number(f'sharing-request-{now.year}'):06d}"
        request = AccessRequest.objects.create(
            number=number, resource=resource, version=version, consumer_department=consumer_department,
            purpose=purpose, purpose_text=str(_("对端平台签发的授权")), legal_basis=version.legal_basis or "—",
            fields=names, valid_from=valid_from, valid_to=valid_to, rate_per_minute=rate_per_minute,
            status=RequestStatus.APPROVED, created_by=user, decided_at=now,
            decided_by_label=f"peer:{resource.endpoint}"[:150],
        )
        grant = Grant.objects.create(
            request=request, resource=resource, consumer_department=consumer_department, purpose=purpose,
            fields=names, valid_from=valid_from, valid_to=valid_to, rate_per_minute=rate_per_minute,
            status=GrantStatus.ACTIVE, token_prefix=prefix, token_hash=hash_token_secret(secret),
            remote_token=crypto.encrypt(remote_token),
        )
        AccessEvent.objects.create(request=request, action="remote_registered", by=user,
                                   by_label="" if user else str(by)[:150], note=resource.endpoint[:300])
        audit_record(actor=by, action="sharing.grant_register_remote", target=grant,
                     after={"resource": resource.code, "consumer_department": consumer_department.code,
                            "purpose": purpose, "fields": names, "valid_from": valid_from.isoformat(),
                            "valid_to": valid_to.isoformat(), "rate_per_minute": rate_per_minute,
                            "remote_token": "ow_***"})
    return grant
