"""The admin is never a back door (issue #10 part 2).

Every ModelAdmin registered on the admin site that can change or delete rows must route the write
through the app's services (lock, guard, mutate, audit): the introspection test below walks
``admin.site._registry``, saves a change through each change view and deletes through each delete
view as the system admin, and asserts an audit entry for every write. A model whose admin can
change rows and is not in ``CHANGES`` (or ``EXCLUDED`` with a reason) fails the test, so a new
admin cannot slip in unaudited. The specific tests show the guarded refusals hold in the admin.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.messages import get_messages
from django.forms import CheckboxInput, MultiWidget, SelectMultiple
from django.forms.widgets import ChoiceWidget
from django.test import Client, RequestFactory

from onewindow.accounts.models import ApiToken, User
from onewindow.accounts.testing import Principals
from onewindow.centers.choices import DeviceKind, TicketStatus, WindowState
from onewindow.centers.models import AppointmentSlot, CenterStaff, Device, SpecialOpening, Window
from onewindow.centers.testing import CenterWorld, take
from onewindow.core.actors import system_actor
from onewindow.core.models import AuditEntry, CalendarDay, CalendarYear, Department

pytestmark = pytest.mark.django_db

#: Admins that can change rows but are deliberately not exercised here, each with its reason.
EXCLUDED: dict[str, str] = {}


def _department(w: CenterWorld) -> Any:
    return Department.objects.get(pk=w.cw.p.department.pk)


def _rate_row(w: CenterWorld) -> Any:
    from onewindow.taxqr.models import RateRow
    from onewindow.taxqr.services import rate_rows_seed

    rate_rows_seed(by=system_actor("test"))
    return RateRow.objects.order_by("pk").first()


def _bureau(w: CenterWorld) -> Any:
    from onewindow.taxqr.services import bureau_register

    return bureau_register(by=system_actor("test"), department=w.cw.p.department, short_code="JA")


def _template(w: CenterWorld) -> Any:
    from onewindow.notifications.models import MessageTemplate

    return MessageTemplate.objects.filter(is_active=True).order_by("pk").first()


def _slot(w: CenterWorld) -> Any:
    slot, _created = AppointmentSlot.objects.get_or_create(
        center=w.center, category=w.a, date=datetime.date(2026, 3, 3), starts=datetime.time(7, 0),
        defaults={"ends": datetime.time(7, 30), "capacity": 4})
    return slot


def _item(w: CenterWorld) -> Any:
    from onewindow.catalog.models import ServiceItem

    return ServiceItem.objects.order_by("pk").first()


def _item_type(w: CenterWorld) -> Any:
    from onewindow.catalog.models import ItemType

    return ItemType.objects.order_by("pk").first()


def _calendar_day(w: CenterWorld) -> Any:
    day, _created = CalendarDay.objects.get_or_create(date=datetime.date(2027, 10, 1),
                                                      defaults={"is_working_day": False, "name": "国庆节"})
    return day


def _calendar_year(w: CenterWorld) -> Any:
    year, _created = CalendarYear.objects.get_or_create(year=2027, defaults={"note": "国办发明电〔2026〕1号"})
    return year


def _officer(w: CenterWorld) -> Any:
    from onewindow.supervision import services

    return services.officer_create(by=w.cw.p.users["admin"], department_id=w.cw.p.department.pk, name="张执法",
                                   certificate_number="TESTADMIN0001", active_from=datetime.date(2026, 1, 1))


def _licence_rule(w: CenterWorld) -> Any:
    from onewindow.supervision import services

    return services.licence_rule_create(by=w.cw.p.users["admin"], licence_name="测试经营许可证",
                                        keywords="测试经营", basis="《测试条例》第一条")


#: model label → (the row to change, the form fields to change). Every admin that can change rows
#: is here or in EXCLUDED.
CHANGES: dict[str, tuple[Callable[[CenterWorld], Any], dict[str, Any]]] = {
    "accounts.user": (lambda w: w.clerk, {"first_name": "改名"}),
    "catalog.serviceitem": (_item, {"v_name": "改过的事项名称"}),
    "catalog.itemtype": (_item_type, {"name": "改过的类型"}),
    "centers.center": (lambda w: w.center, {"name": "改过的中心名称"}),
    "centers.centerstaff": (lambda w: CenterStaff.objects.get(center=w.center, user=w.clerk),
                            {"is_manager": True}),
    "centers.device": (lambda w: w.display, {"name": "大厅显示屏 2"}),
    "centers.appointmentslot": (_slot, {"capacity": "6"}),
    "core.department": (_department, {"short_name": "静安市场监管"}),
    "core.calendarday": (_calendar_day, {"note": "补记通知文号"}),
    "core.calendaryear": (_calendar_year, {"note": "国办发明电〔2026〕2号"}),
    "notifications.messagetemplate": (_template, {"inapp_title": "改过的标题"}),
    "taxqr.raterow": (_rate_row, {"basis": "改过的依据"}),
    "taxqr.taxbureau": (_bureau, {"short_code": "JB"}),
    "supervision.officer": (_officer, {"name": "李执法"}),
    "supervision.licencerule": (_licence_rule, {"licence_name": "改过的许可名称"}),
}


def _values(bf: Any) -> list[str]:
    """What a browser would post for one bound field of a rendered admin form."""
    widget, value = bf.field.widget, bf.value()
    widget = getattr(widget, "widget", widget)  # the admin's RelatedFieldWidgetWrapper
    if isinstance(widget, CheckboxInput):
        return ["on"] if widget.check_test(value) else []
    if isinstance(widget, SelectMultiple) or (isinstance(widget, ChoiceWidget) and widget.allow_multiple_selected):
        return [str(getattr(v, "pk", v)) for v in (value or [])]
    if isinstance(widget, ChoiceWidget):
        return [v for v in widget.format_value(value) if v != ""] or [""]
    formatted = widget.format_value(value)
    return [] if formatted is None else [str(formatted)]


def _post_data(response: Any) -> dict[str, Any]:
    """The POST body of an admin change page as rendered: the main form and every inline formset."""
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms.append(inline.formset.management_form)
        forms.extend(inline.formset.forms)
    data: dict[str, Any] = {}
    for form in forms:
        for bf in form:
            if bf.field.disabled:
                continue
            if isinstance(bf.field.widget, MultiWidget):
                parts = bf.value() if isinstance(bf.value(), list) else bf.field.widget.decompress(bf.value())
                for suffix, part in zip(bf.field.widget.widgets_names, parts, strict=False):
                    data[bf.html_name + suffix] = "" if part is None else str(part)
                continue
            data[bf.html_name] = _values(bf)
    return data


def _admin_request(user: User) -> Any:
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def _writable_admins(user: User) -> dict[str, tuple[bool, bool]]:
    """Every registered admin that can change or delete rows: label → (change, delete)."""
    request = _admin_request(user)
    found = {}
    for model, model_admin in admin.site._registry.items():
        obj = model()
        change = model_admin.has_change_permission(request, obj)
        delete = model_admin.has_delete_permission(request, obj)
        if change or delete:
            found[model._meta.label_lower] = (bool(change), bool(delete))
    return found


def _audit_ids() -> set[int]:
    return set(AuditEntry.objects.values_list("pk", flat=True))


def _admin_client(principals: Principals) -> Client:
    return principals.client("admin")


def test_every_admin_write_goes_through_an_audited_service(principals, center_world):
    admin_user = principals.user("admin")
    client = _admin_client(principals)
    writable = _writable_admins(admin_user)
    unplanned = sorted(set(writable) - set(CHANGES) - set(EXCLUDED))
    failures: list[str] = [f"{label}: writable in the admin, but neither tested nor excluded" for label in unplanned]
    for label, (make, changes) in sorted(CHANGES.items()):
        if label not in writable or not writable[label][0]:
            continue
        obj = make(center_world)
        app, model = label.split(".")
        url = f"/admin/{app}/{model}/{obj.pk}/change/"
        page = client.get(url)
        if page.status_code != 200:
            failures.append(f"{label}: change page answered {page.status_code}")
            continue
        data = _post_data(page)
        data.update(changes)
        data["_save"] = "Save"
        before = _audit_ids()
        response = client.post(url, data)
        errors = response.context.get("errors") if response.context else ""
        if response.status_code != 302:
            failures.append(f"{label}: save answered {response.status_code} {errors or ''}")
            continue
        if not _audit_ids() - before:
            failures.append(f"{label}: change saved without an audit entry")
    for label, (_change, delete) in sorted(writable.items()):
        if not delete or label not in CHANGES:
            continue
        obj = CHANGES[label][0](center_world)
        app, model = label.split(".")
        before = _audit_ids()
        response = client.post(f"/admin/{app}/{model}/{obj.pk}/delete/", {"post": "yes"})
        if response.status_code != 302:
            failures.append(f"{label}: delete answered {response.status_code}")
        elif not _audit_ids() - before:
            failures.append(f"{label}: deleted without an audit entry")
    assert failures == [], "\n".join(failures)


def _center_page(client: Client, w: CenterWorld) -> tuple[str, dict[str, Any]]:
    url = f"/admin/centers/center/{w.center.pk}/change/"
    return url, _post_data(client.get(url))


def _window_prefix(data: dict[str, Any], window: Window) -> str:
    for key, value in data.items():
        if key.endswith("-id") and value == [str(window.pk)] and key.startswith("windows"):
            return key[: -len("-id")]
    raise AssertionError("window not on the page")


def test_admin_cannot_close_a_busy_window(principals, center_world):
    w = center_world
    ticket = take(w, w.a)
    type(ticket).objects.filter(pk=ticket.pk).update(status=TicketStatus.SERVING, window=w.w1)
    client = _admin_client(principals)
    url, data = _center_page(client, w)
    prefix = _window_prefix(data, w.w1)
    data[f"{prefix}-state"] = WindowState.CLOSED
    data["name"] = "改过的中心名称"
    before = _audit_ids()
    response = client.post(url, {**data, "_save": "Save"})
    assert response.status_code == 302
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["窗口还有正在办理的排队号，请先办结或转移。"]
    w.w1.refresh_from_db()
    w.center.refresh_from_db()
    assert w.w1.state == WindowState.OPEN
    assert w.center.name != "改过的中心名称"  # nothing half-written: the center's own change rolled back too
    assert _audit_ids() == before


def test_admin_window_state_and_categories_go_through_the_services(principals, center_world):
    w = center_world
    client = _admin_client(principals)
    url, data = _center_page(client, w)
    prefix = _window_prefix(data, w.w2)
    data[f"{prefix}-state"] = WindowState.PAUSED
    data[f"{prefix}-categories"] = [str(w.a.pk), str(w.b.pk)]
    before = _audit_ids()
    response = client.post(url, {**data, "_save": "Save"})
    assert response.status_code == 302
    w.w2.refresh_from_db()
    assert w.w2.state == WindowState.PAUSED
    assert sorted(w.w2.categories.values_list("prefix", flat=True)) == ["A", "B"]
    actions = sorted(AuditEntry.objects.exclude(pk__in=before).values_list("action", flat=True))
    assert actions == ["centers.window.categories", "centers.window.state"]


def test_admin_special_opening_goes_through_the_service(principals, center_world):
    w = center_world
    client = _admin_client(principals)
    url, data = _center_page(client, w)
    data.update({"special_openings-TOTAL_FORMS": "1", "special_openings-0-center": str(w.center.pk),
                 "special_openings-0-date": "2026-03-07", "special_openings-0-opens": "09:00",
                 "special_openings-0-closes": "12:00", "special_openings-0-last_ticket": "11:30",
                 "special_openings-0-reason": "周六服务日"})
    before = _audit_ids()
    response = client.post(url, {**data, "_save": "Save"})
    assert response.status_code == 302, response.context and response.context.get("errors")
    assert SpecialOpening.objects.filter(center=w.center, date=datetime.date(2026, 3, 7)).count() == 1
    actions = list(AuditEntry.objects.exclude(pk__in=before).values_list("action", flat=True))
    assert "centers.special_opening" in actions


def test_admin_center_staff_grant_goes_through_the_service(principals, center_world):
    w = center_world
    client = _admin_client(principals)
    before = _audit_ids()
    response = client.post("/admin/centers/centerstaff/add/", {
        "center": str(w.center.pk), "user": str(principals.user("reviewer").pk), "is_manager": "", "valid": "on",
        "_save": "Save"})
    assert response.status_code == 302
    assert CenterStaff.objects.filter(center=w.center, user=principals.user("reviewer"), valid=True).count() == 1
    actions = list(AuditEntry.objects.exclude(pk__in=before).values_list("action", flat=True))
    assert actions == ["centers.staff.grant"]


def _device_add(client: Client, w: CenterWorld, name: str) -> Any:
    return client.post("/admin/centers/device/add/", {
        "center": str(w.center.pk), "window": "", "kind": DeviceKind.DISPLAY, "name": name, "operator": "",
        "is_active": "on", "_save": "Save"})


def test_admin_device_issue_is_one_transaction(principals, center_world, monkeypatch):
    w = center_world
    client = _admin_client(principals)
    devices, tokens, audits = Device.objects.count(), ApiToken.objects.count(), _audit_ids()

    def fail(self: Device, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the device row cannot be written")

    # The device row fails after its token was issued: neither the token nor the row remains.
    monkeypatch.setattr(Device, "save", fail)
    with pytest.raises(RuntimeError):
        _device_add(client, w, "二号显示屏")
    assert (Device.objects.count(), ApiToken.objects.count(), _audit_ids()) == (devices, tokens, audits)
    monkeypatch.undo()

    response = _device_add(client, w, "二号显示屏")
    assert response.status_code == 302
    device = Device.objects.get(name="二号显示屏")
    assert device.token.revoked_at is None
    assert ApiToken.objects.count() == tokens + 1
    actions = sorted(AuditEntry.objects.exclude(pk__in=audits).values_list("action", flat=True))
    assert actions == ["api_token.issue", "centers.device.issue"]


def test_admin_device_revoke_goes_through_the_service(principals, center_world):
    w = center_world
    client = _admin_client(principals)
    before = _audit_ids()
    response = client.post("/admin/centers/device/", {"action": "revoke_selected",
                                                      "_selected_action": [str(w.display.pk)]})
    assert response.status_code == 302
    w.display.refresh_from_db()
    w.display.token.refresh_from_db()
    assert (w.display.is_active, w.display.token.revoked_at is not None) == (False, True)
    actions = sorted(AuditEntry.objects.exclude(pk__in=before).values_list("action", flat=True))
    assert actions == ["api_token.revoke", "centers.device.revoke"]


def _adds(p: Principals, w: CenterWorld) -> dict[str, dict[str, Any]]:
    """model label → the fields a system admin fills on its add page (the rest as rendered)."""
    from onewindow.catalog.models import ItemType
    from onewindow.notifications.models import MessageTemplate

    template = MessageTemplate.objects.filter(is_active=True).order_by("pk").first()
    assert template is not None
    return {
        "accounts.user": {"username": "new_login", "usable_password": "true",
                          "password1": "a-long-pass-phrase-42", "password2": "a-long-pass-phrase-42"},
        "accounts.staffrole": {"user": str(p.user("reviewer").pk), "role": "reviewer",
                               "department": str(p.other_department.pk)},
        "accounts.apitoken": {"name": "交换平台", "system_name": "exchange", "scopes": "catalog:read"},
        "catalog.serviceitem": {"code": "11310000MB2F0000000099", "department": str(p.department.pk),
                                "region": str(p.district.pk), "level": "district", "sort_order": "1000",
                                "basic_code": "XK0000199", "v_name": "新事项", "v_category": "approval",
                                "v_item_type": str(ItemType.objects.order_by("pk").first().pk),  # type: ignore[union-attr]
                                "handling_type": "promised", "statutory_limit": "20", "v_depth_level": "1",
                                "statutory_unit": "working", "promised_limit": "10", "promised_unit": "working",
                                "channels": ["window"], "on_site_visits": "1", "v_status": "active",
                                "form_schema": "{}"},
        "catalog.itemtype": {"code": "99", "name": "测试类型", "sort_order": "5"},
        "centers.center": {"code": "TEST-NEW", "name": "新的受理服务中心", "level": "street",
                           "region": str(w.cw.street.pk), "department": str(w.cw.center.pk)},
        "centers.centerstaff": {"center": str(w.center.pk), "user": str(p.user("reviewer").pk)},
        "centers.device": {"center": str(w.center.pk), "kind": DeviceKind.DISPLAY, "name": "二号显示屏"},
        "centers.appointmentslot": {"center": str(w.center.pk), "category": str(w.a.pk), "date": "2026-03-04",
                                    "starts": "07:00", "ends": "07:30", "capacity": "3"},
        "core.department": {"code": "TEST-NEW-DEPT", "name": "新部门", "level": "district",
                            "region": str(p.district.pk), "sort_order": "0", "is_active": "on"},
        "core.calendarday": {"date": "2027-10-02", "name": "国庆节"},
        "core.calendaryear": {"year": "2028", "note": "国办发明电〔2027〕1号"},
        "notifications.messagetemplate": {"event": template.event, "language": template.language,
                                          "sms_text": "您好", "inapp_title": "通知", "inapp_text": "内容",
                                          "is_active": "on"},
        "taxqr.raterow": {"kind": "deed", "valid_from": "2027-01-01", "valid_to": "2027-12-31", "home_rank": "1",
                          "max_area": "90", "rate": "0.0100", "basis": "财税〔2016〕23号", "confirmed": "on"},
        "taxqr.taxbureau": {"department": str(p.other_department.pk), "short_code": "XH"},
        "supervision.officer": {"department": str(p.department.pk), "name": "王执法",
                                "certificate_number": "TESTADMIN0002", "active_from": "2026-01-01"},
        "supervision.licencerule": {"licence_name": "新的后置审批许可证", "keywords": "测试经营",
                                    "basis": "《测试条例》第二条", "is_active": "on", "sort_order": "100"},
    }


def test_every_admin_add_goes_through_an_audited_service(principals, center_world):
    """Every admin that can add rows adds them through a service that writes an audit entry."""
    client = _admin_client(principals)
    request = _admin_request(principals.user("admin"))
    addable = sorted(model._meta.label_lower for model, model_admin in admin.site._registry.items()
                     if model_admin.has_add_permission(request))
    adds = _adds(principals, center_world)
    assert sorted(adds) == addable
    failures = []
    for label in addable:
        app, model = label.split(".")
        url = f"/admin/{app}/{model}/add/"
        data = {**_post_data(client.get(url)), **adds[label], "_save": "Save"}
        before = _audit_ids()
        response = client.post(url, data)
        if response.status_code != 302:
            errors = response.context.get("errors") if response.context else ""
            failures.append(f"{label}: add answered {response.status_code} {errors}")
        elif not _audit_ids() - before:
            failures.append(f"{label}: added without an audit entry")
    assert failures == [], "\n".join(failures)


def _messages(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_admin_refuses_a_taken_bureau_code(principals, center_world):
    from onewindow.taxqr.services import bureau_register

    bureau = _bureau(center_world)
    bureau_register(by=system_actor("test"), department=principals.other_department, short_code="XH")
    client = _admin_client(principals)
    url = f"/admin/taxqr/taxbureau/{bureau.pk}/change/"
    data = {**_post_data(client.get(url)), "short_code": "XH", "_save": "Save"}
    before = _audit_ids()
    response = client.post(url, data)
    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == ["short_code"]
    bureau.refresh_from_db()
    assert bureau.short_code == "JA"
    assert _audit_ids() == before


def test_admin_cannot_shrink_a_slot_below_its_bookings(principals, center_world):
    slot = _slot(center_world)
    AppointmentSlot.objects.filter(pk=slot.pk).update(booked=3)
    client = _admin_client(principals)
    url = f"/admin/centers/appointmentslot/{slot.pk}/change/"
    data = {**_post_data(client.get(url)), "capacity": "2", "_save": "Save"}
    before = _audit_ids()
    response = client.post(url, data)
    assert (response.status_code, _messages(response)) == (302, ["可预约数不能少于已预约数（3）。"])
    slot.refresh_from_db()
    assert (slot.capacity, slot.booked) == (4, 3)
    assert _audit_ids() == before


def test_admin_center_page_refused_for_a_non_manager_staff_login(principals, center_world):
    """A staff login with Django's change permission on centers and windows but not managing the
    center: the services' own guard holds in the admin too (Django's model permissions are not
    the domain's rights)."""
    from django.contrib.auth.models import Permission

    w = center_world
    clerk = principals.user("clerk")
    clerk.is_staff = True
    clerk.save(update_fields=["is_staff"])
    clerk.user_permissions.set(Permission.objects.filter(content_type__app_label="centers",
                                                         codename__in=["view_center", "change_center",
                                                                                   "view_window", "change_window"]))
    client = Client()
    client.force_login(clerk)
    url, data = _center_page(client, w)
    data[f"{_window_prefix(data, w.w2)}-state"] = WindowState.CLOSED
    before = _audit_ids()
    response = client.post(url, {**data, "_save": "Save"})
    assert (response.status_code, _messages(response)) == (302, ["只有中心负责人可以调整中心配置。"])
    w.w2.refresh_from_db()
    assert w.w2.state == WindowState.OPEN
    assert _audit_ids() == before


