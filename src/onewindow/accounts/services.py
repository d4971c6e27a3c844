"""Writes of the accounts app: persons, organizations, mandates, staff roles and machine tokens.

Each service guards (who may, is the input valid), mutates inside ``transaction.atomic`` and
appends an audit entry (core.audit) with masked values only, so a refusal leaves nothing behind.
"""

from __future__ import annotations

import datetime
import hmac
import re
import unicodedata
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onewindow.core import crypto
from onewindow.core.actors import Actor
from onewindow.core.audit import audit_record, changed_values
from onewindow.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from onewindow.core.identifiers import validate_credit_code, validate_mobile
from onewindow.core.masking import mask_id_number, mask_name, mask_phone
from onewindow.core.models import Department, Region

from . import permissions as perms
from .choices import IdType, MandateScope, OrganizationKind, StaffRoleKind
from .models import (
    ApiToken,
    Mandate,
    Organization,
    Person,
    StaffRole,
    User,
    format_token,
    hash_token_secret,
    new_token_parts,
    parse_token,
)
from .selectors import CREDIT_CODE_SHAPE, check_document, person_visible_to
from .tokens import token_expiry

_SCOPE = re.compile(r"^[a-z][a-z_]*(:[a-z_]+)?$")
_ITEM_CODE = re.compile(r"^[0-9A-Za-z_.\-]{1,50}$")
TOKEN_TOUCH_INTERVAL = datetime.timedelta(minutes=1)


def _invalid(field: str, code: str, message: Any) -> DomainError:
    return DomainError(message, code=code, fields={field: [message]})


def _text(value: Any, field: str) -> str:
    """Whitespace collapsed; control and surrogate characters refused (``text_invalid``), as
    PostgreSQL cannot store NUL and nobody types a control character into a name."""
    text = " ".join(str(value or "").split())
    if any(unicodedata.category(ch) in ("Cc", "Cs", "Cf", "Co") for ch in text):
        raise _invalid(field, "text_invalid", _("包含无效字符"))
    return text


def _person_summary(person: Person) -> dict[str, Any]:
    return {"name": mask_name(person.name), "id_type": person.id_type,
            "id_number": mask_id_number(person.id_number), "phone": mask_phone(person.phone),
            "real_name_verified": person.real_name_verified}


def _clean_name(name: str, field: str = "name") -> str:
    name = _text(name, field)
    if not name:
        raise _invalid(field, "name_required", _("请填写姓名"))
    if len(name) > 100:
        raise _invalid(field, "name_too_long", _("姓名不能超过100个字符"))
    return name


def _find_person(id_type: str, id_number: str) -> Person | None:
    return Person.objects.filter(id_type=id_type,
                                 id_number_hash__in=crypto.keyed_hash_candidates(id_number)).first()


def person_register(*, by: Actor, name: str, id_type: str = IdType.RESIDENT_ID, id_number: str,
                    phone: str, link_to_self: bool | None = None, documents_seen: bool = True) -> Person:
    """Real-name registration of a natural person (自然人实名登记) by ID document and mobile.

    Actors: a window clerk / reviewer / system admin registering an applicant after seeing the
    original document (the person is then real-name verified), or a logged-in user without a
    person registering themselves (linked to their login, not yet verified: verification needs
    the document check at a window or the public-security interface). A staff account that has not
    seen the original document (a self-service kiosk terminal: ``documents_seen=False``) registers
    the person unverified; the window verifies them when the case continues there.
    Rules: the document and mobile are validated (GB 11643-1999, 工信部 numbering); one person per
    document, found by keyed hash (refusal ``person_exists``, 409); data stored encrypted
    (个人信息保护法 art. 51). Audited with masked values.
    """
    user = perms.as_user(by)
    if user is None:
        raise PermissionDenied(_("请先登录"), code="unauthenticated", status=401)
    staff = perms.can_register_for_others(user)
    verified = staff and documents_seen
    self_registration = not staff if link_to_self is None else link_to_self
    if self_registration and user.person_id is not None:
        raise Conflict(_("您的账号已完成实名登记"), code="already_registered")
    if not self_registration and not staff:
        raise PermissionDenied(_("只有窗口工作人员可以为他人办理实名登记"))
    clean_name = _clean_name(name)
    doc = check_document(id_type, id_number)
    mobile = validate_mobile(phone, field="phone")
    with transaction.atomic():
        if _find_person(doc.id_type, doc.id_number) is not None:
            raise Conflict(_("该证件号码已登记，请直接查询"), code="person_exists",
                           fields={"id_number": [_("该证件号码已登记")]})
        now = timezone.now()
        try:
            with transaction.atomic():
                person = Person.objects.create(
                    name=clean_name, id_type=doc.id_type, id_number=doc.id_number, phone=mobile,
                    birth_date=doc.birth_date, gender=doc.gender, real_name_verified=verified,
                    real_name_verified_at=now if verified else None, created_by=user, updated_by=user,
                )
        except IntegrityError:  # a concurrent registration of the same document won the race
            raise Conflict(_("该证件号码已登记，请直接查询"), code="person_exists",
                           fields={"id_number": [_("该证件号码已登记")]}) from None
        if self_registration:
            User.objects.filter(pk=user.pk).update(person=person)
            user.person = person
        audit_record(actor=user, action="person.register", target=person, after=_person_summary(person),
                     role=perms.primary_role(user))
    return person


