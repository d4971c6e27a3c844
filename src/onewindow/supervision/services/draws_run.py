"""The draw of a frozen plan (stage 3, issue #12 part 3) and the replacement of a drawn officer.

The operator enters the public random value once it exists; the selection is computed by
``OW-DRAW-1`` (``supervision.draw``, docs/draw-algorithm.md) from the stored inputs exactly as
frozen (``selectors.draws.stored_inputs``), stored once, and one :class:`Inspection` is created per
selected entity with the officers drawn for it (for a 联合检查, a 联合检查组 with officers of every
department). The first result stands: a second draw is refused (409 ``draw_already_drawn``).

An officer who cannot go is replaced by the next eligible officer of the same walk
(``draw.replace``), with the reason recorded, so the replacement is as reproducible as the draw.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onewindow.accounts.models import Organization
from onewindow.core.actors import Actor
from onewindow.core.errors import Conflict, DomainError, NotFound

from .. import draw, workflow
from ..choices import DrawPlanAction
from ..models import DrawFreeze, DrawOutcome, Inspection, Officer
from ..selectors import draws as draw_selectors
from . import common
from .draws import guard, invalid, lock_plan, record


def _as_422(exc: DomainError) -> DomainError:
    return DomainError(exc.message, code=exc.code, fields=exc.fields, status=422)


@transaction.atomic
def plan_draw(*, by: Actor, plan_id: Any, random_value: Any) -> DrawOutcome:
    """Enter the public random value and draw (stage 3), once. Refusals (nothing written): 404,
    403; 409 ``draw_already_drawn`` (the first result stands), 409 ``draw_plan_illegal_transition``
    (not frozen), 409 ``draw_too_early`` (before the value's day: it cannot exist yet), 422
    ``supervision_draw_random_value_missing``."""
    plan = lock_plan(plan_id)
    user = guard(plan, DrawPlanAction.DRAW, by)
    if common.today() < plan.random_expected_on:
        raise Conflict(
            _("公开随机数将于 %(day)s 产生，此前不能抽取。") % {"day": plan.random_expected_on.isoformat()},
            code="draw_too_early",
        )
    value = draw.canonical_text(str(random_value or ""))
    if len(value) > 200:
        raise invalid("random_value", _("公开随机数过长。"))
    freeze = DrawFreeze.objects.get(plan=plan)
    try:
        inputs = draw_selectors.stored_inputs(freeze, value)
        result = draw.draw(inputs)
    except DomainError as exc:
        raise _as_422(exc) from None
    codes = [p.code for p in result.selection]
    organizations = {o.credit_code: o for o in Organization.objects.filter(credit_code__in=codes)}
    certs = {a.cert for a in result.assignments}
    officers = {o.certificate_number: o for o in Officer.objects.filter(certificate_number__in=certs)}
    if set(codes) - set(organizations) or certs - set(officers):
        # The registry or roster lost a row after the freeze (rows are never deleted: PROTECT).
        raise Conflict(_("冻结的名录与当前数据不一致，无法抽取。"), code="draw_inputs_missing")
    now = timezone.now()
    outcome = DrawOutcome.objects.create(
        plan=plan,
        random_value=inputs.random_value,
        result=result.to_dict(),
        selection_digest=result.selection_digest,
        algorithm=result.algorithm,
        entity_count=len(result.selection),
        drawn_by=user,
        drawn_at=now,
    )
    inspections = Inspection.objects.bulk_create(
        Inspection(
            plan=plan,
            organization=organizations[code],
            credit_code=code,
            entity_name=organizations[code].name[:200],
            sequence=n,
            group_number=n,
            created_at=now,
        )
        for n, code in enumerate(codes, start=1)
    )
    by_code = {i.credit_code: i for i in inspections}
    through = Inspection.officers.through
    through.objects.bulk_create(
        through(inspection_id=by_code[a.entity].pk, officer_id=officers[a.cert].pk) for a in result.assignments
    )
    before = plan.status
    plan.status = workflow.plan_target(plan.status, DrawPlanAction.DRAW)
    plan.drawn_at = now
    plan.save(update_fields=["status", "drawn_at"])
    record(
        plan,
        DrawPlanAction.DRAW,
        by,
        from_status=before,
        details={
            "random_value": inputs.random_value,
            "selection_digest": result.selection_digest,
            "entities": len(codes),
            "officers": len(result.assignments),
            "skips": len(result.skips),
        },
    )
    return outcome


@transaction.atomic
def plan_replace_officer(
    *, by: Actor, plan_id: Any, credit_code: Any, department_code: Any, certificate_number: Any, reason: Any
) -> DrawOutcome:
    """Replace a drawn officer who cannot go (illness, a conflict found late …) by the next
    eligible officer of the same walk; the inspection's officers follow. Refusals (nothing
    written): 404, 403, 409 (only while drawn), 422 ``supervision_draw_replacement_reason_missing``,
    422 ``supervision_draw_replacement_not_assigned``, 422 ``supervision_draw_too_few_officers``
    (the walk has no one left)."""
    plan = lock_plan(plan_id)
    guard(plan, DrawPlanAction.REPLACE, by)
    outcome = DrawOutcome.objects.select_for_update().get(plan=plan)
    freeze = DrawFreeze.objects.get(plan=plan)
    code = str(credit_code or "").strip().upper()
    department = str(department_code or "").strip()
    cert = str(certificate_number or "").strip()
    text = draw.canonical_text(str(reason or ""))
    if len(text) > 200:
        raise invalid("reason", _("内容过长。"))
    try:
        inputs = draw_selectors.stored_inputs(freeze, outcome.random_value)
        result = draw.replace(
            inputs,
            draw.DrawResult.from_dict(outcome.result),
            entity=code,
            department=department,
            cert=cert,
            reason=text,
        )
    except DomainError as exc:
        raise _as_422(exc) from None
    replacement = result.replacements[-1]
    inspection = Inspection.objects.filter(plan=plan, credit_code=code).first()
    newcomer = Officer.objects.filter(certificate_number=replacement.replaced_by).first()
    leaving = Officer.objects.filter(certificate_number=cert).first()
    if inspection is None or newcomer is None or leaving is None:
        raise NotFound(_("找不到该检查或执法人员。"), code="draw_inspection_not_found")
    outcome.result = result.to_dict()
    outcome.save(update_fields=["result"])
    inspection.officers.remove(leaving)
    inspection.officers.add(newcomer)
    record(
        plan,
        DrawPlanAction.REPLACE,
        by,
        from_status=plan.status,
        note=text,
        details={
            "credit_code": code,
            "department": department,
            "cert": cert,
            "replaced_by": replacement.replaced_by,
            "position": replacement.position,
            "reason": text,
        },
    )
    return outcome