def test_admin_item_revision_rolls_back_when_its_status_change_is_refused(principals, center_world):
    """A new name and a suspension without a reason: the suspension is refused, and the revision
    saved a moment earlier in the same form is rolled back with it (nothing half-written)."""
    from onewindow.catalog.models import ItemVersion

    item = _item(center_world)
    versions = ItemVersion.objects.filter(item=item).count()
    client = _admin_client(principals)
    url = f"/admin/catalog/serviceitem/{item.pk}/change/"
    data = {**_post_data(client.get(url)), "v_name": "改过的事项名称", "v_status": "suspended", "status_reason": "",
            "_save": "Save"}
    before = _audit_ids()
    response = client.post(url, data)
    assert (response.status_code, _messages(response)) == (302, ["请填写原因。"])
    assert ItemVersion.objects.filter(item=item).count() == versions
    item.refresh_from_db()
    assert item.current_version.name != "改过的事项名称"
    assert _audit_ids() == before


#: Every admin action, each calling an audited service (and tested where named).
ACTIONS = {
    "accounts.apitoken": ["revoke_selected"],  # api_token_revoke: accounts/tests/test_key_operations_reauth.py
    "accounts.staffrole": ["revoke_selected"],  # staff_role_revoke: accounts/tests/test_key_operations_reauth.py
    "centers.device": ["revoke_selected"],  # device_revoke: test_admin_device_revoke_goes_through_the_service
    "core.calendarday": ["delete_selected"],  # calendar_day_delete (delete_queryset): core/tests
    "core.calendaryear": ["delete_selected"],  # calendar_year_withdraw (delete_queryset): core/tests
    "notifications.message": ["requeue"],  # message_requeue: test_admin_message_requeue_is_audited
}