def person_update(*, by: Actor, person: Person, name: str | None = None, phone: str | None = None) -> Person:
    """Correct a person's name or mobile (信息变更). The document number never changes: a new
    document is a new registration. Actors: the person themself, or a clerk/reviewer/admin.
    A name change by the person themself clears real-name verification (the name must match
    the document again). Audited with masked before/after."""
    user = perms.as_user(by)
    is_self = user is not None and user.person_id == person.pk
    if user is None or not (is_self or perms.can_register_for_others(user)):
        raise PermissionDenied(_("您无权修改此人的信息"))
    with transaction.atomic():
        locked = Person.objects.select_for_update().get(pk=person.pk)
        before = _person_summary(locked)
        fields = ["updated_by", "updated_at"]
        if name is not None:
            new_name = _clean_name(name)
            if new_name != locked.name:
                locked.name = new_name
                fields.append("name")
                if is_self and not perms.can_register_for_others(user):
                    locked.real_name_verified, locked.real_name_verified_at = False, None
                    fields += ["real_name_verified", "real_name_verified_at"]
        if phone is not None:
            locked.phone = validate_mobile(phone, field="phone")
            fields += ["phone", "phone_hash"]
        locked.updated_by = user
        locked.save(update_fields=fields)
        audit_record(actor=user, action="person.update", target=locked, before=before,
                     after=_person_summary(locked), role=perms.primary_role(user))
    return locked


def _kind_from_credit_code(code: str) -> str:
    """GB 32100-2015 positions 1–2: 9x 工商 (1 企业, 2 个体工商户, 3 农民专业合作社), 5x 民政
    (社会组织), 1x 机构编制 (机关事业单位)."""
    return {"91": OrganizationKind.ENTERPRISE, "92": OrganizationKind.INDIVIDUAL_BUSINESS,
            "93": OrganizationKind.FARMER_COOPERATIVE}.get(code[:2]) or {
        "5": OrganizationKind.SOCIAL_ORGANIZATION, "1": OrganizationKind.PUBLIC_INSTITUTION,
    }.get(code[0], OrganizationKind.OTHER)


def organization_register(*, by: Actor, credit_code: str, name: str, kind: str | None = None,
                          legal_representative_name: str = "") -> Organization:
    """Register a legal person or other organization (法人和其他组织登记) by its unified social
    credit code (GB 32100-2015). Actors: window clerk, reviewer or system admin. The code is
    validated and unique (``organization_exists``, 409); the registered region is taken from
    characters 3–8 when that region is known. Audited."""
    user = perms.as_user(by)
    if user is None or not perms.can_register_for_others(user):
        raise PermissionDenied(_("只有窗口工作人员可以登记组织"))
    code = validate_credit_code(credit_code, field="credit_code")
    clean = _text(name, "name")
    if not clean or len(clean) > 200:
        raise _invalid("name", "name_required", _("请填写组织名称（不超过200个字符）"))
    if kind is not None and kind not in OrganizationKind.values:
        raise _invalid("kind", "kind_invalid", _("不支持的组织类别"))
    with transaction.atomic():
        if Organization.objects.filter(credit_code=code).exists():
            raise Conflict(_("该统一社会信用代码已登记"), code="organization_exists",
                           fields={"credit_code": [_("该统一社会信用代码已登记")]})
        org = Organization.objects.create(
            credit_code=code, name=clean, kind=kind or _kind_from_credit_code(code),
            legal_representative_name=_text(legal_representative_name, "legal_representative_name")[:100],
            region=Region.objects.filter(code=code[2:8]).first(), created_by=user,
        )
        audit_record(actor=user, action="organization.register", target=org,
                     after={"credit_code": code, "name": clean}, role=perms.primary_role(user))
    return org


