"""监管预警 rules (issue #12 part 8): each rule raises exactly the expected alerts on a small
fixture, with its owner department, and a second scan raises nothing (idempotent)."""

from __future__ import annotations

import datetime

import pytest
from django.test import override_settings

from onewindow.core.models import AuditEntry
from onewindow.market.choices import RecordStatus, SanctionStatus
from onewindow.supervision import services
from onewindow.supervision.choices import Answer, ResultOutcome
from onewindow.supervision.models import Alert, AlertEvent
from onewindow.supervision.models.alerts import AlertRule, AlertState
from onewindow.supervision.services.alert_scan import alerts_scan
from onewindow.supervision.services.alerts import alert_close
from onewindow.supervision.testing import CHEMICAL_SCOPE, FOOD_SCOPE, SupervisionWorld

from . import alerts_world as w

TODAY = datetime.date(2017, 9, 5)
NONE = {rule: 0 for rule in AlertRule.values}


def scan(today: datetime.date = TODAY) -> dict[str, int]:
    return alerts_scan(today=today)


def alerts(rule: str) -> list[Alert]:
    return list(Alert.objects.filter(rule=rule).order_by("dedupe_key"))


def expect(**counts: int) -> dict[str, int]:
    return {**NONE, **counts}


def assert_idempotent() -> None:
    before = (Alert.objects.count(), AlertEvent.objects.count(), AuditEntry.objects.count())
    assert scan() == NONE
    assert (Alert.objects.count(), AlertEvent.objects.count(), AuditEntry.objects.count()) == before


def test_licence_expiring_within_30_days(world: SupervisionWorld) -> None:
    dept, culture = world.department, world.culture
    a, b = world.organization("上海甲餐饮有限公司"), world.organization("上海乙娱乐有限公司")
    in_10 = w.licence(dept, a, TODAY + datetime.timedelta(days=10))
    on_30 = w.licence(culture, b, TODAY + datetime.timedelta(days=30), title="娱乐场所经营许可证")
    today_ = w.licence(dept, b, TODAY)
    w.licence(dept, a, TODAY + datetime.timedelta(days=31), title="其他许可证")  # too far
    w.licence(dept, a, TODAY - datetime.timedelta(days=1), title="过期许可证")  # already expired
    w.licence(dept, b, TODAY + datetime.timedelta(days=5), title="已撤销许可证", status=RecordStatus.REVOKED)
    renewed = w.licence(culture, a, TODAY + datetime.timedelta(days=20), title="卫生许可证")
    w.licence(culture, a, TODAY + datetime.timedelta(days=1200), title="卫生许可证")  # the renewal
    unmatched = w.licence(dept, a, TODAY + datetime.timedelta(days=3), title="未匹配许可证", matched=False)

    assert scan() == expect(licence_expiring=4)

    found = {x.dedupe_key: x for x in alerts(AlertRule.LICENCE_EXPIRING)}
    assert set(found) == {f"record:{r.pk}:{r.valid_to}" for r in (in_10, on_30, today_, unmatched)}
    assert f"record:{renewed.pk}:{renewed.valid_to}" not in found
    first = found[f"record:{in_10.pk}:{in_10.valid_to}"]
    assert (first.department_id, first.organization_id, first.credit_code, first.entity_name) == (
        dept.pk,
        a.pk,
        a.credit_code,
        a.name,
    )
    assert (first.state, first.due_on, first.details["days_left"]) == (AlertState.OPEN, in_10.valid_to, 10)
    assert first.summary == f"许可证“食品经营许可证”（{in_10.number}）将于2017-09-15到期。"
    assert found[f"record:{on_30.pk}:{on_30.valid_to}"].department_id == culture.pk
    assert found[f"record:{unmatched.pk}:{unmatched.valid_to}"].organization_id is None
    # One raise event and one audit entry per alert.
    assert AlertEvent.objects.filter(action="raise").count() == 4
    assert AuditEntry.objects.filter(action="supervision.alert.raise").count() == 4
    assert_idempotent()


def test_licence_expiring_again_after_a_corrected_expiry(world: SupervisionWorld) -> None:
    a = world.organization("上海丙餐饮有限公司")
    record = w.licence(world.department, a, TODAY + datetime.timedelta(days=10))
    assert scan() == expect(licence_expiring=1)
    record.valid_to = TODAY + datetime.timedelta(days=12)
    record.save(update_fields=["valid_to"])
    assert scan() == expect(licence_expiring=1)
    assert scan() == NONE


