"""Staff pages (办件工作台): authorization, the inbox, the review queue with bulk acceptance, every
action form through the page with its refusals, the window entry and the kiosk continuation."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from onewindow.accounts.models import Person
from onewindow.accounts.testing import make_resident_id
from onewindow.cases import services
from onewindow.cases.choices import CaseStatus
from onewindow.cases.models import Case, CaseClock, CaseEvent, ClockExtension, Licence
from onewindow.cases.testing import FORM, CaseWorld
from onewindow.notifications.models import Message

INBOX = "/cases/staff/"
REVIEW = "/cases/staff/review/"
NEW = "/cases/staff/new/"


def detail(case: Case) -> str:
    return f"/cases/staff/{case.pk}/"


def act(case: Case, action: str) -> str:
    return f"/cases/staff/{case.pk}/{action}/"


def events(case: Case) -> list[str]:
    return list(CaseEvent.objects.filter(case=case).order_by("id").values_list("action", flat=True))


def messages_of(case: Case) -> int:
    return Message.objects.filter(subject_type="case", subject_id=str(case.pk)).count()


def status_of(case: Case) -> str:
    return Case.objects.values_list("status", flat=True).get(pk=case.pk)


# ---------------------------------------------------------------------------- authorization

PAGES = ["inbox", "review", "new", "detail", "continue"]


def _url(page: str, case: Case) -> str:
    return {"inbox": INBOX, "review": REVIEW, "new": NEW, "detail": detail(case),
            "continue": f"/cases/window/continue/{case.query_code}/"}[page]


@pytest.mark.parametrize("page", PAGES)
def test_anonymous_is_sent_to_login(case_world: CaseWorld, page: str) -> None:
    case = case_world.submitted()
    response = case_world.p.client("anonymous").get(_url(page, case))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("who", ["citizen", "another_citizen", "agent"])
def test_non_staff_get_403(case_world: CaseWorld, page: str, who: str) -> None:
    case = case_world.submitted()
    response = case_world.p.client(who).get(_url(page, case))
    assert response.status_code == 403
    assert b'data-code="staff_only"' in response.content


def test_citizen_cannot_act_through_the_staff_page(case_world: CaseWorld) -> None:
    case = case_world.submitted()
    response = case_world.p.client("citizen").post(act(case, "accept"))
    assert response.status_code == 403
    assert status_of(case) == CaseStatus.SUBMITTED and events(case) == ["create", "submit"]


@pytest.mark.parametrize("page", ["detail", "continue"])
def test_clerk_of_another_department_gets_404_on_the_case(case_world: CaseWorld, page: str) -> None:
    case = case_world.submitted()
    response = case_world.p.client("clerk_other_department").get(_url(page, case))
    assert response.status_code == 404
    assert b'data-code="case_not_found"' in response.content
    response = case_world.p.client("clerk_other_department").post(act(case, "accept"))
    assert response.status_code == 404
    assert status_of(case) == CaseStatus.SUBMITTED


def test_clerk_of_another_department_sees_an_empty_inbox(case_world: CaseWorld) -> None:
    case = case_world.submitted()
    response = case_world.p.client("clerk_other_department").get(INBOX)
    assert response.status_code == 200
    assert case.number not in response.content.decode()


@pytest.mark.parametrize("page", ["inbox", "review", "new", "detail"])
@pytest.mark.parametrize("who", ["clerk", "reviewer", "manager", "admin"])
def test_staff_in_scope_open_every_page(case_world: CaseWorld, page: str, who: str) -> None:
    case = case_world.submitted()
    response = case_world.p.client(who).get(_url(page, case))
    assert response.status_code == 200
    if page in ("inbox", "review", "detail"):
        assert case.number in response.content.decode()


def test_staff_nav_link_only_for_staff(case_world: CaseWorld) -> None:
    assert "办件工作台" in case_world.p.client("clerk").get("/catalog/").content.decode()
    assert "办件工作台" in case_world.p.client("admin").get("/catalog/").content.decode()
    assert "办件工作台" not in case_world.p.client("citizen").get("/catalog/").content.decode()


def test_unknown_action_and_bad_ids_never_500(case_world: CaseWorld) -> None:
    case = case_world.submitted()
    clerk = case_world.p.client("clerk")
    assert clerk.post(act(case, "explode")).status_code == 404
    assert clerk.get("/cases/staff/99999999999999999999/").status_code == 404
    assert clerk.get(INBOX + "?page=abc&department=x&level=purple&sort=zzz&status=nope").status_code == 200
    assert clerk.post(REVIEW + "accept/", {"case": ["abc", "99999999999999999999"]}).status_code == 200
    assert clerk.get(NEW + "?person=abc&item=NOPE").status_code == 404
    assert clerk.post(NEW, {"op": "lookup", "id_number": "123"}).status_code == 400
    assert clerk.post(NEW, {"op": "explode"}).status_code == 422
    assert status_of(case) == CaseStatus.SUBMITTED


# ---------------------------------------------------------------------------- inbox

def _cells(html: str, case: Case) -> list[str]:
    """The text of the cells of the case's row (tags stripped)."""
    import re

    row = html.split(f'<tr data-case="{case.pk}">', 1)[1].split("</tr>", 1)[0]
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in row.split("<td>")[1:]]


