"""异议 (objections) to pooled records: the entity objects, the source department answers in time.

Rule (issue #11 part 3; 企业信息公示暂行条例 art. 13: an enterprise may ask for wrong public
information to be corrected): a user of the entity (its own login, or an agent with a valid
mandate for it) objects to one of its records with a reason; the source department answers within
``MARKET_OBJECTION_DAYS`` working days (core.calendar): the record is upheld (维持) or corrected
(更正, as a correction with history). A late answer is accepted and marked late; an open objection
past its due date is overdue (逾期, see ``records_selectors.objection_list_for``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onewindow.accounts import permissions as account_perms
from onewindow.core.actors import Actor, is_system
from onewindow.core.audit import audit_record
from onewindow.core.calendar import add_working_days
from onewindow.core.codes import as_id
from onewindow.core.errors import Conflict, DomainError, NotFound, PermissionDenied

from ..choices import ObjectionStatus
from ..models import Objection
from ..records_selectors import is_entity_user
from .records import actor_role, actor_user, lock_record, record_correct, require_source


def objection_days() -> int:
    """Working days the source department has to answer an objection (``MARKET_OBJECTION_DAYS``, 5).

    上海市社会信用条例 and the national credit-repair rules set short working-day limits for 异议;
    the figure for this platform is unconfirmed (DOMAIN.md marks it local), hence a setting."""
    return int(getattr(settings, "MARKET_OBJECTION_DAYS", 5))


def objection_raise(*, by: Actor, record_id: Any, reason: str) -> Objection:
    """异议: a user of the entity (its own login, or an agent with a valid mandate) objects to one of
    its records with a reason; the source department must answer within ``objection_days()``
    working days. Staff get 403; one open objection per record (409 ``records_objection_open``)."""
    with transaction.atomic():
        record = lock_record(record_id, by)
        if not is_entity_user(by, record):
            raise PermissionDenied(_("只有信息所属主体可以提出异议。"), code="records_objection_not_entity")
        reason = (reason or "").strip()
        if not reason or len(reason) > 2000:
            message = _("请填写异议理由（不超过2000字）。")
            raise DomainError(message, code="records_objection_reason", status=422, fields={"reason": [message]})
        if record.objections.filter(status=ObjectionStatus.OPEN).exists():
            raise Conflict(_("该信息已有待处理的异议。"), code="records_objection_open")
        assert record.entity is not None
        now = timezone.now()
        objection = Objection.objects.create(
            record=record,
            entity=record.entity,
            department=record.department,
            reason=reason,
            raised_at=now,
            raised_by=actor_user(by),
            due_date=add_working_days(timezone.localdate(now), objection_days()),
        )
        audit_record(
            actor=by,
            action="market.objection_raise",
            target=objection,
            role=actor_role(by),
            after={"record": record.pk, "due_date": objection.due_date.isoformat()},
        )
        return objection


def objection_answer(
    *, by: Actor, objection_id: Any, outcome: str, answer: str, changes: Mapping[str, Any] | None = None
) -> Objection:
    """The source department answers an objection: ``upheld`` (the record stands) or ``corrected``
    (with the ``changes``, applied as a correction in the same transaction). A late answer is
    accepted and marked ``answered_late``. Other departments: 403; an answered objection: 409."""
    with transaction.atomic():
        objection = (
            Objection.objects.select_for_update(of=("self",))
            .select_related("record")
            .filter(pk=as_id(objection_id))
            .first()
        )
        if objection is None or not (account_perms.is_staff_member(by) or is_system(by)):
            raise NotFound(_("找不到该异议。"), code="records_objection_not_found")
        require_source(by, objection.record)
        if objection.status != ObjectionStatus.OPEN:
            raise Conflict(_("该异议已答复。"), code="records_objection_answered")
        answer = (answer or "").strip()
        errors: dict[str, list[Any]] = {}
        if outcome not in (ObjectionStatus.UPHELD, ObjectionStatus.CORRECTED):
            errors["outcome"] = [_("请选择处理结果。")]
        if not answer or len(answer) > 2000:
            errors["answer"] = [_("请填写答复意见（不超过2000字）。")]
        if outcome == ObjectionStatus.CORRECTED and not changes:
            errors["changes"] = [_("更正时请填写更正后的内容。")]
        if errors:
            raise DomainError(
                _("答复内容有误，请检查标出的字段。"), code="records_objection_invalid", status=422, fields=errors
            )
        if outcome == ObjectionStatus.CORRECTED:
            revision = objection.record.revision
            record = record_correct(
                by=by, record_id=objection.record_id, changes=changes or {}, reason=str(_("异议更正"))
            )
            if record.revision == revision:
                message = _("更正后的内容与原记录相同。")
                raise DomainError(
                    message, code="records_objection_no_change", status=422, fields={"changes": [message]}
                )
        now = timezone.now()
        objection.status, objection.answer, objection.answered_at = outcome, answer, now
        objection.answered_by = actor_user(by)
        objection.answered_late = timezone.localdate(now) > objection.due_date
        objection.save()
        audit_record(
            actor=by,
            action="market.objection_answer",
            target=objection,
            role=actor_role(by),
            before={"status": ObjectionStatus.OPEN},
            after={"status": outcome, "late": objection.answered_late},
        )
        return objection
