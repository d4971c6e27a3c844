"""Areas, zones and crowd sources (商圈、分区、客流数据源, issue #16 part 2): what the ingest accepts.

Actor: a system admin only (``permissions.require_source_admin``, 403 ``bigscreen_admin_only``):
a source holds an API token, and an area or zone decides what the public screen shows. Every write
is audited (core.audit; 网络安全法 art. 21(3)). A source's token is issued through
``accounts.services.api_token_issue`` with the single scope ``crowd:ingest`` and the system name
``crowd-<area>``; the bearer string is returned once and never stored (only its hash).
Deactivating a source revokes its token too, so it is shut out at the next request. Nothing is
deleted: reports refer to their source.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from onewindow.accounts import permissions as account_perms
from onewindow.accounts.services import api_token_issue, api_token_revoke
from onewindow.core.actors import Actor
from onewindow.core.audit import audit_record
from onewindow.core.errors import Conflict, DomainError

from ..models import Area, Source, Zone
from ..permissions import require_source_admin

INGEST_SCOPE = "crowd:ingest"
CODE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")


def _invalid(field: str, message: Any, code: str) -> DomainError:
    return DomainError(_("提交的信息不正确。"), code=code, status=422, fields={field: [message]})


def _text(value: Any, field: str, limit: int, *, required: bool = True) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise _invalid(field, _("此项为必填项。"), "bigscreen_field_required")
    if len(text) > limit:
        raise _invalid(field, _("最多 %(n)s 个字符。") % {"n": limit}, "bigscreen_field_too_long")
    return text


def _code(value: Any) -> str:
    code = str(value or "").strip()
    if not CODE.match(code):
        raise _invalid("code", _("代码由小写字母、数字和连字符组成，不超过 40 个字符。"), "bigscreen_code_invalid")
    return code


def _int(value: Any, field: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        message = _("请输入 %(a)s 至 %(b)s 之间的整数。") % {"a": low, "b": high}
        raise _invalid(field, message, "bigscreen_number_invalid")
    return value


def _share(value: Any, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise _invalid(field, _("请输入 0 至 1 之间的比例（0 表示使用默认值）。"), "bigscreen_share_invalid")
    return float(value)


def area_create(*, by: Actor, code: str, name: str, name_en: str = "", bucket_minutes: int = 5,
                stale_minutes: int = 15, redaction_threshold: int = 0) -> Area:
    """Register a business district (商圈). ``bucket_minutes`` must divide a day's minutes evenly
    from midnight, so every bucket has the same length (1–60 dividing 1440). Refusals: 403
    ``bigscreen_admin_only``; 422 field errors; 409 ``bigscreen_area_exists``."""
    require_source_admin(by)
    minutes = _int(bucket_minutes, "bucket_minutes", 1, 60)
    clean: dict[str, Any] = {"code": _code(code), "name": _text(name, "name", 60),
                             "name_en": _text(name_en, "name_en", 80, required=False), "bucket_minutes": minutes,
                             "stale_minutes": _int(stale_minutes, "stale_minutes", 1, 1440),
                             "redaction_threshold": _int(redaction_threshold, "redaction_threshold", 0, 1000)}
    if 1440 % minutes:
        raise _invalid("bucket_minutes", _("统计间隔须能整除一天的分钟数（如 1、5、10、15、30、60）。"),
                       "bigscreen_number_invalid")
    with transaction.atomic():
        if Area.objects.select_for_update().filter(code=clean["code"]).exists():
            raise Conflict(_("该商圈代码已存在。"), code="bigscreen_area_exists")
        area = Area.objects.create(**clean)
        audit_record(actor=by, action="bigscreen.area.create", target=area, after=dict(clean),
                     role=account_perms.primary_role(by))
    return area


def zone_create(*, by: Actor, area: Area, code: str, name: str, capacity: int, name_en: str = "",
                amber_share: float = 0, red_share: float = 0, position: int = 0) -> Zone:
    """Add a zone (分区) with its capacity (承载量) to an area; ``amber_share`` / ``red_share`` 0 take
    the settings' defaults, else amber must be below red. Refusals: 403, 422, 409
    ``bigscreen_zone_exists``."""
    require_source_admin(by)
    amber, red = _share(amber_share, "amber_share"), _share(red_share, "red_share")
    clean: dict[str, Any] = {"code": _code(code), "name": _text(name, "name", 60),
                             "name_en": _text(name_en, "name_en", 80, required=False),
                             "capacity": _int(capacity, "capacity", 1, 10_000_000), "amber_share": amber,
                             "red_share": red, "position": _int(position, "position", 0, 32767)}
    if amber and red and amber >= red:
        raise _invalid("amber_share", _("黄色预警比例须低于红色预警比例。"), "bigscreen_share_invalid")
    with transaction.atomic():
        locked = Area.objects.select_for_update().get(pk=area.pk)
        if Zone.objects.filter(area=locked, code=clean["code"]).exists():
            raise Conflict(_("该商圈已有此分区代码。"), code="bigscreen_zone_exists")
        zone = Zone.objects.create(area=locked, **clean)
        audit_record(actor=by, action="bigscreen.zone.create", target=zone, after={"area": locked.code, **clean},
                     role=account_perms.primary_role(by))
    return zone


def source_create(*, by: Actor, area: Area, name: str) -> tuple[Source, str]:
    """Register a crowd source (客流数据源) of ``area`` and issue its token; returns (source, bearer),
    the bearer shown once. Refusals: 403, 422 ``bigscreen_field_required`` / ``_too_long``."""
    require_source_admin(by)
    clean_name = _text(name, "name", 80)
    with transaction.atomic():
        token, bearer = api_token_issue(by=by, name=f"客流数据源 {clean_name}"[:100], scopes=[INGEST_SCOPE],
                                        system_name=f"crowd-{area.code}")
        source = Source.objects.create(area=area, name=clean_name, token=token)
        audit_record(actor=by, action="bigscreen.source.create", target=source,
                     after={"area": area.code, "name": clean_name, "token": token.prefix},
                     role=account_perms.primary_role(by))
    return source, bearer


def source_deactivate(*, by: Actor, source: Source, reason: str) -> Source:
    """Stop a source (停用): inactive, and its token revoked. Refusals: 403; 422
    ``bigscreen_field_required`` (the reason); 409 ``bigscreen_source_inactive`` when already off."""
    require_source_admin(by)
    clean_reason = _text(reason, "reason", 200)
    with transaction.atomic():
        locked = Source.objects.select_for_update().select_related("token").get(pk=source.pk)
        if not locked.is_active:
            raise Conflict(_("该客流数据源已停用。"), code="bigscreen_source_inactive")
        locked.is_active = False
        locked.save(update_fields=["is_active"])
        if locked.token.revoked_at is None:
            api_token_revoke(by=by, token=locked.token, reason=clean_reason)
        audit_record(actor=by, action="bigscreen.source.deactivate", target=locked,
                     before={"is_active": True}, after={"is_active": False, "reason": clean_reason},
                     role=account_perms.primary_role(by))
    return locked
