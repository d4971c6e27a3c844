"""Demo step after the sharing demo: the demo citizen's application that fills itself (减材料,
issue #13 part 5). It lives with the demo command because it joins two apps: cases sits above
sharing, so ``onewindow.sharing.demo`` (which prepares the item, the registers and the grants)
cannot make a case.

The citizen (``accounts.demo``: 张伟) starts an online application to the fully-online item that
``sharing.demo.story`` prepared, asks for pre-fill (``cases.services.prefill.prefill_run``: one
exchange per register under the item department's ``prefill`` grants, both sides logged and
signed): the name, street and months of contributions are filled with their source and as-of
date, and 户口簿 and 本人社会保险缴费证明 are marked 无需上传（已共享）. The citizen uploads only the
materials no register proves and submits; the log, with the two pre-fill exchanges, is sealed
and verified. Idempotent: a citizen's case of that item with a
pre-fill is left as it is.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction

from onewindow.accounts.models import User
from onewindow.cases.demo.year import PDF
from onewindow.cases.models import Case
from onewindow.cases.services import case_attach, case_create, case_submit
from onewindow.cases.services.prefill import prefill_run
from onewindow.sharing.demo.story import story_item
from onewindow.sharing.services.log import log_seal_pending, log_verify


def load(progress: Callable[[int], object], seed: int) -> None:
    """Make the pre-filled application once (module docstring)."""
    citizen = User.objects.filter(username="citizen").select_related("person").first()
    item = story_item()
    if citizen is None or citizen.person is None or item is None or item.current_version is None:
        return
    if not item.current_version.materials.exclude(shared_resource="").exists():
        return  # the sharing demo did not prepare the item (no registers to take from)
    if Case.objects.filter(item=item, applicant_person=citizen.person, prefill__isnull=False).exists():
        progress(1)
        return
    person = citizen.person
    props = (item.current_version.form_schema or {}).get("properties", {})
    form = {k: v for k, v in {"id_number": person.id_number, "contact_phone": person.phone,
                              "description": "网上申请，户籍和参保信息由共享数据预填"}.items() if k in props}
    with transaction.atomic():
        case = case_create(by=citizen, item_code=item.code, channel="online", form_data=form,
                           contact_phone=person.phone or "", delivery_method="electronic")
    prefill_run(by=citizen, case_id=case.pk, consent=True)
    for material in case.item_version.materials.filter(required=True, shared_resource="").order_by("sort", "pk"):
        case_attach(by=citizen, case_id=case.pk, name=f"{material.name}.pdf", content=PDF, material_id=material.pk)
    case_submit(by=citizen, case_id=case.pk)
    # The two pre-fill exchanges are in the log now: seal them (the sharing.log_seal task would,
    # within a minute) and check that the whole log still verifies.
    log_seal_pending()
    report = log_verify()
    if not report.ok:
        raise RuntimeError(f"the exchange log does not verify after the pre-fill: {report.problems[:3]}")
    progress(1)
