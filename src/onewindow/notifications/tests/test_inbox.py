"""The in-app inbox page (/messages/) and API (/api/v1/notifications/): own messages only,
anonymous refused, opening marks read; the admin shows phones masked and versions templates."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from onewindow.accounts.testing import Principals, make_api_token
from onewindow.notifications.models import Message, MessageTemplate
from onewindow.notifications.services import message_enqueue

from .conftest import CONTEXT, PHONE

pytestmark = pytest.mark.django_db
API = "/api/v1/notifications"


def inapp(user: Any, event: str = "case_accepted") -> Message:
    with transaction.atomic():
        [message] = message_enqueue(event=event, context=CONTEXT, user=user)
    return message


@pytest.fixture
def mine(principals: Principals) -> tuple[Message, Message, Message]:
    """Two messages of the citizen, one of another citizen."""
    return (
        inapp(principals.citizen, "case_submitted"),
        inapp(principals.citizen, "case_accepted"),
        inapp(principals.another_citizen, "case_rejected"),
    )


def read_ats() -> dict[uuid.UUID, Any]:
    return dict(Message.objects.values_list("pk", "read_at"))


# ---- page ----------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login(mine: Any) -> None:
    for url in ("/messages/", f"/messages/{mine[0].pk}/"):
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    assert Client().post("/messages/read-all/").status_code == 302
    assert all(v is None for v in read_ats().values())


def test_inbox_lists_own_messages_with_unread_badge(principals: Principals, mine: Any) -> None:
    response = principals.client("citizen").get("/messages/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<span class="badge" id="unread-badge" aria-label="未读消息数">2</span>' in html
    assert "申请已提交" in html and "申请已受理" in html
    assert "不予许可" not in html
    assert str(mine[2].pk) not in html


def test_opening_marks_read_and_another_users_message_is_404(principals: Principals, mine: Any) -> None:
    client = principals.client("citizen")
    before = read_ats()
    for other in (f"/messages/{mine[2].pk}/", "/messages/not-a-uuid/", f"/messages/{uuid.uuid4()}/"):
        assert client.get(other).status_code == 404
    assert read_ats() == before

    response = client.get(f"/messages/{mine[0].pk}/")
    assert response.status_code == 200
    assert "您申请的“食品经营许可”已提交" in response.content.decode()
    after = read_ats()
    assert after[mine[0].pk] is not None
    assert after[mine[1].pk] is None and after[mine[2].pk] is None
    assert (
        '<span class="badge" id="unread-badge" aria-label="未读消息数">1</span>'
        in client.get("/messages/").content.decode()
    )
    unread_page = client.get("/messages/?unread=1").content.decode()
    assert f"/messages/{mine[1].pk}/" in unread_page
    assert f"/messages/{mine[0].pk}/" not in unread_page


def test_read_all_marks_only_own(principals: Principals, mine: Any) -> None:
    response = principals.client("citizen").post("/messages/read-all/")
    assert response.status_code == 302
    after = read_ats()
    assert after[mine[0].pk] is not None and after[mine[1].pk] is not None
    assert after[mine[2].pk] is None
    assert principals.client("citizen").get("/messages/read-all/").status_code == 405


# ---- API -----------------------------------------------------------------------------------


def test_api_anonymous_is_401(mine: Any) -> None:
    for method, url in (
        ("get", f"{API}/messages"),
        ("get", f"{API}/messages/{mine[0].pk}"),
        ("post", f"{API}/messages/{mine[0].pk}/read"),
        ("post", f"{API}/messages/read-all"),
    ):
        response = getattr(Client(), method)(url)
        assert response.status_code == 401
        assert response.json()["code"] == "unauthenticated"
    assert all(v is None for v in read_ats().values())


def test_api_lists_own_messages_only(principals: Principals, mine: Any) -> None:
    body = principals.client("citizen").get(f"{API}/messages").json()
    assert body["unread"] == 2
    assert [item["id"] for item in body["items"]] == [str(mine[1].pk), str(mine[0].pk)]
    assert body["items"][1]["title"] == "申请已提交"
    assert body["items"][1]["read_at"] is None
    assert "phone" not in body["items"][0]

    other = principals.client("another_citizen").get(f"{API}/messages").json()
    assert [item["id"] for item in other["items"]] == [str(mine[2].pk)]
    assert principals.client("clerk").get(f"{API}/messages").json() == {"unread": 0, "items": [], "total": 0,
                                                                       "page": 1, "pages": 1}


def test_api_mark_read_own_and_404_for_another(principals: Principals, mine: Any) -> None:
    client = principals.client("citizen")
    before = read_ats()
    for url in (f"{API}/messages/{mine[2].pk}/read", f"{API}/messages/{uuid.uuid4()}/read"):
        response = client.post(url)
        assert response.status_code == 404
        assert response.json()["code"] == "message_not_found"
    assert client.get(f"{API}/messages/{mine[2].pk}").status_code == 404
    assert client.post(f"{API}/messages/not-a-uuid/read").status_code == 422
    assert read_ats() == before

    response = client.post(f"{API}/messages/{mine[0].pk}/read")
    assert response.status_code == 200
    assert response.json()["read_at"] is not None
    assert client.get(f"{API}/messages?unread_only=true").json()["unread"] == 1
    assert client.post(f"{API}/messages/read-all").json() == {"marked": 1}
    assert read_ats()[mine[2].pk] is None


def test_api_tokens_need_an_owner_and_the_scope(principals: Principals, mine: Any) -> None:
    response = principals.client("device").get(f"{API}/messages")
    assert response.status_code == 403
    _, bearer = make_api_token(name="app", scopes=["catalog:read"], owner=principals.citizen)
    response = Client(headers={"Authorization": f"Bearer {bearer}"}).get(f"{API}/messages")
    assert (response.status_code, response.json()["code"]) == (403, "insufficient_scope")
    _, bearer = make_api_token(name="app2", scopes=["notifications:read"], owner=principals.citizen)
    response = Client(headers={"Authorization": f"Bearer {bearer}"}).get(f"{API}/messages")
    assert response.status_code == 200
    assert response.json()["unread"] == 2


# ---- admin ---------------------------------------------------------------------------------


def test_admin_masks_phone_and_saves_templates_as_new_versions(principals: Principals) -> None:
    with transaction.atomic():
        [sms] = message_enqueue(event="case_accepted", context=CONTEXT, phone=PHONE)
    admin = principals.client("admin")
    for url in ("/admin/notifications/message/", f"/admin/notifications/message/{sms.pk}/change/"):
        html = admin.get(url).content.decode()
        assert "138****5678" in html
        assert PHONE not in html

    template = MessageTemplate.objects.get(event="case_accepted", language="zh-hans", version=1)
    url = f"/admin/notifications/messagetemplate/{template.pk}/change/"
    data = {
        "event": "case_accepted",
        "language": "zh-hans",
        "sms_text": "{{ number }} 已受理",
        "inapp_title": "已受理",
        "inapp_text": "{{ number }}",
        "is_active": "on",
    }
    response = admin.post(url, {**data, "sms_text": "{% if %}"})
    assert response.status_code == 200
    assert MessageTemplate.objects.filter(event="case_accepted", language="zh-hans").count() == 1

    response = admin.post(url, data)
    assert response.status_code == 302
    versions = dict(
        MessageTemplate.objects.filter(event="case_accepted", language="zh-hans").values_list("version", "sms_text")
    )
    assert versions == {
        1: "办件{{ number }}（{{ item }}）已受理，承诺办结日期{{ due_date }}。",
        2: "{{ number }} 已受理",
    }


def test_list_query_count_does_not_grow_with_messages(principals: Principals, mine: Any) -> None:
    client = principals.client("citizen")
    client.get(f"{API}/messages")  # warm the session and the user
    with CaptureQueriesContext(connection) as api_few:
        client.get(f"{API}/messages")
    with CaptureQueriesContext(connection) as page_few:
        client.get("/messages/")
    for _ in range(20):
        inapp(principals.citizen)
    with CaptureQueriesContext(connection) as api_many:
        assert len(client.get(f"{API}/messages").json()["items"]) == 22
    with CaptureQueriesContext(connection) as page_many:
        client.get("/messages/")
    assert (len(api_many), len(page_many)) == (len(api_few), len(page_few))