def _rows(html: str) -> list[str]:
    return [part.split('"', 1)[0] for part in html.split('<tr data-case="')[1:]]


def test_inbox_filters_and_counts(case_world: CaseWorld) -> None:
    p = case_world.p
    first = case_world.submitted()
    accepted = case_world.in_status(CaseStatus.ACCEPTED)
    review = case_world.in_status(CaseStatus.UNDER_REVIEW)
    Case.objects.filter(pk=first.pk).update(deadline_level="red")
    clerk = p.client("clerk")
    html = clerk.get(INBOX).content.decode()
    assert sorted(_rows(html)) == sorted(str(c.pk) for c in (first, accepted, review))
    assert 'data-count="open">3<' in html and 'data-count="accepted">1<' in html
    assert 'data-count="submitted">1<' in html and 'data-count="under_review">1<' in html
    assert _rows(clerk.get(INBOX + "?status=accepted").content.decode()) == [str(accepted.pk)]
    red = clerk.get(INBOX + "?level=red").content.decode()
    assert _rows(red) == [str(first.pk)]
    assert 'data-level="red"' in red and "已超期" in red  # the badge has text, not just a colour
    assert _rows(clerk.get(INBOX + f"?q={review.number}").content.decode()) == [str(review.pk)]
    assert _rows(clerk.get(INBOX + f"?q={first.query_code}").content.decode()) == [str(first.pk)]
    # mine: the clerk took the accepted case (first actor becomes the handler); the reviewer took review
    assert _rows(clerk.get(INBOX + "?mine=1").content.decode()) == [str(accepted.pk)]
    assert _rows(p.client("reviewer").get(INBOX + "?mine=1").content.decode()) == [str(review.pk)]
    assert _rows(p.client("admin").get(INBOX + f"?department={p.other_department.pk}").content.decode()) == []
    assert len(_rows(p.client("admin").get(INBOX + f"?department={p.department.pk}").content.decode())) == 3
    newest = _rows(clerk.get(INBOX + "?sort=new").content.decode())
    assert newest == [str(review.pk), str(accepted.pk), str(first.pk)]
    assert _rows(clerk.get(INBOX + "?sort=old").content.decode()) == newest[::-1]


def test_inbox_shows_masked_applicant_and_the_linkage(case_world: CaseWorld) -> None:
    forwarded = case_world.in_status(CaseStatus.FORWARDED)
    name = case_world.p.citizen.person.name
    for client in (case_world.center_clerk, case_world.p.reviewer):
        from django.test import Client

        c = Client()
        c.force_login(client)
        html = c.get(INBOX).content.decode()
        assert str(forwarded.pk) in _rows(html)
        assert f"代收单位 {case_world.center.name} → 承办单位 {case_world.p.department.name}" in html
        cells = _cells(html, forwarded)
        assert cells[2] == name[0] + "*" * (len(name) - 1)