def _clean_item_codes(scope: str, item_codes: Sequence[str] | None) -> list[str]:
    if scope not in MandateScope.values:
        raise _invalid("scope", "scope_invalid", _("委托范围应为全部事项或指定事项"))
    codes = sorted({str(c).strip() for c in (item_codes or []) if str(c).strip()})
    if scope == MandateScope.ALL:
        return []
    if not codes:
        raise _invalid("item_codes", "item_codes_required", _("委托指定事项时，请至少填写一个事项编码"))
    bad = [c for c in codes if not _ITEM_CODE.match(c)]
    if bad:
        raise _invalid("item_codes", "item_code_format", _("事项编码格式不正确"))
    return codes


def mandate_grant(*, by: Actor, agent: Person, principal_person: Person | None = None,
                  principal_organization: Organization | None = None, scope: str = MandateScope.ALL,
                  item_codes: Sequence[str] | None = None, valid_from: datetime.date | None = None,
                  valid_to: datetime.date | None = None) -> Mandate:
    """Grant a mandate (委托授权): ``agent`` may act for exactly one principal within ``scope``
    from ``valid_from`` to ``valid_to`` (民法典 arts. 161-165: the principal sets the matters and
    the term of the authority).

    Actors: the principal person themself; for an organization, an agent holding a valid
    all-items mandate for it; or a window clerk / system admin recording a written power of
    attorney (授权委托书) at a window. Refusals: ``mandate_self`` (agent is the principal),
    ``period_invalid``, ``valid_from_past``, ``mandate_exists`` (same agent and principal with an
    unrevoked mandate whose period overlaps).
    """
    user = perms.as_user(by)
    if user is None:
        raise PermissionDenied(_("请先登录"), code="unauthenticated", status=401)
    if (principal_person is None) == (principal_organization is None):
        raise _invalid("principal", "principal_required", _("请指定唯一的委托人（自然人或组织）"))
    window = perms.can_register_for_others(user)
    if principal_person is not None:
        allowed = window or user.person_id == principal_person.pk
    else:
        assert principal_organization is not None
        allowed = window or perms.may_act_for_organization(user, principal_organization)
    if not allowed:
        raise PermissionDenied(_("您无权以该委托人的名义授权"))
    if principal_person is not None and agent.pk == principal_person.pk:
        raise _invalid("agent", "mandate_self", _("代理人不能是委托人本人"))
    today = timezone.localdate()
    start = valid_from or today
    if start < today:
        raise _invalid("valid_from", "valid_from_past", _("生效日期不能早于今天"))
    if valid_to is not None and valid_to < start:
        raise _invalid("valid_to", "period_invalid", _("失效日期不能早于生效日期"))
    codes = _clean_item_codes(scope, item_codes)
    with transaction.atomic():
        Person.objects.select_for_update().filter(pk=agent.pk).first()  # serialise grants per agent
        # Overlapping periods of the same agent and principal would make "which mandate applies"
        # ambiguous: refuse any unrevoked mandate whose period meets the new one.
        overlapping = Q(revoked_at__isnull=True) & (Q(valid_to__isnull=True) | Q(valid_to__gte=start))
        if valid_to is not None:
            overlapping &= Q(valid_from__lte=valid_to)
        same = Mandate.objects.filter(overlapping, agent=agent, principal_person=principal_person,
                                      principal_organization=principal_organization)
        if same.exists():
            raise Conflict(_("该代理人已持有有效的委托，请先撤销原委托"), code="mandate_exists")
        mandate = Mandate.objects.create(
            agent=agent, principal_person=principal_person, principal_organization=principal_organization,
            scope=scope, item_codes=codes, valid_from=start, valid_to=valid_to, granted_by=user,
        )
        audit_record(actor=user, action="mandate.grant", target=("accounts.mandate", str(mandate.pk),
                                                                  f"mandate {mandate.pk}"),
                     after={"agent": mask_id_number(agent.id_number), "scope": scope, "item_codes": codes,
                            "principal": principal_organization.credit_code if principal_organization
                            else mask_id_number(principal_person.id_number if principal_person else ""),
                            "valid_from": start.isoformat(),
                            "valid_to": valid_to.isoformat() if valid_to else None},
                     role=perms.primary_role(user))
    return mandate


