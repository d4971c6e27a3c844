"""Shapes of the supervision API: 双告知 tasks, officers and the statistics (no personal data:
entity names and credit codes are public registration data, officers' names and certificate
numbers are published, 执法人员信息公示)."""

from __future__ import annotations

import datetime
from typing import Any

from ninja import Schema
from pydantic import Field

from onewindow.core.normalize import NfkcInt
from onewindow.core.schemas import ErrorOut, PageOut

from .choices import Answer, ChangeKind, Specialty, TaskAction, TaskStatus
from .models import DualNoticeTask, DualNoticeTaskEvent, Officer

__all__ = ["ErrorOut"]


class LicenceOut(Schema):
    name: str
    item_code: str
    guide_url: str
    department_id: int | None
    department: str


class TaskOut(Schema):
    id: int
    notice_id: int
    notice_number: str
    entity_name: str
    credit_code: str
    change_kind: str
    change_kind_label: str
    department_id: int | None
    department: str
    status: str
    status_label: str
    licences: list[str]
    notified_on: datetime.date
    due_date: datetime.date
    overdue: bool
    answer: str
    answer_label: str
    answer_note: str
    answered_late: bool
    received_at: datetime.datetime | None
    answered_at: datetime.datetime | None


class TaskPageOut(PageOut):
    items: list[TaskOut]


class EventOut(Schema):
    action: str
    action_label: str
    from_status: str
    to_status: str
    actor: str
    department: str
    note: str
    at: datetime.datetime


class TaskDetailOut(TaskOut):
    notice_licences: list[LicenceOut]
    events: list[EventOut]
    actions: list[str]


class AnswerIn(Schema):
    answer: str = Field(max_length=20, description="applied / issued / inspected / not_needed / not_found")
    note: str = Field("", max_length=2000, description="反馈说明（不超过 500 字）")


class ClaimIn(Schema):
    department_id: NfkcInt | None = Field(None, ge=1, le=2**63 - 1, description="为哪个部门认领（任职多个部门时必填）")


class OfficerOut(Schema):
    id: int
    name: str
    certificate_number: str
    department_id: int
    department: str
    specialties: list[str]
    areas: list[str]
    active_from: datetime.date
    active_to: datetime.date | None


class OfficerPageOut(PageOut):
    items: list[OfficerOut]


class DepartmentFiguresOut(Schema):
    department_id: int
    department: str
    received: int
    answered: int
    answered_late: int
    open_overdue: int


class StatisticsOut(Schema):
    received: int
    answered: int
    answered_late: int
    open_overdue: int
    pool: int
    departments: list[DepartmentFiguresOut]


def task_out(task: DualNoticeTask, *, today: datetime.date) -> dict[str, Any]:
    notice = task.notice
    return {
        "id": task.pk,
        "notice_id": notice.pk,
        "notice_number": notice.number,
        "entity_name": notice.entity_name,
        "credit_code": notice.credit_code,
        "change_kind": notice.change_kind,
        "change_kind_label": str(ChangeKind(notice.change_kind).label),
        "department_id": task.department_id,
        "department": task.department.name if task.department else "",
        "status": task.status,
        "status_label": str(TaskStatus(task.status).label),
        "licences": list(task.licences),
        "notified_on": task.notified_on,
        "due_date": task.due_date,
        "overdue": task.status != TaskStatus.ANSWERED and task.due_date < today,
        "answer": task.answer,
        "answer_label": str(Answer(task.answer).label) if task.answer else "",
        "answer_note": task.answer_note,
        "answered_late": task.answered_late,
        "received_at": task.received_at,
        "answered_at": task.answered_at,
    }


def event_out(event: DualNoticeTaskEvent) -> dict[str, Any]:
    return {
        "action": event.action,
        "action_label": str(TaskAction(event.action).label),
        "from_status": event.from_status,
        "to_status": event.to_status,
        "actor": event.actor_label,
        "department": event.department.name if event.department else "",
        "note": event.note,
        "at": event.created_at,
    }


def officer_out(officer: Officer) -> dict[str, Any]:
    return {
        "id": officer.pk,
        "name": officer.name,
        "certificate_number": officer.certificate_number,
        "department_id": officer.department_id,
        "department": officer.department.name,
        "specialties": sorted(s.specialty for s in officer.specialties.all()),
        "areas": sorted(r.code for r in officer.areas.all()),
        "active_from": officer.active_from,
        "active_to": officer.active_to,
    }


SPECIALTIES = Specialty.values
