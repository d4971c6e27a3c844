"""The demo citizen's fully-online item, made to fill itself from the shared registers (减材料).

The item is a personal, fully-online service item of a 静安区 department (人社局's first, else
民政局's, …) with an online form. A new version of it (``catalog.item_revise``: versions are
immutable) states that two materials are proven by sharing — 户口簿 by 户籍人口登记信息 and 本人社会保险
缴费证明 by 社会保险参保信息 (可免交（已共享）) — and maps three form fields to the registers: the
applicant's name and street from person registration, the months of contributions from social
insurance. The application itself is made in cases by ``onewindow.demo.management.prefill_story``
(cases sits above sharing).
"""

from __future__ import annotations

from typing import Any

from onewindow.catalog.models import ServiceItem
from onewindow.catalog.services import PREFILL_KEYWORD, item_revise
from onewindow.core.actors import Actor

from ..models import DataResource

STORY_KINDS = ("RS", "MZ", "GAFJ", "YB", "JYJ", "FGJ")
HOUSEHOLD = "户口簿"
INSURANCE = "本人社会保险缴费证明"
CHANGE_NOTE = "户口簿、社会保险缴费证明可通过政务数据共享核验，网上申请可免交（减材料）"


def story_item() -> ServiceItem | None:
    """The demo's fully-online personal item (see the module docstring), or None."""
    codes = [f"310106-{k}" for k in STORY_KINDS]
    items = (ServiceItem.objects.filter(department__code__in=codes, fully_online=True, status="active",
                                        current_version__isnull=False)
             .select_related("current_version", "department").order_by("code"))
    candidates = [i for i in items if i.current_version is not None
                  and "id_number" in (i.current_version.form_schema or {}).get("properties", {})]
    rank = {code: n for n, code in enumerate(codes)}
    candidates.sort(key=lambda i: (rank.get(i.department.code, 99), i.code))
    return candidates[0] if candidates else None


def _prefill(resource: DataResource, field: str) -> dict[str, str]:
    return {"resource": resource.code, "field": field}


def story_item_prepare(by: Actor, item: ServiceItem, persons: DataResource, social: DataResource) -> None:
    """Give ``item`` the version with the shared materials and the pre-filled fields (once)."""
    version = item.current_version
    assert version is not None
    materials = list(version.materials.order_by("sort", "pk"))
    if any(m.shared_resource == persons.code for m in materials):
        return
    rows: list[dict[str, Any]] = [
        {"name": m.name, "form": m.form, "copies": m.copies, "required": m.required, "note": m.note}
        for m in materials if "户口簿" not in m.name
    ]
    copy_form = next((m.form for m in materials if "户口簿" in m.name), materials[-1].form if materials else "copy")
    rows += [
        {"name": HOUSEHOLD, "form": copy_form, "copies": 1, "required": True, "note": "本人户籍信息可共享核验",
         "shared_resource": persons.code},
        {"name": INSURANCE, "form": copy_form, "copies": 1, "required": True, "note": "近六个月缴费记录可共享核验",
         "shared_resource": social.code},
    ]
    schema = dict(version.form_schema or {})
    props = {name: dict(spec) for name, spec in schema.get("properties", {}).items()}
    if "applicant_name" in props:
        props["applicant_name"][PREFILL_KEYWORD] = _prefill(persons, "name")
    props["household_street"] = {"type": "string", "title": "户籍所在街道（镇）",
                                 PREFILL_KEYWORD: _prefill(persons, "street")}
    props["months_paid"] = {"type": "integer", "title": "社会保险累计缴费月数", "minimum": 0,
                            PREFILL_KEYWORD: _prefill(social, "months_paid")}
    schema["properties"] = props
    # The catalog demo stores a fully-online item's channels with "online" twice, which a revision
    # refuses ("选项不能重复"): the new version states each channel once.
    channels = list(dict.fromkeys(c for c in (version.channels or "").split("^") if c))
    item_revise(by=by, item=item, materials=rows, form_schema=schema, change_note=CHANGE_NOTE, channels=channels)