def mandate_revoke(*, by: Actor, mandate: Mandate, reason: str) -> Mandate:
    """Revoke a mandate (撤销委托, 民法典 art. 173: the principal revokes, the agent resigns).
    Actors: the principal (or an agent with an all-items mandate for the principal organization),
    the agent themself, a window clerk or a system admin. A reason is required; revoking twice
    is refused (``mandate_revoked``, 409)."""
    user = perms.as_user(by)
    if user is None:
        raise PermissionDenied(_("请先登录"), code="unauthenticated", status=401)
    reason = _text(reason, "reason")
    if not reason:
        raise _invalid("reason", "reason_required", _("请填写撤销原因"))
    with transaction.atomic():
        locked = Mandate.objects.select_for_update().get(pk=mandate.pk)
        pid = user.person_id
        allowed = (perms.can_register_for_others(user) or (pid is not None and pid in
                   (locked.agent_id, locked.principal_person_id))
                   or (locked.principal_organization is not None and locked.agent_id != pid
                       and perms.may_act_for_organization(user, locked.principal_organization)))
        if not allowed:
            raise PermissionDenied(_("您无权撤销此委托"))
        if locked.revoked_at is not None:
            raise Conflict(_("此委托已撤销"), code="mandate_revoked")
        locked.revoked_at, locked.revoked_reason, locked.revoked_by = timezone.now(), reason[:200], user
        locked.save(update_fields=["revoked_at", "revoked_reason", "revoked_by"])
        audit_record(actor=user, action="mandate.revoke", target=("accounts.mandate", str(locked.pk),
                                                                   f"mandate {locked.pk}"),
                     after={"reason": reason[:200]}, role=perms.primary_role(user))
    return locked


def staff_role_grant(*, by: Actor, user: User, role: str, department: Department | None = None,
                     region: Region | None = None) -> StaffRole:
    """Grant a staff role (授予工作人员角色). Actors: a system admin (any role), or a department
    admin granting 受理员/审核员 within their own department. Every role except 系统管理员 needs
    a department or region scope (``scope_required``); a duplicate valid role is refused
    (``role_exists``). Audited."""
    actor = perms.as_user(by)
    if role not in StaffRoleKind.values:
        raise _invalid("role", "role_invalid", _("不支持的角色"))
    own_departments = {r.department_id for r in perms.valid_roles(actor)
                       if r.role == StaffRoleKind.DEPARTMENT_ADMIN and r.department_id}
    dept_admin_ok = (role in (StaffRoleKind.WINDOW_CLERK, StaffRoleKind.REVIEWER) and department is not None
                     and region is None and department.pk in own_departments)
    if actor is None or not (perms.is_system_admin(actor) or dept_admin_ok):
        raise PermissionDenied(_("您无权授予该角色"))
    if role != StaffRoleKind.SYSTEM_ADMIN and department is None and region is None:
        raise _invalid("department", "scope_required", _("请指定角色的所属部门或管辖区划"))
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()
        if StaffRole.objects.filter(user=user, role=role, department=department, region=region,
                                    valid=True).exists():
            raise Conflict(_("该用户已持有此角色"), code="role_exists")
        staff_role = StaffRole.objects.create(user=user, role=role, department=department, region=region,
                                              granted_by=actor)
        audit_record(actor=actor, action="staff_role.grant", target=staff_role,
                     after={"user": user.get_username(), "role": role,
                            "department": department.code if department else None,
                            "region": region.code if region else None},
                     role=perms.primary_role(actor))
    perms.forget_roles(user)
    return staff_role


