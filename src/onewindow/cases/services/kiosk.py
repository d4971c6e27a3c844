"""自助填单: a case started at a service center's self-service kiosk (issue #3 part 4; decision 0008).

Actor: the kiosk device bound to the hall browser, acting through its center's terminal account
(``operator``: a staff account that never logs in, whose role lets ``case_create`` take a draft
*for* another person on the kiosk channel and ``person_register`` register a walk-in, unverified).
The window clerk verifies the original document when continuing the case from the receipt's QR
code (行政许可法 art. 31: the applicant answers for the truth of the materials; the window checks).

No identity oracle (issue #9): an unknown ID number and a registered one typed with another name
both go on as a draft "to be verified at the window" — the same receipt, the same status; the
inputs are validated the same way before the registry is looked at. Identity checks are throttled
per device (CASES_KIOSK_CHECKS, default 30 in 10 minutes; 429 kiosk_rate_limited), so a kiosk
cannot be used to walk the registry.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from onewindow.accounts import services as account_services
from onewindow.core.actors import Actor
from onewindow.core.errors import DomainError, NotFound, RateLimited
from onewindow.core.identifiers import validate_mobile
from onewindow.core.models import Department
from onewindow.core.throttle import throttle_hit

from ..choices import CaseChannel
from ..models import Case
from .apply import case_apply

#: (count, seconds) of identity checks per kiosk device, unless CASES_KIOSK_CHECKS says otherwise.
KIOSK_CHECKS_DEFAULT = (30, 600)


def _throttle(device: Any) -> None:
    count, window = getattr(settings, "CASES_KIOSK_CHECKS", None) or KIOSK_CHECKS_DEFAULT
    if not throttle_hit(f"cases:kiosk-check:{device.pk}", limit=int(count), window=int(window)):
        raise RateLimited(_("本机操作过于频繁，请稍后再试或到人工窗口办理。"), code="kiosk_rate_limited")


def case_kiosk_start(*, by: Actor, device: Any, item_code: str, name: str, id_type: str, id_number: str, phone: str,
                     form_data: dict[str, Any], department: Department, key: str) -> Case:
    """自助填单: a kiosk draft for the person of the typed document, created at the center
    (``department``: the receiving body of the kiosk's center), by the kiosk's terminal account
    ``by``; a window clerk verifies the document and continues it. One transaction; replayed for
    the same idempotency ``key``.

    Counted against the device's identity-check budget first (429 kiosk_rate_limited). The name
    and phone are validated before the registry is read, so every refusal is the same whether or
    not the document is registered (422 name_required, the mobile's code). An unregistered document
    is registered unverified; a registered one goes on whether or not the typed name matches (no
    oracle) — a draft whose name does not match is kept out of the registered person's own account
    (no owner) until the window has seen the document. Refusals of ``case_apply`` as there.
    """
    _throttle(device)
    clean_name = " ".join(name.split())
    if not clean_name:
        raise DomainError(_("请填写姓名"), code="name_required", status=422, fields={"name": [_("请填写姓名")]})
    mobile = validate_mobile(phone, field="phone")
    with transaction.atomic():
        try:
            person = account_services.person_by_document(id_type, id_number)
        except NotFound:
            person = account_services.person_register(by=by, name=clean_name, id_type=id_type,
                                                      id_number=id_number, phone=mobile, link_to_self=False,
                                                      documents_seen=False)
        case, replayed = case_apply(
            by=by, item_code=item_code, channel=CaseChannel.KIOSK, submit=False, idempotency_key=key,
            form_data=form_data, applicant_person=person, receiving_department=department, contact_phone=mobile)
        if not replayed and clean_name != person.name and case.owner_id is not None:
            Case.objects.filter(pk=case.pk).update(owner=None)
    return case
