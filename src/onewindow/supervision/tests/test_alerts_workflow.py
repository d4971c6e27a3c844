"""The alert lifecycle (open → acknowledged → closed) through the real services: every (state,
action) pair of the table, who may act (the owner department's regulators and admins only), the
note rules, and the reminders of alerts left open. Every refusal changes nothing: same state, no
event, no audit entry, no message."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from onewindow.core.errors import DomainError
from onewindow.core.models import AuditEntry
from onewindow.notifications.models import Message
from onewindow.supervision.models import Alert, AlertEvent
from onewindow.supervision.models.alerts import AlertAction, AlertState
from onewindow.supervision.services import alerts as services
from onewindow.supervision.services.alert_scan import alerts_scan
from onewindow.supervision.testing import SupervisionWorld

from . import alerts_world as w

TODAY = datetime.date(2017, 9, 5)  # a Tuesday


def raise_alert(world: SupervisionWorld, name: str = "上海预警测试有限公司") -> Alert:
    w.licence(world.department, world.organization(name), TODAY + datetime.timedelta(days=10))
    alerts_scan(today=TODAY)
    return Alert.objects.order_by("-pk").first()  # type: ignore[return-value]


def in_state(world: SupervisionWorld, state: str) -> Alert:
    alert = raise_alert(world, f"上海{state}有限公司")
    if state == AlertState.ACKNOWLEDGED:
        services.alert_acknowledge(by=world.regulator, alert_id=alert.pk)
    if state == AlertState.CLOSED:
        services.alert_close(by=world.regulator, alert_id=alert.pk, note="已提醒企业办理延续")
    alert.refresh_from_db()
    assert alert.state == state
    return alert


def snapshot(alert: Alert) -> tuple[Any, ...]:
    alert.refresh_from_db()
    return (
        alert.state,
        alert.acknowledged_at,
        alert.closed_at,
        alert.close_note,
        AlertEvent.objects.filter(alert=alert).count(),
        AuditEntry.objects.filter(target_type="supervision.alert", target_id=str(alert.pk)).count(),
        Message.objects.count(),
    )


def act(world: SupervisionWorld, action: str, alert: Alert, by: Any = None, note: str = "已处理") -> Alert:
    by = by or world.regulator
    if action == AlertAction.ACKNOWLEDGE:
        return services.alert_acknowledge(by=by, alert_id=alert.pk, note=note)
    return services.alert_close(by=by, alert_id=alert.pk, note=note)


def test_the_table() -> None:
    assert {a: (sorted(t.sources), t.target) for a, t in services.ALERT_TRANSITIONS.items()} == {
        "acknowledge": (["open"], "acknowledged"),
        "close": (["acknowledged", "open"], "closed"),
    }
    assert {"acknowledge": {"department"}, "close": {"department"}} == services.ALERT_ACTORS


@pytest.mark.parametrize("state", AlertState.values)
@pytest.mark.parametrize("action", list(services.ALERT_TRANSITIONS))
def test_every_state_and_action(world: SupervisionWorld, state: str, action: str) -> None:
    alert = in_state(world, state)
    if services.alert_allowed(state, action):
        events = AlertEvent.objects.filter(alert=alert).count()
        done = act(world, action, alert, note="已电话提醒")
        assert done.state == services.ALERT_TRANSITIONS[action].target
        event = AlertEvent.objects.filter(alert=alert).order_by("-id").first()
        assert event is not None
        assert (event.action, event.from_state, event.to_state, event.by_id, event.note) == (
            action,
            state,
            done.state,
            world.regulator.pk,
            "已电话提醒",
        )
        assert AlertEvent.objects.filter(alert=alert).count() == events + 1
        assert AuditEntry.objects.filter(action=f"supervision.alert.{action}", target_id=str(alert.pk)).count() == 1
        if action == AlertAction.CLOSE:
            assert (done.closed_by_id, done.close_note) == (world.regulator.pk, "已电话提醒")
        else:
            assert done.acknowledged_by_id == world.regulator.pk
    else:
        before = snapshot(alert)
        with pytest.raises(DomainError) as exc:
            act(world, action, alert)
        assert (exc.value.status, exc.value.code) == (409, "alert_illegal_transition")
        assert snapshot(alert) == before


@pytest.mark.parametrize(
    "who,status,code",
    [
        ("regulator", None, None),
        ("manager", None, None),
        ("data_clerk", 403, "alert_action_forbidden"),
        ("regulator_other", 403, "alert_action_forbidden"),
        ("culture_regulator", 403, "alert_action_forbidden"),
        ("admin", 403, "alert_action_forbidden"),
        ("clerk", 404, "alert_not_found"),
        ("citizen", 404, "alert_not_found"),
        ("agent", 404, "alert_not_found"),
    ],
)
@pytest.mark.parametrize("action", list(services.ALERT_TRANSITIONS))
def test_who_may_act(world: SupervisionWorld, who: str, status: int | None, code: str | None, action: str) -> None:
    alert = raise_alert(world)
    if status is None:
        assert act(world, action, alert, by=world.user(who)).state == services.ALERT_TRANSITIONS[action].target
        return
    before = snapshot(alert)
    with pytest.raises(DomainError) as exc:
        act(world, action, alert, by=world.user(who))
    assert (exc.value.status, exc.value.code) == (status, code)
    assert snapshot(alert) == before


@pytest.mark.parametrize(
    "note,code",
    [("", "alert_note_required"), ("   ", "alert_note_required"), ("长" * 501, "alert_note_too_long")],
)
def test_close_needs_a_note(world: SupervisionWorld, note: str, code: str) -> None:
    alert = raise_alert(world)
    before = snapshot(alert)
    with pytest.raises(DomainError) as exc:
        services.alert_close(by=world.regulator, alert_id=alert.pk, note=note)
    assert (exc.value.status, exc.value.code, list(exc.value.fields)) == (422, code, ["note"])
    assert snapshot(alert) == before


def test_an_unknown_alert_is_not_found(world: SupervisionWorld) -> None:
    for alert_id in (999_999, "x", None):
        with pytest.raises(DomainError) as exc:
            services.alert_acknowledge(by=world.regulator, alert_id=alert_id)
        assert (exc.value.status, exc.value.code) == (404, "alert_not_found")


def reminded(alert: Alert) -> tuple[int, int]:
    alert.refresh_from_db()
    return alert.reminder_count, AlertEvent.objects.filter(alert=alert, action=AlertAction.REMIND).count()


def test_reminders_of_alerts_left_open(world: SupervisionWorld) -> None:
    alert = raise_alert(world)
    Alert.objects.filter(pk=alert.pk).update(raised_at=w.aware(datetime.date(2017, 9, 4)))  # a Monday
    acknowledged = raise_alert(world, "上海已签收有限公司")
    Alert.objects.filter(pk=acknowledged.pk).update(raised_at=w.aware(datetime.date(2017, 9, 4)))
    services.alert_acknowledge(by=world.regulator, alert_id=acknowledged.pk)
    messages = Message.objects.count()

    # Three working days later (Thursday): not yet; the fourth (Friday): once, to the admins.
    assert services.alert_reminders_send(today=datetime.date(2017, 9, 7)) == 0
    assert services.alert_reminders_send(today=datetime.date(2017, 9, 8)) == 1
    assert reminded(alert) == (1, 1)
    assert reminded(acknowledged) == (0, 0)
    sent = list(Message.objects.filter(event=services.REMINDER_EVENT).order_by("pk"))
    assert [(m.user_id, m.channel, m.subject_id) for m in sent] == [(world.manager.pk, "inapp", str(alert.pk))]
    assert Message.objects.count() == messages + 1
    # The same day again: nothing; the weekend does not count; four working days later: again.
    assert services.alert_reminders_send(today=datetime.date(2017, 9, 8)) == 0
    assert services.alert_reminders_send(today=datetime.date(2017, 9, 13)) == 0
    assert services.alert_reminders_send(today=datetime.date(2017, 9, 14)) == 1
    assert reminded(alert) == (2, 2)
    # Closed: no more reminders.
    services.alert_close(by=world.regulator, alert_id=alert.pk, note="企业已办理延续")
    assert services.alert_reminders_send(today=datetime.date(2017, 9, 29)) == 0
