"""The cases app's answer to accounts' unmask scope (accounts.scope, docs/decisions/0007).

A person is in a viewer's scope through a case when they are its applicant, its agent, or the
login that submitted or owns it, the case is received or handled by one of the viewer's
departments, it is not an online draft (the applicant's own until submitted), and it is open or
was closed (办结/不予受理/撤回/送达) within the scope period. One query: the person's cases through
the applicant / agent indexes, newest first.
"""

from __future__ import annotations

from django.db.models import Q

from onewindow.accounts.choices import PurposeKind
from onewindow.accounts.models import Person, User
from onewindow.accounts.scope import Purpose, Viewer

from .choices import FINAL
from .models import Case
from .permissions import PRIVATE_DRAFT


def case_party_scope(viewer: Viewer, person: Person) -> Purpose | None:
    """The newest case in the viewer's departments that ``person`` is a party to, as a purpose."""
    departments = viewer.department_ids
    logins = User.objects.filter(person_id=person.pk).values("pk")
    row = (Case.objects
           .filter(Q(applicant_person_id=person.pk) | Q(agent_id=person.pk) | Q(submitter_id__in=logins)
                   | Q(owner_id__in=logins))
           .filter(Q(receiving_department_id__in=departments) | Q(handling_department_id__in=departments))
           .filter(~Q(status__in=FINAL) | Q(closed_at__gte=viewer.since))
           .exclude(PRIVATE_DRAFT)
           .order_by("-id")
           .values_list("pk", "number", "receiving_department_id", "handling_department_id")
           .first())
    if row is None:
        return None
    pk, number, receiving, handling = row
    ids = departments if isinstance(departments, set) else None
    department = handling if ids is None or handling in ids else receiving
    return Purpose(PurposeKind.CASE, number or "", department, pk)