def test_inbox_pages_and_constant_query_count(case_world: CaseWorld) -> None:
    clerk = case_world.p.client("clerk")
    cases = [case_world.submitted() for _ in range(5)]
    clerk.get(INBOX)  # warm caches (session, content types)
    with CaptureQueriesContext(connection) as few:
        response = clerk.get(INBOX)
    assert len(_rows(response.content.decode())) == 5
    cases += [case_world.submitted() for _ in range(50)]
    with CaptureQueriesContext(connection) as many:
        response = clerk.get(INBOX)
    html = response.content.decode()
    assert len(_rows(html)) == 50
    assert len(many.captured_queries) == len(few.captured_queries)
    assert "第 1 / 2 页" in html and "page=2" in html
    second = clerk.get(INBOX + "?page=2").content.decode()
    by_due = sorted(cases, key=lambda c: (c.due_date, c.pk))
    assert _rows(second) == [str(c.pk) for c in by_due[50:]]


# ---------------------------------------------------------------------------- review queue

def test_review_queue_lists_online_cases_oldest_first(case_world: CaseWorld) -> None:
    older = case_world.submitted()
    newer = case_world.submitted()
    window = case_world.forwarded_case()  # a window case is not an online application
    html = case_world.p.client("clerk").get(REVIEW).content.decode()
    assert _rows(html) == [str(older.pk), str(newer.pk)]
    assert str(window.pk) not in _rows(html)


def test_bulk_accept_reports_each_case(case_world: CaseWorld) -> None:
    p = case_world.p
    a, b, c = case_world.submitted(), case_world.submitted(), case_world.submitted()
    services.case_accept(by=p.clerk, case_id=b.pk)
    before_b = events(b)
    response = p.client("clerk").post(REVIEW + "accept/", {"case": [a.pk, b.pk, c.pk]})
    assert response.status_code == 200
    html = response.content.decode()
    assert status_of(a) == status_of(c) == CaseStatus.ACCEPTED
    assert events(b) == before_b
    assert f'data-case="{a.pk}" data-ok="1"' in html and f'data-case="{c.pk}" data-ok="1"' in html
    assert f'data-case="{b.pk}" data-ok="0"' in html and 'data-code="case_illegal_transition"' in html


def test_bulk_accept_needs_a_selection(case_world: CaseWorld) -> None:
    response = case_world.p.client("clerk").post(REVIEW + "accept/", {})
    assert response.status_code == 422
    assert b'data-code="selection_required"' in response.content


# ---------------------------------------------------------------------------- detail

def test_detail_shows_everything_staff_need(case_world: CaseWorld) -> None:
    case = case_world.in_status(CaseStatus.ACCEPTED)
    upload = case.materials.get()
    html = case_world.p.client("clerk").get(detail(case)).content.decode()
    name = case_world.p.citizen.person.name
    assert f"<dt>申请人</dt><dd>{name[0]}{'*' * (len(name) - 1)}</dd>" in html
    assert "<dt>申请人名称</dt>" in html and "<dt>联系电话</dt><dd>138****8000</dd>" in html
    assert f'href="/cases/{case.pk}/files/{upload.pk}/"' in html
    assert 'data-action="create"' in html and "内部记录" in html  # internal steps are shown to staff
    assert 'data-kind="decision"' in html and "受理通知书" in html
    assert 'id="act-forward"' not in html  # not a forwarded case
    assert 'id="act-accept"' not in html  # already accepted
    assert 'id="act-start_review"' not in html  # a clerk does not review


def test_forward_form_only_for_forwarded_cases(case_world: CaseWorld) -> None:
    case = case_world.forwarded_case()
    services.case_accept(by=case_world.center_clerk, case_id=case.pk)
    from django.test import Client

    center = Client()
    center.force_login(case_world.center_clerk)
    html = center.get(detail(case)).content.decode()
    assert 'id="act-forward"' in html
    response = center.post(act(case, "forward"), {"note": "转区市场监管局"})
    assert response.status_code == 302
    assert status_of(case) == CaseStatus.FORWARDED and events(case)[-1] == "forward"
    html = center.get(detail(case)).content.decode()  # the receiving center keeps seeing it
    assert f"代收单位 {case_world.center.name} → 承办单位 {case_world.p.department.name}" in html


# ---------------------------------------------------------------------------- actions (happy paths)

def _post(case_world: CaseWorld, who: str, case: Case, action: str, data: dict[str, Any] | None = None) -> Any:
    response = case_world.p.client(who).post(act(case, action), data or {})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"] == detail(case)
    return response