def staff_role_revoke(*, by: Actor, staff_role: StaffRole, reason: str) -> StaffRole:
    """Revoke a staff role (撤销角色): kept with time and reason, never deleted. Actors as for the
    grant. Refusals: ``reason_required``, ``role_revoked`` (409)."""
    actor = perms.as_user(by)
    own_departments = {r.department_id for r in perms.valid_roles(actor)
                       if r.role == StaffRoleKind.DEPARTMENT_ADMIN and r.department_id}
    dept_admin_ok = (staff_role.role in (StaffRoleKind.WINDOW_CLERK, StaffRoleKind.REVIEWER)
                     and staff_role.department_id in own_departments)
    if actor is None or not (perms.is_system_admin(actor) or dept_admin_ok):
        raise PermissionDenied(_("您无权撤销该角色"))
    reason = _text(reason, "reason")
    if not reason:
        raise _invalid("reason", "reason_required", _("请填写撤销原因"))
    with transaction.atomic():
        locked = StaffRole.objects.select_for_update().get(pk=staff_role.pk)
        if not locked.valid:
            raise Conflict(_("该角色已撤销"), code="role_revoked")
        locked.valid, locked.revoked_at, locked.revoked_by = False, timezone.now(), actor
        locked.revoked_reason = reason[:200]
        locked.save(update_fields=["valid", "revoked_at", "revoked_by", "revoked_reason"])
        audit_record(actor=actor, action="staff_role.revoke", target=locked, after={"reason": reason[:200]},
                     role=perms.primary_role(actor))
    perms.forget_roles(locked.user)
    return locked


def api_token_issue(*, by: Actor, name: str, scopes: Sequence[str], owner: User | None = None,
                    system_name: str = "", expires_at: datetime.datetime | None = None
                    ) -> tuple[ApiToken, str]:
    """Issue a machine token (签发机器令牌) for a system or device; returns (token, bearer string).
    The bearer string is shown once: only the SHA-256 of its secret is stored (GB/T 22239-2019
    身份鉴别). Actor: system admin. Without ``expires_at`` the token gets the maximum lifetime
    (tokens.max_days). Refusals: ``scopes_invalid``, ``owner_required``, ``expires_in_past``,
    ``expires_too_late``. Audited (never with the secret)."""
    actor = perms.as_user(by)
    if actor is None or not perms.is_system_admin(actor):
        raise PermissionDenied(_("只有系统管理员可以签发令牌"))
    clean_name = _text(name, "name")
    if not clean_name or len(clean_name) > 100:
        raise _invalid("name", "name_required", _("请填写令牌名称（不超过100个字符）"))
    clean_scopes = sorted({str(s).strip() for s in scopes})
    if not clean_scopes or any(not _SCOPE.match(s) for s in clean_scopes):
        raise _invalid("scopes", "scopes_invalid", _("权限范围应为形如 catalog:read 的字符串，且至少一项"))
    system = _text(system_name, "system_name")[:100]
    if owner is None and not system:
        raise _invalid("system_name", "owner_required", _("请指定令牌所属用户或所属系统"))
    if expires_at is not None and expires_at <= timezone.now():
        raise _invalid("expires_at", "expires_in_past", _("过期时间必须晚于当前时间"))
    expires_at = token_expiry(expires_at, clean_scopes)  # every token expires (tokens.py)
    prefix, secret = new_token_parts()
    with transaction.atomic():
        token = ApiToken.objects.create(name=clean_name, owner=owner, system_name=system, prefix=prefix,
                                        secret_hash=hash_token_secret(secret), scopes=clean_scopes,
                                        expires_at=expires_at, created_by=actor)
        audit_record(actor=actor, action="api_token.issue", target=token,
                     after={"name": clean_name, "scopes": clean_scopes, "prefix": prefix,
                            "owner": owner.get_username() if owner else None, "system_name": system},
                     role=perms.primary_role(actor))
    return token, format_token(prefix, secret)


