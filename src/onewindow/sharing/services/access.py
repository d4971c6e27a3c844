"""Services of access requests (共享申请) and grants (共享授权).

Rule (《上海市政务数据资源共享管理办法》; 个人信息保护法 art. 6, purpose limitation and minimum
necessity): a consumer department requests a published resource for a stated purpose and legal
basis, limited to the fields it needs and a period. The provider department approves with a scope
(fields, period, rate — never wider than asked) or refuses with a reason; a request for an
无条件共享 resource is approved at once by the system; a 不予共享 resource cannot be requested.
A grant carries a token (``ow_<prefix>_<secret>``, only the hash stored) that lets the consumer's
systems query the resource until the grant expires or the provider revokes it.

Actors (``workflow.ACTORS``): the requester (部门管理员 or 数据报送员 of the consumer department)
submits, withdraws and reissues its grant's token; the provider (部门管理员 of the provider
department) approves, refuses and revokes; the system approves unconditional requests and may act
for the demo loader. Each service locks, guards (404 not visible, 403 not allowed, 409 wrong
state, 422 bad input), writes the request's event and an audit entry in one transaction; a refusal
writes nothing.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onewindow.accounts import permissions as account_perms
from onewindow.accounts.models import User, format_token, hash_token_secret, new_token_parts
from onewindow.core.actors import Actor, is_system, system_actor
from onewindow.core.audit import audit_record
from onewindow.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from onewindow.core.models import Department
from onewindow.core.numbering import next_number

from .. import permissions as perms
from .. import workflow
from ..choices import GrantStatus, Purpose, RequestAction, RequestStatus, ResourceStatus, SharingClass
from ..models import AccessEvent, AccessRequest, DataResource, Grant

MAX_RATE = 6000
MAX_PERIOD_DAYS = 3 * 366
AUTO_APPROVER = "sharing.unconditional"
TEXT_LIMIT = 2000


def _pk(value: Any) -> Any:
    """The primary key of a model instance, or the value itself (an id)."""
    return getattr(value, "pk", value)


def _invalid(field: str, message: Any, code: str = "sharing_request_invalid") -> DomainError:
    return DomainError(_("共享申请信息不正确。"), code=code, status=422, fields={field: [message]})


def _text(value: Any, field: str) -> str:
    text = str(value or "").strip()
    if not text:
        raise _invalid(field, _("此项必填。"))
    if len(text) > TEXT_LIMIT:
        raise _invalid(field, _("内容过长。"))
    return text


def _user(by: Actor) -> User | None:
    return None if is_system(by) else account_perms.as_user(by)


def _label(by: Actor) -> str:
    return str(by)[:150] if is_system(by) else ""


def _event(request: AccessRequest, action: str, by: Actor, note: str = "") -> AccessEvent:
    return AccessEvent.objects.create(request=request, action=action, by=_user(by), by_label=_label(by), note=note)


def actor_kinds(by: Actor, request: AccessRequest) -> set[str]:
    """What ``by`` is for this request: ``provider``, ``requester``, ``system`` (several at once
    when a department requests its own resource)."""
    if is_system(by):
        return {"system"}
    user = account_perms.as_user(by)
    if user is None:
        return set()
    kinds = set()
    if perms.is_provider_of(user, request.resource.provider_department_id):
        kinds.add("provider")
    if perms.is_requester_for(user, request.consumer_department_id):
        kinds.add("requester")
    return kinds


def _may_see(by: Actor, request: AccessRequest) -> bool:
    return bool(actor_kinds(by, request)) or account_perms.is_system_admin(_user(by))


def _lock_request(request: AccessRequest | Any) -> AccessRequest:
    pk = _pk(request)
    locked = (AccessRequest.objects.select_for_update(of=("self",))
              .select_related("resource", "version", "consumer_department").filter(pk=pk).first())
    if locked is None:
        raise NotFound(_("找不到该共享申请。"), code="sharing_request_not_found")
    return locked


def _guard(request: AccessRequest, action: str, by: Actor) -> None:
    kinds = actor_kinds(by, request)
    if not kinds and not _may_see(by, request):
        raise NotFound(_("找不到该共享申请。"), code="sharing_request_not_found")
    if not kinds & workflow.ACTORS[action]:
        raise PermissionDenied(_("您无权对该共享申请执行“%(action)s”。") % {"action": RequestAction(action).label},
                               code="sharing_request_action_forbidden")
    if not workflow.can(action, request.status):
        raise Conflict(_("该申请当前状态为“%(status)s”，不能执行“%(action)s”。")
                       % {"status": RequestStatus(request.status).label, "action": RequestAction(action).label},
                       code="sharing_request_illegal_transition")


def _date(value: Any, field: str) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value or "").strip())
    except ValueError:
        raise _invalid(field, _("请填写有效的日期（年-月-日）。")) from None


def _rate(value: Any) -> int:
    try:
        rate = int(str(value).strip())
    except (TypeError, ValueError):
        raise _invalid("rate_per_minute", _("调用频率应为 1 至 %(max)s 之间的整数。") % {"max": MAX_RATE}) from None
    if not 1 <= rate <= MAX_RATE:
        raise _invalid("rate_per_minute", _("调用频率应为 1 至 %(max)s 之间的整数。") % {"max": MAX_RATE})
    return rate


def _field_list(value: Any, allowed: list[str], *, wider_code: str, wider_message: Any) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or not value or not all(isinstance(v, str) for v in value):
        raise _invalid("fields", _("请至少选择一个数据项。"))
    unknown = [v for v in value if v not in allowed]
    if unknown:
        raise _invalid("fields", wider_message % {"names": "、".join(sorted(set(unknown)))}, code=wider_code)
    wanted = set(value)
    return [name for name in allowed if name in wanted]


def _issue_token() -> tuple[str, str, str]:
    prefix, secret = new_token_parts()
    return prefix, hash_token_secret(secret), format_token(prefix, secret)


@transaction.atomic
def request_submit(*, by: Actor, resource: DataResource, consumer_department: Department, purpose: str,
                   purpose_text: str, legal_basis: str, fields: Any, valid_from: Any, valid_to: Any,
                   rate_per_minute: Any = 60) -> tuple[AccessRequest, str | None]:
    """Submit a 共享申请 of ``consumer_department`` for the resource's current version, numbered
    ``GX<year><6 digits>``. A 不予共享 resource is refused (409 ``sharing_resource_not_shared``);
    an 无条件共享 one is approved at once by the system and the grant's token returned (shown once
    to the requester); otherwise the token is ``None`` and the provider decides."""
    if not is_system(by):
        user = account_perms.as_user(by)
        if user is None or not perms.is_requester_for(user, consumer_department.pk):
            raise PermissionDenied(_("只有使用部门的部门管理员或数据报送员可以提交共享申请。"),
                                   code="sharing_request_forbidden")
    locked = DataResource.objects.select_for_update(of=("self",)).select_related("current").filter(
        pk=resource.pk).first()
    if locked is None or locked.status != ResourceStatus.PUBLISHED or locked.current is None:
        raise Conflict(_("该数据资源未发布，不能申请。"), code="sharing_resource_not_published")
    version = locked.current
    if version.sharing_class == SharingClass.NOT_SHARED:
        raise Conflict(_("该数据资源为不予共享类，不能申请。依据：%(basis)s") % {"basis": version.not_shared_basis},
                       code="sharing_resource_not_shared")
    if purpose not in Purpose.values:
        raise _invalid("purpose", _("请选择共享用途。"))
    clean_text = _text(purpose_text, "purpose_text")
    clean_basis = _text(legal_basis, "legal_basis")
    chosen = _field_list(fields, version.field_names, wider_code="sharing_fields_unknown",
                         wider_message=_("该资源没有以下数据项：%(names)s。"))
    start, end = _date(valid_from, "valid_from"), _date(valid_to, "valid_to")
    if end < start:
        raise _invalid("valid_to", _("截止日不能早于起始日。"))
    if end < timezone.localdate():
        raise _invalid("valid_to", _("截止日不能早于今天。"))
    if (end - start).days > MAX_PERIOD_DAYS:
        raise _invalid("valid_to", _("申请使用期限不能超过三年。"))
    rate = _rate(rate_per_minute)
    if AccessRequest.objects.filter(resource=locked, consumer_department=consumer_department, purpose=purpose,
                                    status=RequestStatus.SUBMITTED).exists():
        raise Conflict(_("本部门对该资源已有相同用途的待审核申请。"), code="sharing_request_duplicate")
    year = timezone.localdate().year
    request = AccessRequest.objects.create(
        number=f"GX{year}{next_number(f'sharing-request-{year}'):06d}", resource=locked, version=version,
        consumer_department=consumer_department, purpose=purpose, purpose_text=clean_text, legal_basis=clean_basis,
        fields=chosen, valid_from=start, valid_to=end, rate_per_minute=rate, created_by=_user(by),
    )
    _event(request, "submitted", by)
    audit_record(actor=by, action="sharing.request_submit", target=request,
                 after={"number": request.number, "resource": locked.code, "consumer": consumer_department.code,
                        "purpose": purpose, "fields": chosen, "valid_from": start.isoformat(),
                        "valid_to": end.isoformat(), "rate_per_minute": rate})
    if version.sharing_class == SharingClass.UNCONDITIONAL:
        _grant, token = _approve(request, by=system_actor(AUTO_APPROVER), fields=None, valid_from=None,
                                valid_to=None, rate_per_minute=None)
        request.refresh_from_db()
        return request, token
    return request, None


def _approve(request: AccessRequest, *, by: Actor, fields: Any, valid_from: Any, valid_to: Any,
             rate_per_minute: Any) -> tuple[Grant, str]:
    narrower = _("批准范围不能超出申请：%(names)s 未申请。")
    chosen = request.fields if fields is None else _field_list(
        fields, list(request.fields), wider_code="sharing_scope_wider", wider_message=narrower)
    start = request.valid_from if valid_from in (None, "") else _date(valid_from, "valid_from")
    end = request.valid_to if valid_to in (None, "") else _date(valid_to, "valid_to")
    if start < request.valid_from or end > request.valid_to:
        raise _invalid("valid_to", _("批准的使用期限不能超出申请的期限。"), code="sharing_scope_wider")
    if end < start:
        raise _invalid("valid_to", _("截止日不能早于起始日。"))
    rate = request.rate_per_minute if rate_per_minute in (None, "") else _rate(rate_per_minute)
    if rate > request.rate_per_minute:
        raise _invalid("rate_per_minute", _("批准的调用频率不能高于申请的频率。"), code="sharing_scope_wider")
    resource = DataResource.objects.filter(pk=request.resource_id).values_list("status", flat=True).first()
    if resource != ResourceStatus.PUBLISHED:
        raise Conflict(_("该数据资源未发布，不能批准。"), code="sharing_resource_not_published")
    now = timezone.now()
    prefix, token_hash, token = _issue_token()
    grant = Grant.objects.create(
        request=request, resource_id=request.resource_id, consumer_department_id=request.consumer_department_id,
        purpose=request.purpose, fields=list(chosen), valid_from=start, valid_to=end, rate_per_minute=rate,
        token_prefix=prefix, token_hash=token_hash,
    )
    request.status = workflow.target(RequestAction.APPROVE)
    request.decided_at = now
    request.decided_by = _user(by)
    request.decided_by_label = _label(by)
    request.save(update_fields=["status", "decided_at", "decided_by", "decided_by_label"])
    scope = {"fields": list(chosen), "valid_from": start.isoformat(), "valid_to": end.isoformat(),
             "rate_per_minute": rate}
    _event(request, "approved", by, note=", ".join(chosen))
    audit_record(actor=by, action="sharing.request_approve", target=request,
                 before={"status": RequestStatus.SUBMITTED},
                 after={"status": request.status, "grant_id": grant.pk, "token_prefix": prefix, **scope})
    return grant, token


@transaction.atomic
def request_approve(*, by: Actor, request: AccessRequest, fields: Any = None, valid_from: Any = None,
                    valid_to: Any = None, rate_per_minute: Any = None) -> tuple[Grant, str]:
    """The provider approves a submitted request, optionally narrowing it — fields a subset of
    those asked, a period inside the one asked, a rate not above it (422 ``sharing_scope_wider``
    otherwise). Creates the grant and returns it with its token (the only time it exists in
    clear). Two approvals racing: the request row is locked, the second finds it approved (409)."""
    locked = _lock_request(request)
    _guard(locked, RequestAction.APPROVE, by)
    return _approve(locked, by=by, fields=fields, valid_from=valid_from, valid_to=valid_to,
                    rate_per_minute=rate_per_minute)


@transaction.atomic
def request_refuse(*, by: Actor, request: AccessRequest, reason: str) -> AccessRequest:
    """The provider refuses a submitted request, with a reason the requester reads."""
    locked = _lock_request(request)
    _guard(locked, RequestAction.REFUSE, by)
    text = _text(reason, "reason")
    locked.status = workflow.target(RequestAction.REFUSE)
    locked.reason = text
    locked.decided_at = timezone.now()
    locked.decided_by = _user(by)
    locked.decided_by_label = _label(by)
    locked.save(update_fields=["status", "reason", "decided_at", "decided_by", "decided_by_label"])
    _event(locked, "refused", by, note=text)
    audit_record(actor=by, action="sharing.request_refuse", target=locked, before={"status": RequestStatus.SUBMITTED},
                 after={"status": locked.status, "reason": text})
    return locked


@transaction.atomic
def request_withdraw(*, by: Actor, request: AccessRequest) -> AccessRequest:
    """The requester withdraws a request still waiting for the provider."""
    locked = _lock_request(request)
    _guard(locked, RequestAction.WITHDRAW, by)
    locked.status = workflow.target(RequestAction.WITHDRAW)
    locked.save(update_fields=["status"])
    _event(locked, "withdrawn", by)
    audit_record(actor=by, action="sharing.request_withdraw", target=locked,
                 before={"status": RequestStatus.SUBMITTED}, after={"status": locked.status})
    return locked


def _lock_grant(grant: Grant | Any) -> Grant:
    pk = _pk(grant)
    locked = (Grant.objects.select_for_update(of=("self",)).select_related("resource", "request")
              .filter(pk=pk).first())
    if locked is None:
        raise NotFound(_("找不到该共享授权。"), code="sharing_grant_not_found")
    return locked


def _grant_kinds(by: Actor, grant: Grant) -> set[str]:
    if is_system(by):
        return {"system"}
    user = account_perms.as_user(by)
    kinds = set()
    if user is not None and perms.is_provider_of(user, grant.resource.provider_department_id):
        kinds.add("provider")
    if user is not None and perms.is_requester_for(user, grant.consumer_department_id):
        kinds.add("requester")
    if not kinds and not account_perms.is_system_admin(user):
        raise NotFound(_("找不到该共享授权。"), code="sharing_grant_not_found")
    return kinds


@transaction.atomic
def grant_revoke(*, by: Actor, grant: Grant, reason: str) -> Grant:
    """The provider (or the system) revokes a grant, with a reason: every later exchange under it
    is refused (403 ``sharing_grant_revoked``). Final."""
    locked = _lock_grant(grant)
    if not _grant_kinds(by, locked) & {"provider", "system"}:
        raise PermissionDenied(_("只有提供部门的部门管理员可以撤销共享授权。"), code="sharing_grant_forbidden")
    text = _text(reason, "reason")
    if locked.status == GrantStatus.REVOKED:
        raise Conflict(_("该授权已撤销。"), code="sharing_grant_already_revoked")
    locked.status = GrantStatus.REVOKED
    locked.revoked_at = timezone.now()
    locked.revoked_by = _user(by)
    locked.revoke_reason = text
    locked.save(update_fields=["status", "revoked_at", "revoked_by", "revoke_reason"])
    _event(locked.request, "revoked", by, note=text)
    audit_record(actor=by, action="sharing.grant_revoke", target=locked, before={"status": GrantStatus.ACTIVE},
                 after={"status": locked.status, "reason": text})
    return locked


@transaction.atomic
def grant_token_reissue(*, by: Actor, grant: Grant) -> str:
    """The requester (the consumer department's admin or data clerk) replaces the grant's token
    and receives the new one, once; the old token stops working at once. A revoked grant keeps
    no token worth reissuing (409)."""
    locked = _lock_grant(grant)
    if not _grant_kinds(by, locked) & {"requester", "system"}:
        raise PermissionDenied(_("只有使用部门的部门管理员或数据报送员可以重新签发令牌。"),
                               code="sharing_grant_forbidden")
    if locked.status == GrantStatus.REVOKED:
        raise Conflict(_("该授权已撤销，不能重新签发令牌。"), code="sharing_grant_already_revoked")
    old = locked.token_prefix
    prefix, token_hash, token = _issue_token()
    locked.token_prefix = prefix
    locked.token_hash = token_hash
    locked.save(update_fields=["token_prefix", "token_hash"])
    _event(locked.request, "token_reissued", by, note=prefix)
    audit_record(actor=by, action="sharing.grant_token_reissue", target=locked, before={"token_prefix": old},
                 after={"token_prefix": prefix})
    return token


def grant_authenticate(token: str) -> Grant | None:
    """The grant whose token this is (any status; the exchange checks it is current), or None
    for a token that is malformed or unknown. Compares the secret's hash in constant time."""
    import hmac

    from onewindow.accounts.models import parse_token

    parts = parse_token(str(token or ""))
    if parts is None:
        return None
    prefix, secret = parts
    grant = Grant.objects.select_related("resource", "consumer_department").filter(token_prefix=prefix).first()
    if grant is None or not hmac.compare_digest(grant.token_hash, hash_token_secret(secret)):
        return None
    return grant
