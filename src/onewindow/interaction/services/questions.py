"""Services of the online Q&A (在线问答, issue #14 part 7).

A resident asks (logged in, or anonymously with a mobile number for the answer notice; anonymous
asking is rate-limited); the question gets a response deadline in working hours (deadlines.py).
Staff of the question's department (permissions.py) assign it, answer it, then publish it — the
public list shows the question and the answer, never the asker — or close it with a reason.
Each service locks the question, guards (404 not visible, 403 not staff, 409 wrong status, 422
bad input), writes the event, the reminders and an audit entry in one transaction; a refusal
writes nothing. The phone is personal data: stored encrypted, audited masked (个人信息保护法 art. 51).
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onewindow.accounts import permissions as account_perms
from onewindow.accounts.models import User
from onewindow.catalog.models import ServiceItem
from onewindow.core.actors import Actor, is_system
from onewindow.core.audit import audit_record
from onewindow.core.errors import Conflict, DomainError, NotFound, PermissionDenied, RateLimited
from onewindow.core.masking import mask_phone
from onewindow.core.models import Department
from onewindow.core.normalize import has_invalid_characters
from onewindow.core.throttle import throttle_hit

from .. import reminder_feed, workflow
from ..choices import QuestionAction, QuestionChannel, QuestionStatus
from ..deadlines import response_due
from ..models import Question, QuestionEvent
from ..permissions import handles_department, staff_department_ids

QUESTION_LIMIT = 1000
ANSWER_LIMIT = 4000
_PHONE = re.compile(r"^1[3-9]\d{9}$")


def _invalid(field: str, message: Any, code: str = "interaction_question_invalid") -> DomainError:
    return DomainError(_("问题信息不正确。"), code=code, status=422, fields={field: [message]})


def _text(value: Any, field: str, limit: int) -> str:
    text = str(value or "").strip()
    if not text:
        raise _invalid(field, _("此项必填。"))
    if len(text) > limit:
        raise _invalid(field, _("内容过长（最多 %(n)d 字）。") % {"n": limit})
    if has_invalid_characters(text):
        raise _invalid(field, _("包含无效字符"), code="text_invalid")
    return text


def _user(by: Actor | None) -> User | None:
    return None if by is None or is_system(by) else account_perms.as_user(by)


def question_departments() -> list[Department]:
    """The departments that take questions (``INTERACTION_DEPARTMENT_CODES``, the centers'
    receiving bodies; default the 临汾路 center ``310106021-SQSW``)."""
    codes = list(getattr(settings, "INTERACTION_DEPARTMENT_CODES", ["310106021-SQSW"]))
    return list(Department.objects.filter(code__in=codes).order_by("sort_order", "code"))


def _event(question: Question, action: str, before: str, by: Actor | None, note: str = "") -> None:
    QuestionEvent.objects.create(question=question, action=action, from_status=before,
                                 to_status=question.status, actor=_user(by), note=note[:500],
                                 created_at=timezone.now())


def question_submit(*, by: Actor | None, department: Department | int | str, text: str,
                    item: ServiceItem | int | None = None, phone: str = "",
                    channel: str = QuestionChannel.WEB, throttle_key: str = "") -> Question:
    """A resident asks. Logged in: the question is theirs. Anonymous: a mobile number is required
    for the answer notice, and asking is limited to ``INTERACTION_ASK_LIMIT`` questions per
    ``INTERACTION_ASK_WINDOW`` seconds per ``throttle_key`` (the client's address)."""
    user = _user(by)
    dept_id = getattr(department, "pk", department)
    dept = next((d for d in question_departments() if str(d.pk) == str(dept_id) or d.code == dept_id), None)
    if dept is None:
        raise _invalid("department", _("请选择受理提问的服务中心。"), code="interaction_department_unknown")
    body = _text(text, "text", QUESTION_LIMIT)
    if len(body) < 5:
        raise _invalid("text", _("请把问题写得具体一些（至少 5 个字）。"))
    phone = str(phone or "").strip()
    if user is None and not phone:
        raise _invalid("phone", _("未登录提问请留下手机号码，以便通知答复。"), code="interaction_phone_required")
    if phone and not _PHONE.match(phone):
        raise _invalid("phone", _("手机号码格式不正确。"), code="interaction_phone_invalid")
    if channel not in QuestionChannel.values:
        raise _invalid("channel", _("渠道不正确。"))
    item_obj: ServiceItem | None = None
    if item is not None:
        item_obj = ServiceItem.objects.filter(pk=getattr(item, "pk", item)).first()
        if item_obj is None:
            raise _invalid("item", _("找不到该事项。"), code="interaction_item_unknown")
    if user is None:
        limit = int(getattr(settings, "INTERACTION_ASK_LIMIT", 5))
        window = int(getattr(settings, "INTERACTION_ASK_WINDOW", 3600))
        if not throttle_hit(f"interaction:ask:{throttle_key or 'unknown'}", limit=limit, window=window):
            raise RateLimited(_("提问过于频繁，请稍后再试。"), code="interaction_ask_rate_limited")
    now = timezone.now()
    with transaction.atomic():
        question = Question.objects.create(department=dept, item=item_obj, text=body, asker=user, phone=phone,
                                           channel=channel, status=QuestionStatus.SUBMITTED, created_at=now,
                                           due_at=response_due(now))
        _event(question, QuestionAction.SUBMIT, "", by)
        reminder_feed.sync(question)
        audit_record(actor=by, action="interaction.question_submit", target=question,
                     after={"department": dept.code, "item": item_obj.code if item_obj else "",
                            "phone": mask_phone(phone), "channel": channel},
                     role=account_perms.primary_role(user) if user else "")
    return question


def _lock(question: Question | int) -> Question:
    locked = (Question.objects.select_for_update(of=("self",)).select_related("department")
              .filter(pk=getattr(question, "pk", question)).first())
    if locked is None:
        raise NotFound(_("找不到该问题。"), code="interaction_question_not_found")
    return locked


def _guard(question: Question, action: str, by: Actor) -> None:
    if not is_system(by) and not handles_department(by, question.department_id):
        if account_perms.is_staff_member(by):
            raise NotFound(_("找不到该问题。"), code="interaction_question_not_found")
        raise PermissionDenied(_("只有服务中心工作人员可以处理问题。"), code="interaction_forbidden")
    if not workflow.can(action, question.status):
        raise Conflict(_("该问题当前状态为“%(status)s”，不能执行“%(action)s”。")
                       % {"status": QuestionStatus(question.status).label, "action": QuestionAction(action).label},
                       code="interaction_illegal_transition")


def _move(question: Question, action: str, by: Actor, fields: list[str], note: str = "",
          after: dict[str, Any] | None = None) -> Question:
    before = question.status
    question.status = workflow.target(action)
    question.save(update_fields=[*fields, "status", "updated_at"])
    _event(question, action, before, by, note)
    reminder_feed.sync(question)
    user = _user(by)
    audit_record(actor=by, action=f"interaction.question_{action}", target=question,
                 before={"status": before}, after={"status": question.status, **(after or {})},
                 role=account_perms.primary_role(user) if user else "")
    return question


def question_assign(*, by: Actor, question: Question | int, assignee: User | int) -> Question:
    """Assign the question to a staff member of its department (分派)."""
    with transaction.atomic():
        q = _lock(question)
        _guard(q, QuestionAction.ASSIGN, by)
        staff = User.objects.filter(pk=getattr(assignee, "pk", assignee), is_active=True).first()
        scope = staff_department_ids(staff) if staff is not None else set()
        if staff is None or scope is None or q.department_id not in scope:
            raise _invalid("assignee", _("只能分派给本中心的工作人员。"), code="interaction_assignee_invalid")
        q.assignee = staff
        return _move(q, QuestionAction.ASSIGN, by, ["assignee"], after={"assignee": staff.username})


def question_answer(*, by: Actor, question: Question | int, answer: str) -> Question:
    """Answer (答复); an unassigned question becomes the answerer's. An answer may be revised
    until it is published."""
    body = _text(answer, "answer", ANSWER_LIMIT)
    with transaction.atomic():
        q = _lock(question)
        _guard(q, QuestionAction.ANSWER, by)
        user = _user(by)
        if q.assignee_id is None and user is not None:
            q.assignee = user
        q.answer = body
        q.answered_at = timezone.now()
        return _move(q, QuestionAction.ANSWER, by, ["assignee", "answer", "answered_at"],
                     after={"in_time": q.answered_at <= q.due_at})


def question_publish(*, by: Actor, question: Question | int, text: str = "") -> Question:
    """Publish the answered question on the public Q&A list (公开), without the asker. ``text``
    replaces the question's wording for publication (e.g. to remove personal details)."""
    with transaction.atomic():
        q = _lock(question)
        _guard(q, QuestionAction.PUBLISH, by)
        fields = ["published_at"]
        if str(text or "").strip():
            q.text = _text(text, "text", QUESTION_LIMIT)
            fields.append("text")
        q.published_at = timezone.now()
        return _move(q, QuestionAction.PUBLISH, by, fields)


def question_close(*, by: Actor, question: Question | int, reason: str) -> Question:
    """Close without publishing (关闭: a duplicate, not a question, answered elsewhere)."""
    note = _text(reason, "reason", 500)
    with transaction.atomic():
        q = _lock(question)
        _guard(q, QuestionAction.CLOSE, by)
        return _move(q, QuestionAction.CLOSE, by, [], note=note, after={"reason": note})
