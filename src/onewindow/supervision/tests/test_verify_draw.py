"""``onewindow supervision_verify_draw <number>`` (issue #12 part 3): a draw recomputed from its
stored inputs matches; editing any one stored input (a pool line, the random value, the secret, a
stored officer) makes it report a mismatch with the first difference, exit status 1."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from onewindow.supervision import draw
from onewindow.supervision.models import DrawFreeze, DrawOutcome, DrawPlan, Inspection, Officer
from onewindow.supervision.selectors import draws as draw_selectors

from .test_draw_plans_world import DrawWorld, draw_world_fixture  # noqa: F401

pytestmark = pytest.mark.django_db


def verify(number: str) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("supervision_verify_draw", number, stdout=out)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue()
    return 0, out.getvalue()


@pytest.fixture
def plan(dw: DrawWorld) -> DrawPlan:
    return dw.to_status("closed", counts={"A": 2, "B": 1, "D": 1})


def test_a_stored_draw_matches(plan: DrawPlan) -> None:
    assert verify(plan.number) == (0, f"MATCH {plan.number}\n")


def test_an_unknown_number_is_an_error(plan: DrawPlan) -> None:
    with pytest.raises(CommandError, match="draw_plan_not_found"):
        call_command("supervision_verify_draw", "SC2026999999", stdout=io.StringIO())


def test_a_plan_not_drawn_has_nothing_to_verify(dw: DrawWorld) -> None:
    frozen = dw.to_status("frozen")
    assert verify(frozen.number) == (1, f"MISMATCH {frozen.number}: not drawn: nothing to verify\n")


def _edit_pool(plan: DrawPlan, edit: Any) -> None:
    freeze = DrawFreeze.objects.get(plan=plan)
    text = draw_selectors.decompress(freeze.pool_file)
    DrawFreeze.objects.filter(pk=freeze.pk).update(pool_file=draw_selectors.compress(edit(text)))


def test_a_changed_pool_line_is_a_mismatch(plan: DrawPlan) -> None:
    result = draw.DrawResult.from_dict(plan.outcome.result)
    unselected = next(
        line
        for line in draw_selectors.decompress(plan.freeze.pool_file).splitlines()
        if line.split("\t")[0] not in {p.code for p in result.selection}
    )
    _edit_pool(plan, lambda text: text.replace(unselected + "\n", ""))
    status, out = verify(plan.number)
    assert status == 1
    assert out.startswith(f"MISMATCH {plan.number}: pool_digest: recomputed ")


def test_a_changed_pool_with_its_digest_is_still_a_mismatch(plan: DrawPlan) -> None:
    """Whoever edits the pool and the freeze's digest still disagrees with the published result."""
    _edit_pool(plan, lambda text: text.replace("\tB\t", "\tC\t", 1))
    freeze = DrawFreeze.objects.get(plan=plan)
    pool = draw_selectors.parse_pool(draw_selectors.decompress(freeze.pool_file))
    DrawFreeze.objects.filter(pk=freeze.pk).update(pool_digest=pool.digest)
    status, out = verify(plan.number)
    assert status == 1
    assert out.startswith(f"MISMATCH {plan.number}: pool_digest: recomputed '{pool.digest}', stored ")


def test_a_changed_random_value_is_a_mismatch(plan: DrawPlan) -> None:
    DrawOutcome.objects.filter(plan=plan).update(random_value="03 07 12 19 25 31 + 09")
    status, out = verify(plan.number)
    assert status == 1
    assert out.startswith(f"MISMATCH {plan.number}: random_value: recomputed ")


def test_a_changed_secret_is_a_mismatch(plan: DrawPlan) -> None:
    freeze = DrawFreeze.objects.get(plan=plan)
    freeze.secret = "0" * 64
    freeze.save(update_fields=["secret"])
    status, out = verify(plan.number)
    assert status == 1
    assert out.startswith(f"MISMATCH {plan.number}: secret_commitment: recomputed ")


def test_a_changed_officer_of_the_result_is_a_mismatch(dw: DrawWorld, plan: DrawPlan) -> None:
    data = plan.outcome.result
    assigned = {row[3] for row in data["assignments"]}
    stranger = next(o.certificate_number for o in dw.officers if o.certificate_number not in assigned)
    data["assignments"][1][3] = stranger
    DrawOutcome.objects.filter(plan=plan).update(result=data)
    status, out = verify(plan.number)
    assert status == 1
    assert out.startswith(f"MISMATCH {plan.number}: assignments[1]: recomputed ")


def test_a_changed_officer_of_an_inspection_is_a_mismatch(dw: DrawWorld, plan: DrawPlan) -> None:
    inspection = Inspection.objects.filter(plan=plan).order_by("sequence").first()
    assert inspection is not None
    current = list(inspection.officers.all())
    stranger = Officer.objects.exclude(pk__in=[o.pk for o in current]).filter(department=dw.w.department).first()
    assert stranger is not None
    inspection.officers.remove(current[0])
    inspection.officers.add(stranger)
    status, out = verify(plan.number)
    assert status == 1
    assert out.startswith(f"MISMATCH {plan.number}: inspections[0].officers: result ")


def test_a_replacement_verifies_and_a_forged_one_does_not(dw: DrawWorld) -> None:
    from onewindow.supervision import services

    drawn = dw.to_status("drawn", counts={"C": 1})
    first = draw.DrawResult.from_dict(drawn.outcome.result).assignments[0]
    services.plan_replace_officer(
        by=dw.user("regulator"),
        plan_id=drawn.pk,
        credit_code=first.entity,
        department_code=first.department,
        certificate_number=first.cert,
        reason="外出培训",
    )
    assert verify(drawn.number)[0] == 0
    data = DrawOutcome.objects.get(plan=drawn).result
    data["replacements"][0][4] = first.cert  # "replaced by" the officer who left
    DrawOutcome.objects.filter(plan=drawn).update(result=data)
    status, out = verify(drawn.number)
    assert status == 1
    assert out.startswith(f"MISMATCH {drawn.number}: ")