def test_pre_review_then_correction_then_refusal(case_world: CaseWorld) -> None:
    case = case_world.submitted()
    _post(case_world, "clerk", case, "start_pre_review")
    assert status_of(case) == CaseStatus.PRE_REVIEW
    materials = list(case.item_version.materials.order_by("id"))
    _post(case_world, "clerk", case, "request_correction", {
        "material": [str(m.pk) for m in materials], f"reason_{materials[0].pk}": "复印件不清晰",
        f"reason_{materials[1].pk}": "缺少盖章", "extra_name_0": "营业场所证明", "extra_reason_0": "请补充租赁合同"})
    assert status_of(case) == CaseStatus.CORRECTION
    event = CaseEvent.objects.filter(case=case).latest("id")
    assert event.action == "request_correction"
    assert [(i["name"], i["reason"]) for i in event.data["items"]] == [
        ("居民身份证", "复印件不清晰"), ("其他证明材料", "缺少盖章"), ("营业场所证明", "请补充租赁合同")]
    _post(case_world, "clerk", case, "refuse", {"reason_code": "not_corrected", "reason": "逾期未补正"})
    assert status_of(case) == CaseStatus.NOT_ACCEPTED
    assert events(case)[-3:] == ["start_pre_review", "request_correction", "refuse"]


def test_accept_review_suspend_resume_extend_approve_deliver(case_world: CaseWorld) -> None:
    case = case_world.submitted()
    _post(case_world, "clerk", case, "accept", {"note": "材料齐全"})
    assert status_of(case) == CaseStatus.ACCEPTED
    _post(case_world, "reviewer", case, "start_review")
    assert status_of(case) == CaseStatus.UNDER_REVIEW
    _post(case_world, "reviewer", case, "suspend", {"basis": "expert_review", "reason": "组织专家评审"})
    assert status_of(case) == CaseStatus.SUSPENDED
    _post(case_world, "reviewer", case, "resume")
    assert status_of(case) == CaseStatus.UNDER_REVIEW
    _post(case_world, "manager", case, "extend", {"reason": "情况复杂", "days": "5"})
    assert ClockExtension.objects.get(clock__case=case).days == 5
    assert CaseClock.objects.get(case=case, kind="decision").extended_days == 5
    _post(case_world, "manager", case, "reassign", {"handler_id": str(case_world.p.reviewer.pk)})
    assert Case.objects.get(pk=case.pk).handler_id == case_world.p.reviewer.pk
    _post(case_world, "reviewer", case, "approve",
          {"licence_name": "食品经营许可证", "valid_to": "2031-12-31", "note": ""})
    licence = Licence.objects.get(case=case)
    assert (licence.name, licence.valid_to) == ("食品经营许可证", datetime.date(2031, 12, 31))
    _post(case_world, "clerk", case, "deliver", {"method": "mail"})
    assert status_of(case) == CaseStatus.DELIVERED
    assert events(case) == ["create", "submit", "accept", "start_review", "suspend", "resume", "extend",
                            "reassign", "approve", "deliver"]
    html = case_world.p.client("clerk").get(detail(case)).content.decode()
    assert licence.number in html and "延长 5 日：情况复杂" in html


def test_reject_through_the_page(case_world: CaseWorld) -> None:
    case = case_world.in_status(CaseStatus.UNDER_REVIEW)
    _post(case_world, "reviewer", case, "reject", {"reason": "不符合法定条件"})
    assert status_of(case) == CaseStatus.REJECTED
    assert Case.objects.get(pk=case.pk).refusal_reason == "不符合法定条件"


def test_resubmit_at_the_window_after_a_correction(case_world: CaseWorld) -> None:
    case = case_world.in_status(CaseStatus.CORRECTION)
    html = case_world.p.client("clerk").get(detail(case)).content.decode()
    assert 'id="act-resubmit"' in html and 'id="act-withdraw"' not in html  # withdrawing is the applicant's
    _post(case_world, "clerk", case, "resubmit")
    assert status_of(case) == CaseStatus.SUBMITTED and events(case)[-1] == "resubmit"


GARBAGE = {"material": ["x", "-1", "99999999999999999999"], "days": "1e9", "handler_id": "abc",
           "valid_to": "2031-02-30", "reason_code": "<script>", "basis": "0", "method": "pigeon", "reason": "  ",
           "note": "x" * 5000}