def api_token_revoke(*, by: Actor, token: ApiToken, reason: str) -> ApiToken:
    """Revoke a machine token (撤销令牌): refused from then on. Actor: system admin. Refusals:
    ``reason_required``, ``token_already_revoked`` (409). Audited."""
    actor = perms.as_user(by)
    if actor is None or not perms.is_system_admin(actor):
        raise PermissionDenied(_("只有系统管理员可以撤销令牌"))
    reason = _text(reason, "reason")
    if not reason:
        raise _invalid("reason", "reason_required", _("请填写撤销原因"))
    with transaction.atomic():
        locked = ApiToken.objects.select_for_update().get(pk=token.pk)
        if locked.revoked_at is not None:
            raise Conflict(_("该令牌已撤销"), code="token_already_revoked")
        locked.revoked_at, locked.revoked_reason, locked.revoked_by = timezone.now(), reason[:200], actor
        locked.save(update_fields=["revoked_at", "revoked_reason", "revoked_by"])
        audit_record(actor=actor, action="api_token.revoke", target=locked, after={"reason": reason[:200]},
                     role=perms.primary_role(actor))
    return locked


class TokenRefused(DomainError):
    status = 401


def token_refusal(token: ApiToken | None, secret: str | None, *, owner_active: bool | None,
                  now: datetime.datetime) -> TokenRefused | None:
    """The one check of a bearer token, whoever loaded the row (issue #17: the API's one-statement
    token+roles read, the hall devices' token+device read and :func:`api_token_authenticate` all call
    it, so a check added here reaches every path). None when the token is accepted; otherwise the
    refusal, in this order: unknown or a wrong secret (SHA-256, constant-time compare)
    ``token_invalid``, ``token_revoked``, ``token_expired``, an inactive owner ``token_owner_inactive``.
    ``owner_active`` is the owner's ``is_active`` (None for a token without owner). Basis:
    GB/T 22239-2019 (身份鉴别): a revoked or expired credential is refused at the next request."""
    given = hash_token_secret(secret) if secret is not None else ""
    if token is None or secret is None or not hmac.compare_digest(token.secret_hash, given):
        return TokenRefused(_("访问令牌无效"), code="token_invalid")
    if token.revoked_at is not None:
        return TokenRefused(_("访问令牌已被撤销"), code="token_revoked")
    if token.is_expired(now):
        return TokenRefused(_("访问令牌已过期"), code="token_expired")
    if token.owner_id is not None and not owner_active:
        return TokenRefused(_("访问令牌所属账号已停用"), code="token_owner_inactive")
    return None


def token_touch(token: ApiToken, now: datetime.datetime) -> None:
    """``last_used_at`` at most once a TOKEN_TOUCH_INTERVAL (one conditional UPDATE), so busy devices
    and clients do not write on every request."""
    stale = now - TOKEN_TOUCH_INTERVAL
    if token.last_used_at is None or token.last_used_at < stale:
        ApiToken.objects.filter(pk=token.pk).exclude(last_used_at__gte=stale).update(last_used_at=now)
        token.last_used_at = now


def api_token_authenticate(*, bearer: str) -> ApiToken:
    """Check a bearer token (:func:`token_refusal`): the prefix finds the row, the secret's SHA-256
    is compared in constant time; revoked (``token_revoked``) and expired (``token_expired``) tokens
    are refused, unknown ones with ``token_invalid``. ``last_used_at`` is written at most once a
    minute (:func:`token_touch`)."""
    parts = parse_token(bearer)
    token = ApiToken.objects.select_related("owner").filter(prefix=parts[0]).first() if parts else None
    return token_accept(token, parts[1] if parts else None)


def token_accept(token: ApiToken | None, secret: str | None) -> ApiToken:
    """The token (its owner loaded) when :func:`token_refusal` accepts it, touched (:func:`token_touch`);
    otherwise its refusal is raised (the API bearer and api_token_authenticate; the hall devices' fast
    path asks token_refusal alone and falls back to api_token_authenticate)."""
    now = timezone.now()
    owner_active = token.owner.is_active if token is not None and token.owner is not None else None
    refusal = token_refusal(token, secret, owner_active=owner_active, now=now)
    if refusal is not None:
        raise refusal
    assert token is not None
    token_touch(token, now)
    return token


