"""Services of the FAQ (常见问题): entries written by staff, or made from a cluster of similar
questions (frequent questions mined from the Q&A, clustering.py).

An entry belongs to a department that takes questions and is edited by that department's staff;
its question is indexed in pinyin and pinyin initials like catalog item names (search_keys), so
``jzz`` and ``juzhuzheng`` find 居住证. Every write is audited.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from onewindow.accounts import permissions as account_perms
from onewindow.catalog.models import ServiceItem
from onewindow.catalog.search_keys import name_search_keys
from onewindow.core.actors import Actor, is_system
from onewindow.core.audit import audit_record
from onewindow.core.errors import DomainError, NotFound, PermissionDenied
from onewindow.core.models import Department

from ..models import FaqEntry
from ..permissions import handles_department, question_queryset_for

QUESTION_LIMIT = 300
ANSWER_LIMIT = 4000
MAX_ITEMS = 20


def _invalid(field: str, message: Any) -> DomainError:
    return DomainError(_("常见问题信息不正确。"), code="interaction_faq_invalid", status=422,
                       fields={field: [message]})


def _text(value: Any, field: str, limit: int) -> str:
    text = str(value or "").strip()
    if not text:
        raise _invalid(field, _("此项必填。"))
    if len(text) > limit:
        raise _invalid(field, _("内容过长（最多 %(n)d 字）。") % {"n": limit})
    return text


def _items(item_ids: Iterable[int | str]) -> list[ServiceItem]:
    ids: list[int] = []
    for raw in item_ids:
        try:
            ids.append(int(raw))
        except (TypeError, ValueError):
            raise _invalid("items", _("事项编号不正确。")) from None
    ids = list(dict.fromkeys(ids))
    if len(ids) > MAX_ITEMS:
        raise _invalid("items", _("最多关联 %(n)d 个事项。") % {"n": MAX_ITEMS})
    items = list(ServiceItem.objects.filter(pk__in=ids))
    if len(items) != len(ids):
        raise _invalid("items", _("找不到所选事项。"))
    return items


def _check_staff(by: Actor, department_id: int) -> None:
    if is_system(by) or handles_department(by, department_id):
        return
    raise PermissionDenied(_("只有服务中心工作人员可以编辑常见问题。"), code="interaction_forbidden")


def _snapshot(entry: FaqEntry) -> dict[str, Any]:
    return {"question": entry.question, "published": entry.is_published,
            "items": sorted(entry.items.values_list("code", flat=True))}


def faq_create(*, by: Actor, department: Department | int, question: str, answer: str,
               item_ids: Iterable[int | str] = (), source_ids: Iterable[int] = (),
               is_published: bool = True) -> FaqEntry:
    """Write an FAQ entry (optionally from source questions the author handles)."""
    dept_id = department.pk if isinstance(department, Department) else int(department)
    _check_staff(by, dept_id)
    text = _text(question, "question", QUESTION_LIMIT)
    body = _text(answer, "answer", ANSWER_LIMIT)
    items = _items(item_ids)
    wanted = list(dict.fromkeys(int(s) for s in source_ids))
    sources = list(question_queryset_for(by).filter(pk__in=wanted, department_id=dept_id)) if wanted else []
    if len(sources) != len(wanted):
        raise _invalid("sources", _("找不到所选问题。"))
    pinyin, initials = name_search_keys(text)
    with transaction.atomic():
        entry = FaqEntry.objects.create(department_id=dept_id, question=text, answer=body,
                                        question_pinyin=pinyin[:1500], question_initials=initials[:300],
                                        is_published=bool(is_published),
                                        created_by=None if is_system(by) else account_perms.as_user(by))
        entry.items.set(items)
        entry.sources.set(sources)
        audit_record(actor=by, action="interaction.faq_create", target=entry,
                     after={**_snapshot(entry), "sources": [q.pk for q in sources]},
                     role=account_perms.primary_role(by) if not is_system(by) else "")
    return entry


def faq_from_questions(*, by: Actor, question_ids: Iterable[int], question: str = "", answer: str = "",
                       item_ids: Iterable[int | str] | None = None) -> FaqEntry:
    """Turn a cluster of similar questions into an FAQ entry. The cluster's wording, answer and
    items prefill what the author leaves empty: the first question's text, the latest published
    or answered answer among them, and the items they were asked about."""
    ids = list(dict.fromkeys(int(q) for q in question_ids))
    if not ids:
        raise _invalid("sources", _("请选择问题。"))
    sources = list(question_queryset_for(by).filter(pk__in=ids).order_by("created_at", "pk"))
    if len(sources) != len(ids):
        raise NotFound(_("找不到该问题。"), code="interaction_question_not_found")
    departments = {q.department_id for q in sources}
    if len(departments) != 1:
        raise _invalid("sources", _("所选问题须属于同一服务中心。"))
    answered = sorted((q for q in sources if q.answer), key=lambda q: (q.answered_at is not None, q.answered_at))
    return faq_create(by=by, department=departments.pop(),
                      question=question or sources[0].text[:QUESTION_LIMIT],
                      answer=answer or (answered[-1].answer if answered else ""),
                      item_ids=item_ids if item_ids is not None else [q.item_id for q in sources if q.item_id],
                      source_ids=ids)


def faq_update(*, by: Actor, entry: FaqEntry | int, question: str, answer: str,
               item_ids: Iterable[int | str] = (), is_published: bool = True) -> FaqEntry:
    """Edit an FAQ entry (wording, answer, items, published or withdrawn)."""
    text = _text(question, "question", QUESTION_LIMIT)
    body = _text(answer, "answer", ANSWER_LIMIT)
    items = _items(item_ids)
    with transaction.atomic():
        locked = FaqEntry.objects.select_for_update().filter(pk=getattr(entry, "pk", entry)).first()
        if locked is None or not (is_system(by) or handles_department(by, locked.department_id)):
            if locked is not None and not account_perms.is_staff_member(by):
                raise PermissionDenied(_("只有服务中心工作人员可以编辑常见问题。"), code="interaction_forbidden")
            raise NotFound(_("找不到该常见问题。"), code="interaction_faq_not_found")
        before = _snapshot(locked)
        locked.question, locked.answer, locked.is_published = text, body, bool(is_published)
        locked.question_pinyin, locked.question_initials = (k[:n] for k, n in zip(name_search_keys(text),
                                                                                  (1500, 300), strict=True))
        locked.save()
        locked.items.set(items)
        audit_record(actor=by, action="interaction.faq_update", target=locked, before=before,
                     after=_snapshot(locked), role=account_perms.primary_role(by) if not is_system(by) else "")
    return locked