@pytest.mark.parametrize("action", ["request_correction", "refuse", "suspend", "extend", "approve", "reject",
                                    "deliver", "reassign", "accept", "forward", "start_review", "resume"])
def test_garbage_input_never_500s_and_changes_nothing(case_world: CaseWorld, action: str) -> None:
    case = case_world.in_status(CaseStatus.UNDER_REVIEW)
    before = (status_of(case), events(case), messages_of(case))
    for who in ("clerk", "reviewer", "manager"):
        response = case_world.p.client(who).post(act(case, action), GARBAGE)
        assert response.status_code in (403, 409, 422), (who, response.status_code)
    assert (status_of(case), events(case), messages_of(case)) == before


# ---------------------------------------------------------------------------- actions (refusals)

def _refused(case_world: CaseWorld, who: str, case: Case, action: str, data: dict[str, Any], status: int,
             code: str) -> None:
    before = (status_of(case), events(case), messages_of(case))
    response = case_world.p.client(who).post(act(case, action), data)
    assert response.status_code == status
    assert f'data-code="{code}"'.encode() in response.content
    assert (status_of(case), events(case), messages_of(case)) == before


def test_illegal_transition_is_409_and_changes_nothing(case_world: CaseWorld) -> None:
    case = case_world.in_status(CaseStatus.ACCEPTED)
    _refused(case_world, "clerk", case, "accept", {}, 409, "case_illegal_transition")


def test_forward_of_an_own_case_is_refused(case_world: CaseWorld) -> None:
    case = case_world.in_status(CaseStatus.ACCEPTED)
    _refused(case_world, "clerk", case, "forward", {}, 409, "case_not_forwardable")


@pytest.mark.parametrize(("who", "action", "data", "code"), [
    ("reviewer", "reject", {"reason": "  "}, "reason_required"),
    ("manager", "extend", {"reason": "", "days": "3"}, "reason_required"),
    ("manager", "extend", {"reason": "复杂", "days": "three"}, "invalid"),
    ("reviewer", "suspend", {"basis": "", "reason": "x"}, "suspension_basis_invalid"),
    ("reviewer", "approve", {"valid_to": "31/12/2031"}, "invalid"),
])
def test_missing_or_bad_input_is_422(case_world: CaseWorld, who: str, action: str, data: dict[str, Any],
                                     code: str) -> None:
    case = case_world.in_status(CaseStatus.UNDER_REVIEW)
    _refused(case_world, who, case, action, data, 422, code)


def test_correction_without_items_or_reasons_is_422(case_world: CaseWorld) -> None:
    case = case_world.submitted()
    _refused(case_world, "clerk", case, "request_correction", {}, 422, "correction_items_required")
    material = case.item_version.materials.order_by("id").first()
    assert material is not None
    _refused(case_world, "clerk", case, "request_correction", {"material": [str(material.pk)]}, 422,
             "correction_items_invalid")


def test_refuse_needs_a_reason_code(case_world: CaseWorld) -> None:
    case = case_world.submitted()
    _refused(case_world, "clerk", case, "refuse", {"reason": "x"}, 422, "refusal_reason_invalid")


def test_extension_beyond_ten_days_is_409(case_world: CaseWorld) -> None:
    case = case_world.in_status(CaseStatus.UNDER_REVIEW)
    _refused(case_world, "manager", case, "extend", {"reason": "复杂", "days": "11"}, 409,
             "extension_exceeds_limit")


@pytest.mark.parametrize(("who", "action", "data"), [
    ("clerk", "approve", {}),
    ("clerk", "extend", {"reason": "复杂", "days": "3"}),
    ("reviewer", "reassign", {"handler_id": "1"}),
])
def test_wrong_actor_is_403(case_world: CaseWorld, who: str, action: str, data: dict[str, Any]) -> None:
    case = case_world.in_status(CaseStatus.UNDER_REVIEW)
    _refused(case_world, who, case, action, data, 403, "case_action_forbidden")


# ---------------------------------------------------------------------------- window entry