def person_by_document(id_type: str, id_number: str) -> Person:
    """The person holding a document, or ``NotFound`` (used by writes that name an agent)."""
    doc = check_document(id_type, id_number)
    person = _find_person(doc.id_type, doc.id_number)
    if person is None:
        raise NotFound(_("未找到该证件号码对应的实名登记信息"), code="person_not_found")
    return person


def mandate_grant_by_reference(*, by: Actor, agent_id_type: str, agent_id_number: str,
                               principal_person_ref: str | None = None, principal_credit_code: str | None = None,
                               scope: str = MandateScope.ALL, item_codes: Sequence[str] | None = None,
                               valid_from: datetime.date | None = None,
                               valid_to: datetime.date | None = None) -> Mandate:
    """:func:`mandate_grant` from the references a form or API request carries: the agent by
    document number (he or she must be registered: ``person_not_found``), the principal by
    credit code, by the person's public reference, or — when neither is given — the caller's own person
    (``no_person`` when the login has no real-name registration). A principal the caller may
    not see is ``not_found``, so existence does not leak."""
    user = perms.as_user(by)
    if user is None:
        raise PermissionDenied(_("请先登录"), code="unauthenticated", status=401)
    principal_person: Person | None = None
    principal_org: Organization | None = None
    if principal_credit_code:
        code = str(principal_credit_code).strip().upper()
        principal_org = (perms.organization_queryset_for(user).filter(credit_code=code).first()
                         if CREDIT_CODE_SHAPE.match(code) else None)
        if principal_org is None:
            raise NotFound(_("未找到该组织"), code="organization_not_found")
    elif principal_person_ref is not None:
        principal_person = person_visible_to(user, principal_person_ref)
    elif user.person is not None:
        principal_person = user.person
    else:
        raise Conflict(_("请先完成实名登记"), code="no_person")
    agent = person_by_document(agent_id_type, agent_id_number)
    return mandate_grant(by=user, agent=agent, principal_person=principal_person,
                         principal_organization=principal_org, scope=scope, item_codes=item_codes,
                         valid_from=valid_from, valid_to=valid_to)


def api_token_issue_by_reference(*, by: Actor, name: str, scopes: Sequence[str], owner_username: str | None = None,
                                 system_name: str = "", expires_at: datetime.datetime | None = None
                                 ) -> tuple[ApiToken, str]:
    """:func:`api_token_issue` with the owner named by username (``owner_not_found``)."""
    owner = None
    if owner_username:
        if not perms.is_system_admin(by):
            raise PermissionDenied(_("只有系统管理员可以签发令牌"))
        owner = User.objects.filter(username=_text(owner_username, "owner_username")).first()
        if owner is None:
            raise _invalid("owner_username", "owner_not_found", _("未找到该用户"))
    return api_token_issue(by=by, name=name, scopes=scopes, owner=owner, system_name=system_name,
                           expires_at=expires_at)


def preferred_language_set(*, by: Actor, language: str) -> bool:
    """Store the language a logged-in user chose with the language switch, on the login and on
    its person, so that their messages (SMS, in-app) go out in it (notifications pick it).

    Actor: the user themself (the switch of their own session). ``language`` must be one of
    settings.LANGUAGES (``language_invalid``, 422). Returns True when something changed; the
    change is audited (a change to a person's record, 个人信息保护法 art. 51 / 等保2.0 安全审计),
    choosing the same language again writes nothing.
    """
    user = perms.as_user(by)
    if user is None:
        raise PermissionDenied(_("请先登录"), code="unauthenticated", status=401)
    code = str(language or "").lower()
    if code not in dict(settings.LANGUAGES):
        raise _invalid("language", "language_invalid", _("不支持的语言"))
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        before = locked.preferred_language
        person_before = None
        if locked.person_id is not None:
            person_before = Person.objects.filter(pk=locked.person_id).values_list(
                "preferred_language", flat=True).first()
        if before == code and person_before in (None, code):
            return False
        User.objects.filter(pk=locked.pk).update(preferred_language=code)
        if locked.person_id is not None:
            Person.objects.filter(pk=locked.person_id).update(preferred_language=code)
        user.preferred_language = code
        audit_record(actor=locked, action="accounts.preferred_language_set", target=locked,
                     before={"preferred_language": before}, after={"preferred_language": code},
                     role=perms.primary_role(locked))
    return True