def test_licence_missing_after_the_dual_notice_deadline(world: SupervisionWorld) -> None:
    at = w.aware(datetime.date(2017, 8, 1))
    orgs = {name: world.organization(f"上海{name}餐饮有限公司") for name in "ABCDEF"}
    tasks = {}
    for name, org in orgs.items():
        notice = world.register(FOOD_SCOPE, organization=org, at=at)
        assert notice is not None
        tasks[name] = notice.tasks.get()
    pool_notice = world.register(CHEMICAL_SCOPE, organization=world.organization("上海化工有限公司"), at=at)
    assert pool_notice is not None and pool_notice.tasks.get().department_id is None
    reg = world.regulator
    for name, answer in (("B", Answer.ISSUED), ("C", Answer.INSPECTED), ("D", Answer.NOT_NEEDED)):
        services.dual_notice_task_receive(by=reg, task_id=tasks[name].pk)
        services.dual_notice_task_answer(by=reg, task_id=tasks[name].pk, answer=answer)
    # E has a licence pooled by the task's department; F is not due yet.
    w.licence(world.department, orgs["E"], TODAY + datetime.timedelta(days=900))
    tasks["F"].due_date = TODAY
    tasks["F"].save(update_fields=["due_date"])

    assert scan() == expect(licence_missing=2)
    got = alerts(AlertRule.LICENCE_MISSING)
    assert [x.dedupe_key for x in got] == sorted([f"task:{tasks['A'].pk}", f"task:{tasks['C'].pk}"])
    a = next(x for x in got if x.dedupe_key == f"task:{tasks['A'].pk}")
    assert (a.department_id, a.organization_id, a.due_on) == (world.department.pk, orgs["A"].pk, tasks["A"].due_date)
    assert a.details["licences"] == ["食品经营许可证"]
    assert_idempotent()
    # The day after F's deadline, F joins.
    assert scan(TODAY + datetime.timedelta(days=1)) == expect(licence_missing=1)


def test_three_penalties_in_twelve_months(world: SupervisionWorld) -> None:
    dept, culture, other = world.department, world.culture, world.other_department
    a, b, c, d = (world.organization(f"上海{x}贸易有限公司") for x in "甲乙丙丁")
    w.penalty(dept, a, datetime.date(2016, 9, 6))  # the first day of the window
    w.penalty(culture, a, datetime.date(2017, 3, 1))
    last_a = w.penalty(other, a, datetime.date(2017, 9, 5))
    w.penalty(dept, b, datetime.date(2017, 1, 1))
    w.penalty(dept, b, datetime.date(2017, 2, 1))  # only two
    w.penalty(dept, c, datetime.date(2016, 9, 5))  # one day outside the window
    w.penalty(dept, c, datetime.date(2017, 2, 1))
    w.penalty(dept, c, datetime.date(2017, 3, 1))
    w.penalty(dept, d, datetime.date(2017, 1, 1))
    w.penalty(dept, d, datetime.date(2017, 2, 1))
    w.penalty(dept, d, datetime.date(2017, 3, 1), status=RecordStatus.REVOKED)

    assert scan() == expect(repeated_penalties=1)
    (alert,) = alerts(AlertRule.REPEATED_PENALTIES)
    assert (alert.dedupe_key, alert.department_id, alert.organization_id) == (
        f"entity:{a.credit_code}:{last_a.pk}",
        other.pk,
        a.pk,
    )
    assert alert.details["count"] == 3
    assert alert.summary == "2016-09-06至2017-09-05受到行政处罚3次。"
    assert_idempotent()

    # A fourth penalty while the alert is open: no second alert while it stays open.
    fourth = w.penalty(culture, a, datetime.date(2017, 9, 5))
    assert scan() == NONE
    # Closed: the fourth, which no alert counted, raises one alert with the four.
    alert_close(by=world.regulator_other, alert_id=alert.pk, note="已约谈企业负责人")
    assert scan() == expect(repeated_penalties=1)
    newest = Alert.objects.filter(rule=AlertRule.REPEATED_PENALTIES, state=AlertState.OPEN).get()
    assert (newest.dedupe_key, newest.details["count"]) == (f"entity:{a.credit_code}:{fourth.pk}", 4)
    alert_close(by=world.culture_regulator, alert_id=newest.pk, note="已立案调查")
    # Closed again with nothing new: nothing.
    assert scan() == NONE