def test_window_entry_registers_the_walk_in_and_submits(case_world: CaseWorld) -> None:
    p = case_world.p
    clerk = p.client("clerk")
    id_number = make_resident_id("310106", datetime.date(1990, 5, 17), 321)
    html = clerk.post(NEW, {"op": "lookup", "id_number": id_number}).content.decode()
    assert 'id="register-form"' in html  # not found: register
    response = clerk.post(NEW, {"op": "register", "id_number": id_number, "name": "孙立新",
                                "phone": "13912345678"})
    assert response.status_code == 302
    person = Person.objects.get(name="孙立新")
    assert f"person={person.ref}" in response["Location"]
    html = clerk.get(NEW + f"?person={person.ref}&q=经营许可").content.decode()
    assert f'item={case_world.item.code}' in html
    assert case_world.street_item.code in html  # window items only; both allow the window
    html = clerk.get(NEW + f"?person={person.ref}&item={case_world.item.code}").content.decode()
    assert 'id="apply-form"' in html and "孙*" in html
    form = {"op": "apply", "key": "5b0a3a0c2f8e4f7a9d1e0c6b7a8f9e01", "person": person.ref,
            "item": case_world.item.code, "receiving_department": str(p.department.pk),
            "f_applicant_name": "孙立新", "f_contact_phone": "13912345678", "f_description": "新办",
            "delivery_method": "window"}
    response = clerk.post(NEW, form)
    assert response.status_code == 302
    case = Case.objects.get(applicant_person=person)
    assert response["Location"] == detail(case)
    assert (case.channel, case.status, case.submitter_id) == ("window", CaseStatus.SUBMITTED, p.clerk.pk)
    assert case.number is not None and case.number.startswith("310106-")
    assert case.form_values() == {"applicant_name": "孙立新", "contact_phone": "13912345678", "description": "新办"}
    assert case.form_data == {"applicant_name": "孙**", "contact_phone": "139****5678", "description": "新办"}
    again = clerk.post(NEW, form)  # a double click replays the first submission
    assert again["Location"] == detail(case) and Case.objects.filter(applicant_person=person).count() == 1


def test_window_entry_can_accept_at_once(case_world: CaseWorld) -> None:
    p = case_world.p
    person = p.another_citizen.person
    response = p.client("clerk").post(NEW, {
        "op": "apply", "key": "k-accept-now-1", "person": person.ref, "item": case_world.item.code,
        "receiving_department": str(p.department.pk), "f_applicant_name": "王芳",
        "f_contact_phone": "13800138000", "accept_now": "1"})
    assert response.status_code == 302
    case = Case.objects.get(applicant_person=person)
    assert case.status == CaseStatus.ACCEPTED
    assert events(case) == ["create", "submit", "accept"]


def test_window_entry_refusals_write_nothing(case_world: CaseWorld) -> None:
    p = case_world.p
    person = p.another_citizen.person
    base = {"op": "apply", "key": "k-refused-1", "person": person.ref, "item": case_world.item.code,
            "receiving_department": str(p.department.pk), "f_contact_phone": "13800138000"}
    response = p.client("clerk").post(NEW, base)  # the required applicant name is missing
    assert response.status_code == 422
    assert b'data-code="form_invalid"' in response.content
    response = p.client("clerk").post(NEW, {**base, "key": "k-refused-2", "f_applicant_name": "王芳",
                                            "receiving_department": str(p.other_department.pk)})
    assert response.status_code == 403
    assert not Case.objects.filter(applicant_person=person).exists()
    response = p.client("clerk").post(NEW, {"op": "register", "id_number": "310106199001011234",
                                            "name": "孙立新", "phone": "13912345678"})
    assert response.status_code == 400 and not Person.objects.filter(name="孙立新").exists()


@pytest.mark.parametrize("change", [
    {"person": "abc"}, {"person": "99999999999"}, {"item": ""}, {"item": "NO-SUCH-ITEM"},
    {"receiving_department": "x"}, {"receiving_department": "99999999999999999999"}, {"key": "\x07bell"},
    {"delivery_method": "pigeon"}, {"f_contact_phone": "12"}, {"f_unknown": "x", "f_applicant_name": "x" * 200},
])
def test_window_entry_garbage_never_500s(case_world: CaseWorld, change: dict[str, str]) -> None:
    p = case_world.p
    form = {"op": "apply", "key": "k-garbage", "person": p.another_citizen.person.ref,
            "item": case_world.item.code, "receiving_department": str(p.department.pk),
            "f_applicant_name": "王芳", "f_contact_phone": "13800138000", **change}
    response = p.client("clerk").post(NEW, form)
    assert response.status_code in (403, 404, 422), response.status_code
    assert not Case.objects.exists()