# ---- logins edited by a system administrator (the admin, issue #10) ----------------------------

#: The fields of a login a system administrator sets in the admin (never the password hash).
USER_FIELDS = ("username", "first_name", "last_name", "email", "is_active", "is_staff", "is_superuser",
               "person", "organization")


def _require_system_admin(by: Actor) -> Any:
    actor = perms.as_user(by)
    if not perms.is_system_admin(actor):
        raise PermissionDenied(_("只有系统管理员可以管理登录账号。"), code="not_system_admin")
    return actor


def _password(user: User, password: str | None) -> None:
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()


def user_create(*, by: Actor, username: str, password: str | None, **values: Any) -> User:
    """Create a login (登录账号) — a system administrator, in the admin. ``password`` None makes a
    login without a usable password (a terminal account, or one that signs in otherwise). Refused:
    a taken username (409 ``username_taken``). Audited ``user.create`` (no password in the trail).
    Its privileges (roles, second factor) are granted afterwards through their own services."""
    actor = _require_system_admin(by)
    unknown = sorted(set(values) - set(USER_FIELDS))
    if unknown:
        raise _invalid(unknown[0], "user_invalid", _("该项不能修改。"))
    with transaction.atomic():
        if User.objects.filter(username=username).exists():
            raise Conflict(_("该用户名已被使用。"), code="username_taken")
        user = User(username=username, **values)
        _password(user, password)
        user.save()
        _before, after = changed_values(User(), {"username": username, **values})
        audit_record(actor=actor, action="user.create", target=user,
                     after={**after, "password": "usable" if password else "unusable"})
    return user


def user_update(*, by: Actor, user_id: Any, groups: Sequence[Any] | None = None,
                user_permissions: Sequence[Any] | None = None, **values: Any) -> User:
    """Change a login's name, e-mail, 有效 flag, staff and superuser flags, groups, permissions or
    the person/organization it acts as — a system administrator. A superuser flag, staff flag or
    permission is a privilege: every change is audited ``user.update`` with before/after
    (等保2.0 安全审计). Logins are never deleted (the trail refers to them): set 有效 off."""
    actor = _require_system_admin(by)
    unknown = sorted(set(values) - set(USER_FIELDS))
    if unknown:
        raise _invalid(unknown[0], "user_invalid", _("该项不能修改。"))
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=user_id).first()
        if user is None:
            raise NotFound(_("找不到该用户。"), code="user_not_found")
        if "username" in values and User.objects.filter(username=values["username"]).exclude(pk=user.pk).exists():
            raise Conflict(_("该用户名已被使用。"), code="username_taken")
        before, after = changed_values(user, values)
        for name in after:
            setattr(user, name, values[name])
        if after:
            user.save(update_fields=list(after))
        for name, chosen in (("groups", groups), ("user_permissions", user_permissions)):
            if chosen is None:
                continue
            manager = getattr(user, name)
            old, new = set(manager.values_list("pk", flat=True)), {getattr(c, "pk", c) for c in chosen}
            if old != new:
                manager.set(new)
                before[name], after[name] = sorted(old), sorted(new)
        if after:
            audit_record(actor=actor, action="user.update", target=user, before=before, after=after)
    return user


def user_set_password(*, by: Actor, user_id: Any, password: str | None) -> User:
    """Set a login's password, or make it unusable (``password`` None) — a system administrator,
    after a fresh re-authentication (the admin's key operation). Audited ``user.password_set``
    (the trail says that it changed, never the password)."""
    actor = _require_system_admin(by)
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=user_id).first()
        if user is None:
            raise NotFound(_("找不到该用户。"), code="user_not_found")
        _password(user, password)
        user.save(update_fields=["password"])
        audit_record(actor=actor, action="user.password_set", target=user,
                     after={"password": "usable" if password else "unusable"})
    return user
