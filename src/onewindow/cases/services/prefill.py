"""Once-only (减材料): an online application fills itself from shared registers (issue #13 part 5).

Rule (《上海市政务数据资源共享管理办法》: what a department can obtain by sharing it does not ask the
applicant for again; 个人信息保护法 art. 6 minimum necessity, art. 44–46 the right to decline and
to have what was fetched cleared): when a citizen or an enterprise starts, or opens the draft of,
an online application (channel online or WeChat), the implementing department (the item's
department, the case's handling department) asks the shared registers the item version names,
under its own grants with purpose ``prefill``, and the form fills itself.

**What the item version names** (the catalog stores resource codes only, it sits below sharing):

- a form property of ``form_schema`` may carry ``"x-prefill": {"resource": "<resource code>",
  "field": "<field of the resource>"}`` — the property is filled with that field of the first row
  the resource answers (a licence resource answers one row per licence: the first one counts);
- a material (``catalog.Material.shared_resource``) names the resource whose answer proves it:
  when that resource answers at least one row, a :class:`CaseMaterial` without a file is added,
  marked shared (无需上传（已共享）) with the exchange id, and submission counts it as provided.

**The exchange**, one per resource: ``sharing.selectors.access.grant_for(consumer_department=the
handling department, resource_code, purpose="prefill")`` → ``sharing.services.exchange.
exchange_query`` asking only the granted fields the form needs (a material alone asks for the
key field), with the applicant's key — the organization's credit code for an enterprise applicant,
the person's ID number for a citizen, chosen by the type of the resource's key field
(``credit_code`` / ``id_number``) — under the provider's single parameter (``credit_code`` for
the market registers, ``key`` for datasets). The log's ``case_number`` is the case's number, or
``DRAFT-<case id>`` for a draft (drafts are numbered only at submission). Every exchange is thus
logged on both sides, signed (sharing). A missing or revoked grant, an applicant without the key,
no record, a refused or failed exchange never block applying: the field is not filled, the
material must be uploaded, and :class:`PrefillSource` says why (shown on the page).

**The applicant's hand**: a value the applicant typed is never overwritten (it is recorded as a
correction beside the source); a later edit of a pre-filled field is recorded the same way
(:func:`prefill_track_corrections`, called by ``case_update``). :func:`prefill_decline` clears
the fetched values and the shared materials and fetches nothing more; :func:`prefill_run` with
``consent`` asks again.

Exchanges run outside the case's transaction (the exchange logs its own refusals, which a
rollback would take with it); the results are then written under the case's row lock, and
discarded if the applicant declined, or another request filled the case, in the meantime.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onewindow.accounts import permissions as account_perms
from onewindow.catalog.models import ItemVersion, Material
from onewindow.catalog.personal_fields import mask_value, personal_fields
from onewindow.catalog.services import PREFILL_KEYWORD
from onewindow.core.actors import Actor
from onewindow.core.audit import audit_record
from onewindow.core.errors import Conflict, DomainError, PermissionDenied
from onewindow.sharing.choices import FieldType, Purpose
from onewindow.sharing.models import DataResource, Grant
from onewindow.sharing.providers import provider_for
from onewindow.sharing.selectors.access import grant_for
from onewindow.sharing.services.exchange import ExchangeResult, exchange_query

from .. import selectors
from ..application_form import check_form
from ..choices import CaseChannel, CaseStatus, PrefillOutcome
from ..models import Case, CaseMaterial, CasePrefill, PrefilledField, PrefillSource
from . import common

ONLINE = frozenset({CaseChannel.ONLINE, CaseChannel.WECHAT})


# ---- what an item version can take from sharing ------------------------------------------------

@dataclass
class ResourcePlan:
    """What one resource gives a version: form field -> resource field, and the materials it proves."""

    code: str
    fields: dict[str, str] = field(default_factory=dict)
    materials: list[Material] = field(default_factory=list)


def prefill_plan(version: ItemVersion) -> dict[str, ResourcePlan]:
    """Resource code -> :class:`ResourcePlan` of the version (``x-prefill`` mappings of its form,
    ``shared_resource`` of its materials), in the order they first appear; empty when none."""
    plans: dict[str, ResourcePlan] = {}
    props = (version.form_schema or {}).get("properties") or {}
    for name, spec in props.items():
        mapping = spec.get(PREFILL_KEYWORD) if isinstance(spec, dict) else None
        if isinstance(mapping, dict) and mapping.get("resource") and mapping.get("field"):
            plans.setdefault(str(mapping["resource"]), ResourcePlan(str(mapping["resource"]))).fields[str(name)] = (
                str(mapping["field"]))
    for material in version.materials.all():
        if material.shared_resource:
            code = material.shared_resource
            plans.setdefault(code, ResourcePlan(code)).materials.append(material)
    return plans


def resource_names(codes: list[str]) -> dict[str, str]:
    """Resource code -> the name of its version in force (the code itself when unknown)."""
    found = {r.code: (r.current.name if r.current is not None else r.code)
             for r in DataResource.objects.filter(code__in=codes).select_related("current")}
    return {code: found.get(code, code) for code in codes}


# ---- why a source filled nothing ---------------------------------------------------------------

_REASONS: dict[str, Any] = {
    PrefillOutcome.NO_GRANT: _("承办部门尚未获得该数据的共享授权"),
    PrefillOutcome.NOT_FOUND: _("共享数据中没有申请人的记录"),
    "no_key:credit_code": _("该数据按统一社会信用代码查询，仅适用于以单位名义申请"),
    "no_key:id_number": _("该数据按居民身份证号码查询，仅适用于个人申请"),
    "sharing_grant_revoked": _("共享授权已撤销"),
    "sharing_grant_expired": _("共享授权已过期"),
    "sharing_grant_not_yet_valid": _("共享授权尚未生效"),
    "sharing_resource_withdrawn": _("该数据资源已撤销"),
    "sharing_rate_limited": _("查询过于频繁，请稍后再试"),
    "sharing_provider_timeout": _("提供部门响应超时"),
    "sharing_provider_unavailable": _("提供部门暂时无法访问"),
    PrefillOutcome.REFUSED: _("共享交换被拒绝"),
    PrefillOutcome.FAILED: _("共享数据暂不可用"),
}


def reason_of(source: PrefillSource) -> Any:
    """Why ``source`` filled nothing, for the applicant ('' when it filled)."""
    if source.outcome == PrefillOutcome.FILLED:
        return ""
    if source.outcome == PrefillOutcome.NO_KEY:
        return _REASONS.get(f"no_key:{source.error_code}", source.get_outcome_display())
    return _REASONS.get(source.error_code) or _REASONS.get(source.outcome) or source.get_outcome_display()


# ---- asking the registers ------------------------------------------------------------------------

@dataclass
class _Answer:
    plan: ResourcePlan
    name: str
    outcome: str
    error_code: str = ""
    result: ExchangeResult | None = None
    skipped: list[str] = field(default_factory=list)


def draft_reference(case: Case) -> str:
    """The case reference in the exchange log: the number, or ``DRAFT-<id>`` before submission."""
    return case.number or f"DRAFT-{case.pk}"


def _key_for(case: Case, resource: DataResource) -> tuple[str, str, str]:
    """(parameter name, the applicant's key value, key type) for a query of ``resource``; the
    value is '' when the applicant has no key of that type (a citizen for a credit-code register)."""
    version = resource.current
    key_field = next((f for f in (version.fields if version is not None else []) if f.get("key")), None)
    provider = provider_for(resource.provider) if resource.provider else None
    param = provider.params[0] if provider is not None and len(provider.params) == 1 else "key"
    kind = str((key_field or {}).get("type") or "")
    if kind not in (FieldType.CREDIT_CODE, FieldType.ID_NUMBER):
        by_code = param == "credit_code" or case.applicant_organization_id is not None
        kind = FieldType.CREDIT_CODE if by_code else FieldType.ID_NUMBER
    if kind == FieldType.CREDIT_CODE:
        org = case.applicant_organization
        return param, (org.credit_code if org is not None else ""), kind
    person = case.applicant_person
    return param, (person.id_number if person is not None else ""), kind


def _asked_fields(plan: ResourcePlan, grant: Grant, resource: DataResource) -> tuple[list[str], list[str]]:
    """(granted fields to ask for, form fields whose resource field is not granted)."""
    granted = set(grant.fields)
    asked = list(dict.fromkeys(f for f in plan.fields.values() if f in granted))
    not_granted = [name for name, f in plan.fields.items() if f not in granted]
    if not asked and plan.materials:  # a material alone: the least field that shows a record exists
        version = resource.current
        key = next((f["name"] for f in (version.fields if version is not None else []) if f.get("key")), None)
        names = version.field_names if version is not None else []
        asked = [key] if key is not None and key in granted else [f for f in names if f in granted][:1]
    return asked, not_granted


def _ask(case: Case, plan: ResourcePlan, name: str, by: Actor) -> _Answer:
    """One resource's exchange for the case; never raises for a refusal (it is the outcome)."""
    grant = grant_for(consumer_department=case.handling_department, resource_code=plan.code,
                      purpose=Purpose.PREFILL)
    if grant is None:
        return _Answer(plan, name, PrefillOutcome.NO_GRANT, skipped=list(plan.fields))
    resource = grant.resource
    param, key, kind = _key_for(case, resource)
    if not key:
        return _Answer(plan, name, PrefillOutcome.NO_KEY, error_code=kind, skipped=list(plan.fields))
    asked, not_granted = _asked_fields(plan, grant, resource)
    if not asked:
        return _Answer(plan, name, PrefillOutcome.NO_GRANT, skipped=list(plan.fields))
    try:
        result = exchange_query(grant=grant, purpose=Purpose.PREFILL, params={param: key}, fields=asked,
                                case_number=draft_reference(case), by=by)
    except DomainError as exc:
        outcome = PrefillOutcome.REFUSED if exc.status in (403, 422, 429) else PrefillOutcome.FAILED
        return _Answer(plan, name, outcome, error_code=exc.code[:60], skipped=list(plan.fields))
    if not result.rows:
        return _Answer(plan, name, PrefillOutcome.NOT_FOUND, result=result, skipped=list(plan.fields))
    return _Answer(plan, name, PrefillOutcome.FILLED, result=result, skipped=not_granted)


def _coerced(spec: Mapping[str, Any], value: Any) -> Any:
    """A register value in the type of the form property (None when it does not fit)."""
    if value is None or value == "":
        return None
    kind = spec.get("type")
    if kind == "boolean":
        return value if isinstance(value, bool) else None
    if kind in ("integer", "number"):
        if isinstance(value, bool):
            return None
        try:
            number = float(value)
        except (TypeError, ValueError):
            return None
        return int(number) if kind == "integer" and number.is_integer() else (number if kind == "number" else None)
    if isinstance(value, bool):
        return None
    return str(value) if isinstance(value, (str, int, float)) else None


def _stored(personal: bool, kind: str, value: Any) -> tuple[Any, str]:
    """(the shown JSON value, the encrypted JSON text) of a value: masked + encrypted when personal."""
    if value is None:
        return None, ""
    if personal:
        return mask_value(kind, str(value)), json.dumps(value, ensure_ascii=False)
    return value, ""


# ---- writes --------------------------------------------------------------------------------------

def _readable(by: Actor, case_id: Any) -> Case:
    """The case for the applicant side (404 for anyone who may not see it, 403 for staff)."""
    case = selectors.case_get_for(by, case_id)
    if "applicant" not in common.kinds_for(by, case):
        raise PermissionDenied(_("只有申请人可以使用或拒绝申请表预填。"), code="case_action_forbidden")
    return case


def _check_open(case: Case, *, run: bool) -> None:
    if case.channel not in ONLINE:
        raise Conflict(_("只有网上申请可以从共享数据预填。"), code="prefill_not_online")
    editable = (CaseStatus.DRAFT,) if run else (CaseStatus.DRAFT, CaseStatus.CORRECTION)
    if case.status not in editable:
        raise Conflict(_("办件已提交，不能再预填或拒绝预填。"), code="case_not_editable")


def prefill_run(*, by: Actor, case_id: Any, consent: bool = False) -> CasePrefill | None:
    """Fill the draft of an online application from the shared registers its item version names
    (module docstring). Actor: the applicant side (the applicant or their agent).

    Runs once per draft: a draft already filled, or declined, is returned as it is — unless
    ``consent`` (the applicant asks for pre-fill again, lifting a decline). Returns None when the
    version names no register. Refused: a case the actor may not see (404), staff (403), a case
    not online (409 ``prefill_not_online``), one already submitted (409 ``case_not_editable``).
    Exchanges that fail only leave fields unfilled. Audited ``cases.prefill``.
    """
    case = _readable(by, case_id)
    _check_open(case, run=True)
    plans = prefill_plan(case.item_version)
    if not plans:
        return None
    state = CasePrefill.objects.filter(case=case).first()
    if state is not None and not consent and (state.declined or state.fetched_at is not None):
        return state
    names = resource_names(list(plans))
    answers = [_ask(case, plan, names[code], by) for code, plan in plans.items()]
    with transaction.atomic():
        case = common.lock_case(case.pk)
        _check_open(case, run=True)
        state, _created = CasePrefill.objects.select_for_update().get_or_create(case=case)
        if not consent and (state.declined or state.fetched_at is not None):
            return state  # declined, or filled by another request, while the registers were asked
        filled, materials = _write(case, answers, by)
        state.declined, state.declined_at, state.fetched_at = False, None, timezone.now()
        state.save()
        audit_record(actor=by, action="cases.prefill", target=case,
                     after={"sources": {a.plan.code: a.outcome for a in answers}, "fields": filled,
                            "materials": materials})
    return state


def _write(case: Case, answers: list[_Answer], by: Actor) -> tuple[list[str], list[str]]:
    """Store the answers on the locked case: sources, pre-filled fields, shared materials.
    Returns (form fields filled, materials marked shared)."""
    schema = case.item_version.form_schema or {}
    props = schema.get("properties") or {}
    kinds = personal_fields(schema)
    values = case.form_values()
    filled: list[str] = []
    materials: list[str] = []
    user = account_perms.as_user(by)
    for answer in answers:
        result = answer.result
        row = result.rows[0] if result is not None and result.rows else {}
        exchange_id = result.exchange_id if result is not None else None
        as_of = result.as_of if result is not None else None
        if answer.outcome == PrefillOutcome.FILLED:
            resource = DataResource.objects.select_related("current").filter(code=answer.plan.code).first()
            version = resource.current if resource is not None else None
            personal_in_source = set(version.personal_field_names) if version is not None else set()
            for name, source_field in answer.plan.fields.items():
                if name in answer.skipped:
                    continue
                value = _fitting(schema, name, _coerced(props.get(name) or {}, row.get(source_field)))
                if value is None:
                    answer.skipped.append(name)
                    continue
                personal = name in kinds or source_field in personal_in_source
                kind = kinds.get(name, "other")
                _record_field(case, name, answer, source_field, value, personal, kind, as_of, values)
                filled.append(name)
            for material in answer.plan.materials:
                if not case.materials.filter(material=material, removed_at__isnull=True).exclude(
                        shared_resource="").exists():
                    CaseMaterial.objects.create(case=case, material=material, shared_resource=answer.plan.code,
                                                exchange_id=exchange_id, original_name=material.name[:200],
                                                content_type="", size=0, sha256="", uploaded_by=user)
                    materials.append(material.name)
        PrefillSource.objects.update_or_create(
            case=case, resource_code=answer.plan.code,
            defaults={"resource_name": answer.name[:200], "outcome": answer.outcome, "error_code": answer.error_code,
                      "exchange_id": exchange_id, "as_of": as_of, "skipped": answer.skipped,
                      "fetched_at": timezone.now()})
    case.form_set(schema, check_form(schema, values, partial=True))
    case.save(update_fields=["form_data", "form_personal", "updated_at"])
    return filled, materials


def _fitting(schema: dict[str, Any], name: str, value: Any) -> Any:
    """``value`` as the form stores it (ID numbers and mobiles normalised), or None when the form
    would refuse it (too long, not one of its options, not a valid identifier)."""
    if value is None:
        return None
    try:
        return check_form(schema, {name: value}, partial=True)[name]
    except DomainError:
        return None


def _record_field(case: Case, name: str, answer: _Answer, source_field: str, value: Any, personal: bool,
                  kind: str, as_of: datetime.datetime | None, values: dict[str, Any]) -> None:
    """One pre-filled field: the form takes the value unless the applicant typed another one,
    which is then kept as the correction beside it."""
    current = values.get(name)
    corrected = current not in (None, "") and current != value
    if not corrected:
        values[name] = value
    shown, secret = _stored(personal, kind, value)
    fix_shown, fix_secret = _stored(personal, kind, current if corrected else None)
    assert answer.result is not None
    PrefilledField.objects.update_or_create(
        case=case, field_name=name,
        defaults={"resource_code": answer.plan.code, "resource_name": answer.name[:200],
                  "source_field": source_field[:100], "personal": personal, "personal_kind": kind if personal else "",
                  "source_value": shown, "source_personal": secret, "as_of": as_of,
                  "exchange_id": answer.result.exchange_id, "corrected": corrected, "correction_value": fix_shown,
                  "correction_personal": fix_secret, "declined": False})


def prefill_track_corrections(case: Case) -> list[str]:
    """Record the applicant's corrections of pre-filled fields after the form was saved (called by
    ``case_update`` under the case's row lock): a value that differs from the source is kept as
    the correction beside it (the source is never overwritten); one equal to the source again
    clears the correction. Returns the names of the fields corrected now."""
    values = case.form_values()
    corrected: list[str] = []
    for row in case.prefilled_fields.filter(declined=False):
        current = values.get(row.field_name)
        differs = current != row.source()
        if differs == row.corrected and (not differs or current == row.correction()):
            continue
        row.corrected = differs
        row.correction_value, row.correction_personal = _stored(row.personal, row.personal_kind or "other",
                                                                current if differs else None)
        row.save(update_fields=["corrected", "correction_value", "correction_personal", "updated_at"])
        if differs:
            corrected.append(row.field_name)
    return corrected


def prefill_decline(*, by: Actor, case_id: Any) -> CasePrefill:
    """The applicant declines pre-fill (拒绝预填; 个人信息保护法 art. 44–46): nothing is fetched for
    the case from now on, the fetched values are cleared — from the form where the applicant had
    not corrected them, and from the pre-fill records — and the shared materials are withdrawn
    (to be uploaded). The exchanges stay in the signed exchange log (which holds no values).

    Actor: the applicant side, while the case is a draft or under correction. Refused like
    :func:`prefill_run`. Audited ``cases.prefill_decline``.
    """
    case = _readable(by, case_id)
    with transaction.atomic():
        case = common.lock_case(case.pk)
        _check_open(case, run=False)
        state, _created = CasePrefill.objects.select_for_update().get_or_create(case=case)
        schema = case.item_version.form_schema or {}
        values = case.form_values()
        cleared: list[str] = []
        for row in case.prefilled_fields.filter(declined=False):
            if not row.corrected and values.get(row.field_name) == row.source():
                values.pop(row.field_name, None)
            cleared.append(row.field_name)
            row.source_value, row.source_personal, row.declined = None, "", True
            row.save(update_fields=["source_value", "source_personal", "declined", "updated_at"])
        withdrawn = list(case.materials.filter(removed_at__isnull=True).exclude(shared_resource="")
                         .values_list("pk", flat=True))
        case.materials.filter(pk__in=withdrawn).update(removed_at=timezone.now())
        case.form_set(schema, values)
        case.save(update_fields=["form_data", "form_personal", "updated_at"])
        state.declined, state.declined_at = True, timezone.now()
        state.save()
        audit_record(actor=by, action="cases.prefill_decline", target=case,
                     after={"fields": cleared, "materials": len(withdrawn)})
    return state


# ---- reads for the pages -------------------------------------------------------------------------

@dataclass
class PrefillView:
    """What the applicant's and the staff's pages show of a case's pre-fill."""

    available: bool  # the version names registers and the case is online
    declined: bool
    fetched_at: datetime.datetime | None
    fields: dict[str, PrefilledField]
    sources: list[tuple[PrefillSource, Any]]  # (source, why it filled nothing or '')
    shared: dict[int, CaseMaterial]  # catalog material id -> the row proving it
    titles: dict[str, str] = field(default_factory=dict)  # form field -> its title

    @property
    def rows(self) -> list[tuple[str, PrefilledField]]:
        """(the form field's title, its pre-fill record), in the order they were filled."""
        return [(self.titles.get(name, name), row) for name, row in self.fields.items()]


def prefill_view_for(user: Any, case: Case) -> PrefillView:
    """The pre-fill of ``case`` as ``user`` may see it: the case is found through
    ``selectors.case_get_for`` (applicant side or staff in scope; 404 for anyone else), so the
    pre-filled values and their sources are never shown to another citizen."""
    case = selectors.case_get_for(user, case.pk)
    state = CasePrefill.objects.filter(case=case).first()
    rows = list(case.prefilled_fields.order_by("id"))
    sources = [(s, reason_of(s)) for s in case.prefill_sources.order_by("id")]
    shared = {m.material_id: m for m in case.materials.filter(removed_at__isnull=True).exclude(shared_resource="")
              .select_related("material") if m.material_id is not None}
    props = (case.item_version.form_schema or {}).get("properties") or {}
    titles = {str(name): str(spec.get("title") or name) for name, spec in props.items() if isinstance(spec, dict)}
    return PrefillView(available=case.channel in ONLINE and bool(prefill_plan(case.item_version)),
                       declined=bool(state and state.declined), fetched_at=state.fetched_at if state else None,
                       fields={r.field_name: r for r in rows}, sources=sources, shared=shared, titles=titles)
