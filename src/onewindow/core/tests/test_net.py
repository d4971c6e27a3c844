"""The client address behind the load balancer (issue #9 point 4): one helper, trusted proxies only.

``X-Forwarded-For`` is believed only when the connecting peer is a listed proxy, walked from the
right; the login lock-out, the 一码查询 throttle and the audit trail all read the same address.
"""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.test import Client, RequestFactory

from onewindow.accounts.models import User
from onewindow.accounts.testing import PASSWORD, UserFactory
from onewindow.core.actors import system_actor
from onewindow.core.audit import audit_record
from onewindow.core.models import AuditEntry
from onewindow.core.net import client_ip
from onewindow.core.request_context import current_request

LOGIN = "/accounts/login/"
BALANCER = "10.0.0.2"


def request_from(peer: str, forwarded: str | None = None):  # type: ignore[no-untyped-def]
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return RequestFactory().get("/", REMOTE_ADDR=peer, **extra)


def test_spoofed_forwarded_for_from_an_untrusted_peer_is_ignored(settings) -> None:  # type: ignore[no-untyped-def]
    settings.TRUSTED_PROXIES = ["10.0.0.0/24"]
    assert client_ip(request_from("203.0.113.5", "198.51.100.1")) == "203.0.113.5"
    settings.TRUSTED_PROXIES = []
    assert client_ip(request_from(BALANCER, "198.51.100.1")) == BALANCER


def test_a_trusted_proxy_chain_is_walked_from_the_right(settings) -> None:  # type: ignore[no-untyped-def]
    settings.TRUSTED_PROXIES = ["10.0.0.0/24", "172.16.0.5", "2001:db8:1::/48"]
    # The client forged the leftmost entry; nginx appended the real one; an inner proxy its own.
    assert client_ip(request_from(BALANCER, "6.6.6.6, 198.51.100.7, 172.16.0.5")) == "198.51.100.7"
    assert client_ip(request_from(BALANCER, "198.51.100.7")) == "198.51.100.7"
    assert client_ip(request_from("2001:db8:1::9", "2001:DB8:2::7")) == "2001:db8:2::7"
    assert client_ip(request_from(BALANCER, "::ffff:198.51.100.8")) == "198.51.100.8"
    # Every hop trusted (a health check from inside): the leftmost hop is the client.
    assert client_ip(request_from(BALANCER, "10.0.0.7, 172.16.0.5")) == "10.0.0.7"
    # No header at all: the peer itself.
    assert client_ip(request_from(BALANCER)) == BALANCER


def test_garbage_forwarded_for_is_ignored(settings) -> None:  # type: ignore[no-untyped-def]
    settings.TRUSTED_PROXIES = ["10.0.0.0/24"]
    for header in ("", "not-an-address", "300.1.1.1", "1.2.3.4\x00", "198.51.100.7, <script>", ",,,",
                   "198.51.100.7:443", "１９８.51.100.7"):
        assert client_ip(request_from(BALANCER, header)) == BALANCER, header
    # Garbage to the left of a real untrusted hop does not matter: the walk stops at that hop.
    assert client_ip(request_from(BALANCER, "garbage, 198.51.100.7")) == "198.51.100.7"
    # A garbage REMOTE_ADDR (a misconfigured socket) never reaches a caller as text.
    assert client_ip(request_from("unix:/run/gunicorn.sock", "198.51.100.7")) == ""


@pytest.mark.django_db
def test_the_audit_records_the_client_behind_the_balancer(settings) -> None:  # type: ignore[no-untyped-def]
    settings.TRUSTED_PROXIES = [BALANCER]
    token = current_request.set(request_from(BALANCER, "203.0.113.9, 198.51.100.7"))
    try:
        entry = audit_record(actor=system_actor("tester"), action="test.write")
    finally:
        current_request.reset(token)
    assert AuditEntry.objects.get(pk=entry.pk).ip == "198.51.100.7"


@pytest.mark.django_db
def test_five_bad_passwords_through_the_balancer_lock_only_that_client(settings) -> None:  # type: ignore[no-untyped-def]
    settings.TRUSTED_PROXIES = ["127.0.0.1"]  # the test client connects from 127.0.0.1, like nginx on the host
    user = UserFactory.create(username="clerk-behind-lb")
    attacker = Client(HTTP_X_FORWARDED_FOR="198.51.100.66")
    statuses = [attacker.post(LOGIN, {"username": user.username, "password": f"wrong-{i}"}).status_code
                for i in range(5)]
    assert statuses == [200, 200, 200, 200, 429]
    assert attacker.post(LOGIN, {"username": user.username, "password": PASSWORD}).status_code == 429
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["198.51.100.66"]

    colleague = Client(HTTP_X_FORWARDED_FOR="198.51.100.10")
    response = colleague.post(LOGIN, {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    assert colleague.session["_auth_user_id"] == str(User.objects.get(username=user.username).pk)


@pytest.mark.django_db
def test_the_query_throttle_counts_per_client_behind_the_balancer(settings) -> None:  # type: ignore[no-untyped-def]
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    guesser = Client(HTTP_X_FORWARDED_FOR="198.51.100.66")
    statuses = [guesser.post("/cases/query/", {"code": "ZZZZZZZZZZ", "tail": "0000"}).status_code
                for _ in range(11)]
    assert statuses == [404] * 10 + [429]
    neighbour = Client(HTTP_X_FORWARDED_FOR="198.51.100.10")
    assert neighbour.post("/cases/query/", {"code": "ZZZZZZZZZZ", "tail": "0000"}).status_code == 404
    # The same client connecting directly cannot buy a fresh budget with a forged header.
    forger = Client(REMOTE_ADDR="198.51.100.66", HTTP_X_FORWARDED_FOR="203.0.113.1")
    assert forger.post("/cases/query/", {"code": "ZZZZZZZZZZ", "tail": "0000"}).status_code == 429