def test_every_admin_action_is_known(principals):
    """A new action (including Django's delete_selected, offered wherever rows may be deleted)
    fails here until it is routed through a service and listed above."""
    request = _admin_request(principals.user("admin"))
    found = {model._meta.label_lower: sorted(model_admin.get_actions(request))
             for model, model_admin in admin.site._registry.items() if model_admin.get_actions(request)}
    assert found == ACTIONS


def test_admin_delete_selected_goes_through_the_calendar_service(principals, center_world):
    day = _calendar_day(center_world)
    client = _admin_client(principals)
    before = _audit_ids()
    response = client.post("/admin/core/calendarday/", {"action": "delete_selected", "post": "yes",
                                                        "_selected_action": [str(day.pk)]})
    assert response.status_code == 302
    assert not CalendarDay.objects.filter(pk=day.pk).exists()
    actions = list(AuditEntry.objects.exclude(pk__in=before).values_list("action", flat=True))
    assert actions == ["calendar.day_delete"]


def test_admin_message_requeue_is_audited(principals):
    from onewindow.notifications.models import Message, MessageTemplate
    from onewindow.notifications.services import message_enqueue

    template = MessageTemplate.objects.filter(is_active=True).exclude(sms_text="").order_by("pk").first()
    assert template is not None
    [message] = message_enqueue(event=template.event, phone="13900000000", context={}, subject_type="test",
                                subject_id="1")
    Message.objects.filter(pk=message.pk).update(status="dead")
    client = _admin_client(principals)
    before = _audit_ids()
    response = client.post("/admin/notifications/message/", {"action": "requeue",
                                                             "_selected_action": [str(message.pk)]})
    assert response.status_code == 302
    message.refresh_from_db()
    assert message.status != "dead"
    actions = list(AuditEntry.objects.exclude(pk__in=before).values_list("action", flat=True))
    assert actions == ["notifications.message_requeue"]


