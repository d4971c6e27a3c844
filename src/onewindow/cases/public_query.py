"""一码查询's read (issue #17): the query code and the phone's last four digits give the public
progress of a case in two statements — the case's columns with its departments' names and its
told due date (one SELECT, ``values()``), then its public steps — instead of the case with its
departments as model instances, the steps, and the due date in a third statement.

Same rule as ``selectors.case_by_query_code`` (a wrong code or tail both answer 404 alike, the
tail compared in constant time; no personal data); the throttle stays the caller's, counted
before the lookup. Nothing is cached: every query is read anew, whatever code it names.
"""

from __future__ import annotations

import hmac

from django.db.models import F, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from onewindow.core.errors import NotFound

from .choices import FINAL, CaseStatus
from .models import Case, CaseClock, CaseEvent
from .selectors import PublicStatus


def public_status(code: str, phone_tail: str) -> PublicStatus:
    """一码查询: the public progress of the case with this query code, if the phone tail is its own."""
    code = "".join(ch for ch in (code or "").upper() if ch.isalnum())[:16]
    # The told due date of the most urgent running clock (selectors.promised_due_date).
    due = (CaseClock.objects.filter(case_id=OuterRef("pk"), stopped_on__isnull=True).order_by("due_date", "id")
           .annotate(told=Coalesce(F("promised_due_date"), F("due_date"))).values("told")[:1])
    row = (Case.objects.filter(query_code=code).exclude(status=CaseStatus.DRAFT)
           .annotate(told_due=Subquery(due))
           .values("pk", "number", "title", "status", "phone_tail", "submitted_at", "told_due",
                   "receiving_department__name", "handling_department__name").first())
    tail = (phone_tail or "").strip()
    if row is None or not row["phone_tail"] or not hmac.compare_digest(str(row["phone_tail"]), tail):
        raise NotFound(_("查询码或手机尾号不正确。"), code="query_not_found")
    steps = list(CaseEvent.objects.filter(case_id=row["pk"], public=True).select_related("department")
                 .only("action", "to_status", "created_at", "department", "department__name").order_by("id"))
    return PublicStatus(number=row["number"] or "", title=row["title"], status=row["status"],
                        status_label=str(CaseStatus(row["status"]).label),
                        receiving_department=row["receiving_department__name"],
                        handling_department=row["handling_department__name"], submitted_at=row["submitted_at"],
                        due_date=row["told_due"], steps=steps, is_final=row["status"] in FINAL)
