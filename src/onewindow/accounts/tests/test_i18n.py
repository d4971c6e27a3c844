"""Refusals come in the request's language (zh-Hans by default, English on request)."""

from __future__ import annotations

from onewindow.accounts.testing import Principals


def test_refusal_messages_follow_accept_language(principals: Principals) -> None:
    url = f"/api/v1/accounts/persons/{principals.citizen.person.ref}?unmask=true"
    zh = principals.client("citizen").get(url).json()
    en = principals.client("citizen").get(url, headers={"Accept-Language": "en"}).json()
    assert (zh["code"], zh["message"]) == ("unmask_forbidden", "您无权查看完整的个人信息")
    # The wording of the English catalogs may change; it must be English, not the Chinese source.
    assert en["code"] == "unmask_forbidden" and en["message"].isascii() and "personal data" in en["message"]


def test_token_refusal_in_english(principals: Principals) -> None:
    from django.test import Client

    response = Client(headers={"Authorization": "Bearer ow_000000000000_nope", "Accept-Language": "en"}).get(
        "/api/v1/accounts/me")
    data = response.json()
    assert (data["code"], data["fields"]) == ("token_invalid", {})
    assert data["message"].isascii() and "token" in data["message"].lower()