def test_new_listing_on_a_sanction_list(world: SupervisionWorld) -> None:
    a, b, c = (world.organization(f"上海{x}咨询有限公司") for x in "甲乙丙")
    new = w.listing(world.culture, a, TODAY - datetime.timedelta(days=30))
    w.listing(world.department, b, TODAY - datetime.timedelta(days=31))  # not new
    w.listing(world.department, c, TODAY - datetime.timedelta(days=3), status=SanctionStatus.REMOVED)
    repair = w.listing(world.department, c, TODAY, status=SanctionStatus.REPAIR_REQUESTED)

    assert scan() == expect(new_sanction=2)
    got = {x.dedupe_key: x for x in alerts(AlertRule.NEW_SANCTION)}
    assert set(got) == {f"listing:{new.pk}", f"listing:{repair.pk}"}
    assert (got[f"listing:{new.pk}"].department_id, got[f"listing:{new.pk}"].organization_id) == (
        world.culture.pk,
        a.pk,
    )
    assert got[f"listing:{new.pk}"].summary.startswith("2017-08-06被列入经营异常名录：")
    assert_idempotent()


def test_rectification_overdue(world: SupervisionWorld) -> None:
    a = world.organization("上海整改餐饮有限公司")
    plan = w.plan(world.department, drawn_on=datetime.date(2017, 6, 1))
    inspection = w.inspection(plan, a)
    yesterday = TODAY - datetime.timedelta(days=1)
    late = w.result(inspection, world.department, ResultOutcome.RECTIFY, rectify_by=yesterday)
    w.result(inspection, world.culture, ResultOutcome.RECTIFY, rectify_by=yesterday, reinspected_on=TODAY)
    other_inspection = w.inspection(plan, world.organization("上海未到期有限公司"))
    w.result(other_inspection, world.department, ResultOutcome.RECTIFY, rectify_by=TODAY)
    w.result(w.inspection(plan, world.organization("上海无问题有限公司")), world.department)

    assert scan() == expect(rectification_overdue=1)
    (alert,) = alerts(AlertRule.RECTIFICATION_OVERDUE)
    assert (alert.dedupe_key, alert.department_id, alert.organization_id, alert.due_on) == (
        f"result:{late.pk}:{yesterday}",
        world.department.pk,
        a.pk,
        yesterday,
    )
    assert alert.details["plan"] == plan.number
    assert_idempotent()


def test_a_disabled_rule_raises_nothing(world: SupervisionWorld) -> None:
    a = world.organization("上海停用规则有限公司")
    w.licence(world.department, a, TODAY + datetime.timedelta(days=10))
    w.listing(world.department, a, TODAY)
    rules = {"licence_expiring": {"enabled": False}, "new_sanction": {"days": 0}}
    with override_settings(SUPERVISION_ALERT_RULES=rules):
        assert scan() == expect(new_sanction=1)
    assert not Alert.objects.filter(rule=AlertRule.LICENCE_EXPIRING).exists()


@pytest.mark.parametrize("days,expected", [(9, 0), (10, 1)])
def test_licence_window_is_configurable(world: SupervisionWorld, days: int, expected: int) -> None:
    w.licence(world.department, world.organization("上海参数有限公司"), TODAY + datetime.timedelta(days=10))
    with override_settings(SUPERVISION_ALERT_RULES={"licence_expiring": {"days": days}}):
        assert scan() == expect(licence_expiring=expected)


def test_the_demo_loads_alerts_for_its_expiring_licences(world: SupervisionWorld) -> None:
    from onewindow.supervision.demo.alerts import AS_OF, load_alerts

    org = world.organization("上海演示餐饮有限公司")
    soon = w.licence(world.department, org, AS_OF + datetime.timedelta(days=12))
    w.licence(world.department, org, AS_OF + datetime.timedelta(days=400), title="其他许可证")
    seen: list[int] = []
    assert load_alerts(seen.append) == expect(licence_expiring=1)
    assert load_alerts(seen.append) == NONE
    assert seen == [1, 0]
    (alert,) = alerts(AlertRule.LICENCE_EXPIRING)
    assert (alert.dedupe_key, alert.raised_at.date()) == (f"record:{soon.pk}:{soon.valid_to}", AS_OF)
    assert load_alerts(only=["new_sanction"]) == NONE