def test_window_lookup_finds_an_existing_person(case_world: CaseWorld) -> None:
    person = case_world.p.citizen.person
    html = case_world.p.client("clerk").post(NEW, {"op": "lookup", "id_number": person.id_number}).content.decode()
    assert 'id="matches"' in html and f"person={person.ref}" in html
    assert person.id_number not in html  # masked


# ---------------------------------------------------------------------------- kiosk continuation

def _kiosk_draft(case_world: CaseWorld, department: Any) -> Case:
    from django.db import transaction

    with transaction.atomic():
        return services.case_create(by=case_world.p.citizen, item_code=case_world.item.code, channel="kiosk",
                                    form_data={"applicant_name": "张伟"}, receiving_department=department)


def test_continue_a_kiosk_draft_at_the_window(case_world: CaseWorld) -> None:
    p = case_world.p
    case = _kiosk_draft(case_world, p.department)
    clerk = p.client("clerk")
    response = clerk.get(f"/cases/window/continue/{case.query_code.lower()}/")
    assert response.status_code == 302 and response["Location"] == detail(case)
    html = clerk.get(detail(case)).content.decode()
    assert 'id="edit-form"' in html and 'id="act-submit"' in html
    # submitting the incomplete form is refused; the clerk completes it, then submits and accepts
    response = clerk.post(act(case, "submit"))
    assert response.status_code == 422 and status_of(case) == CaseStatus.DRAFT
    response = clerk.post(f"/cases/staff/{case.pk}/update/", {"f_applicant_name": "张伟",
                                                               "f_contact_phone": FORM["contact_phone"]})
    assert response.status_code == 302
    _post(case_world, "clerk", case, "submit")
    assert status_of(case) == CaseStatus.SUBMITTED and Case.objects.get(pk=case.pk).number
    _post(case_world, "clerk", case, "accept")
    assert events(case) == ["create", "submit", "accept"]


def test_continue_outside_the_receiving_scope_is_404(case_world: CaseWorld) -> None:
    case = _kiosk_draft(case_world, case_world.center)
    clerk = case_world.p.client("clerk")
    assert clerk.get(f"/cases/window/continue/{case.query_code}/").status_code == 404
    assert clerk.get("/cases/window/continue/NOSUCHCODE/").status_code == 404


def test_online_drafts_stay_with_the_applicant(case_world: CaseWorld) -> None:
    draft = case_world.draft()
    assert case_world.p.client("clerk").get(detail(draft)).status_code == 404


# ---------------------------------------------------------------------------- admin

def test_admin_lists_cases_without_the_phone(case_world: CaseWorld) -> None:
    case = case_world.in_status(CaseStatus.APPROVED)
    admin = case_world.p.client("admin")
    listing = admin.get(f"/admin/cases/case/?q={case.number}")
    assert listing.status_code == 200 and case.number in listing.content.decode()
    page = admin.get(f"/admin/cases/case/{case.pk}/change/").content.decode()
    case.refresh_from_db()
    assert len(case.contact_phone) == 11 and case.phone_tail == case.contact_phone[-4:]
    assert f"*******{case.phone_tail}" in page and case.contact_phone not in page
    assert 'data-action' not in page and "准予许可" in page  # the read-only timeline inline
    assert admin.get("/admin/cases/licence/").status_code == 200
    assert admin.get("/admin/cases/document/").status_code == 200
    assert admin.post(f"/admin/cases/case/{case.pk}/change/", {"status": "draft"}).status_code == 403
    assert status_of(case) == CaseStatus.APPROVED


def test_pages_in_english(case_world: CaseWorld) -> None:
    case = case_world.submitted()
    clerk = case_world.p.client("clerk")
    clerk.cookies["django_language"] = "en"
    inbox = clerk.get(INBOX).content.decode()
    assert "<h1>To do</h1>" in inbox and ">Case desk<" in inbox
    page = clerk.get(detail(case)).content.decode()
    assert "Ground for non-acceptance" in page and "Actions" in page
    response = clerk.post(act(case, "refuse"), {"reason": "x"})
    assert response.status_code == 422 and 'data-code="refusal_reason_invalid"' in response.content.decode()
    assert "Ground for non-acceptance" in response.content.decode()