def test_device_issue_service_is_one_transaction_outside_the_admin_too(principals, center_world, monkeypatch):
    """The service itself holds the rule (a command or page calling it gets it too)."""
    from onewindow.centers.services.devices import device_issue

    def fail(self: Device, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the device row cannot be written")

    tokens, audits = ApiToken.objects.count(), _audit_ids()
    monkeypatch.setattr(Device, "save", fail)
    with pytest.raises(RuntimeError):
        device_issue(by=principals.user("admin"), center_id=center_world.center.pk, kind=DeviceKind.DISPLAY,
                     name="三号显示屏")
    assert (ApiToken.objects.count(), _audit_ids()) == (tokens, audits)


def test_admin_password_change_is_audited(principals, center_world):
    client = _admin_client(principals)
    clerk = principals.user("clerk")
    before = _audit_ids()
    response = client.post(f"/admin/accounts/user/{clerk.pk}/password/", {
        "usable_password": "true", "password1": "another-long-pass-phrase-7",
        "password2": "another-long-pass-phrase-7"})
    assert response.status_code == 302
    clerk.refresh_from_db()
    assert clerk.check_password("another-long-pass-phrase-7")
    entries = list(AuditEntry.objects.exclude(pk__in=before).values_list("action", "after"))
    assert entries == [("user.password_set", {"password": "usable"})]
