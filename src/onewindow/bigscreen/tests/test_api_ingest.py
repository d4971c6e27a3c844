"""The crowd ingest API (issue #16 part 2): the authorization matrix of the ingest endpoints — no
token, a staff session, a token without ``crowd:ingest``, a token bound to no source, a revoked
token, a deactivated source, another area's token — and of the revisions endpoint (anonymous,
citizen, staff, a source token); the answers' bodies and statuses; every refusal leaves the rows
as they were; bad bodies are 4xx, never 500 (hypothesis)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onewindow.accounts.models import ApiToken
from onewindow.accounts.testing import Principals, make_api_token
from onewindow.bigscreen.buckets import bucket_floor, bucket_iso
from onewindow.bigscreen.models import CrowdAreaBucket, CrowdCount, CrowdReport, CrowdRevision, Source
from onewindow.bigscreen.testing import CrowdWorld

pytestmark = pytest.mark.django_db
API = "/api/v1/bigscreen/crowd"


def recent(minutes_ago: int = 10) -> str:
    """A closed bucket of the real clock (the API reads it), as ISO text."""
    return bucket_iso(bucket_floor(timezone.now() - datetime.timedelta(minutes=minutes_ago), 5))


def body(area: str = "nanjingxilu", bucket: str | None = None, present: int = 120) -> dict[str, Any]:
    return {"area": area, "bucket_start": bucket or recent(),
            "counts": [{"zone": "plaza66", "origin": "local", "present": present, "arrivals": 12},
                       {"zone": "citic", "region": "HK", "present": 9, "arrivals": 1}]}


def bearer(token: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {token}"})


def csv_text(bucket: str) -> str:
    return f"bucket_start,zone,origin,present,arrivals\n{bucket},plaza66,local,120,12\n{bucket},citic,HK,9,1\n"


def post(client: Client, endpoint: str, bucket: str) -> Any:
    if endpoint == "report":
        return client.post(f"{API}/reports", data=body(bucket=bucket), content_type="application/json")
    if endpoint == "batch":
        return client.post(f"{API}/reports/batch", data={"reports": [body(bucket=bucket)]},
                           content_type="application/json")
    return client.post(f"{API}/backfill", data=csv_text(bucket), content_type="text/csv")


def state() -> Any:
    return (sorted(CrowdReport.objects.values_list("pk", "source_id", "bucket_start", "revision", "digest")),
            sorted(CrowdRevision.objects.values_list("pk", "revision")),
            sorted(CrowdCount.objects.values_list("report_id", "zone_id", "origin", "present")),
            sorted(CrowdAreaBucket.objects.values_list("bucket_start", "present", "sources")),
            sorted(Source.objects.values_list("pk", "is_active", "last_bucket_start", "last_received_at")))


ENDPOINTS = ["report", "batch", "backfill"]


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize(("who", "status", "code"), [
    ("nobody", 401, "unauthenticated"),
    ("staff_session", 401, "unauthenticated"),
    ("garbage_token", 401, "token_invalid"),
    ("wrong_scope", 403, "insufficient_scope"),
    ("no_source", 403, "crowd_source_unknown"),
    ("revoked", 401, "token_revoked"),
    ("expired", 401, "token_expired"),
    ("inactive_source", 403, "crowd_source_inactive"),
    ("other_area", 403, "crowd_source_wrong_area"),
])
def test_ingest_authorization_matrix(crowd_world: CrowdWorld, principals: Principals, endpoint: str, who: str,
                                     status: int, code: str) -> None:
    w = crowd_world
    if who == "nobody":
        client = Client()
    elif who == "staff_session":
        client = principals.client("admin")
    elif who == "garbage_token":
        client = bearer("ow_000000000000_nothing")
    elif who == "wrong_scope":
        client = bearer(make_api_token(scopes=["device"], system_name="x")[1])
    elif who == "no_source":
        client = bearer(make_api_token(scopes=["crowd:ingest"], system_name="x")[1])
    elif who == "revoked":
        ApiToken.objects.filter(pk=w.source.token_id).update(revoked_at=timezone.now())
        client = bearer(w.bearer)
    elif who == "expired":
        ApiToken.objects.filter(pk=w.source.token_id).update(expires_at=timezone.now() - datetime.timedelta(days=1))
        client = bearer(w.bearer)
    elif who == "inactive_source":
        Source.objects.filter(pk=w.source.pk).update(is_active=False)
        client = bearer(w.bearer)
    else:  # lujiazui's token, sending nanjingxilu's counts (the CSV of the backfill names no area:
        client = bearer(w.other_bearer)  # its zones are then unknown in lujiazui)
    before = state()
    answer = post(client, endpoint, recent())
    if who == "other_area" and endpoint == "backfill":
        status, code = 422, "crowd_zone_unknown"
    assert (answer.status_code, answer.json()["code"]) == (status, code)
    assert state() == before


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_the_source_token_of_the_area_is_accepted(crowd_world: CrowdWorld, endpoint: str) -> None:
    w = crowd_world
    bucket = recent()
    answer = post(bearer(w.bearer), endpoint, bucket)
    expected = {"area": "nanjingxilu", "bucket_start": bucket, "revision": 1, "status": "created"}
    if endpoint == "report":
        assert (answer.status_code, answer.json()) == (201, expected)
    elif endpoint == "batch":
        assert (answer.status_code, answer.json()) == (200, {"reports": [expected], "created": 1, "unchanged": 0,
                                                             "corrected": 0})
    else:
        assert (answer.status_code, answer.json()) == (200, {"rows": 2, "reports": 1, "created": 1, "unchanged": 0,
                                                             "corrected": 0})
    assert CrowdAreaBucket.objects.get().present == 129
    assert CrowdRevision.objects.get().via == ("csv" if endpoint == "backfill" else "api")


def test_resend_and_correction_statuses(crowd_world: CrowdWorld) -> None:
    w = crowd_world
    client = bearer(w.bearer)
    bucket = recent()
    first = client.post(f"{API}/reports", data=body(bucket=bucket), content_type="application/json")
    again = client.post(f"{API}/reports", data=body(bucket=bucket), content_type="application/json")
    fixed = client.post(f"{API}/reports", data=body(bucket=bucket, present=121), content_type="application/json")
    assert [(r.status_code, r.json()["status"], r.json()["revision"]) for r in (first, again, fixed)] == [
        (201, "created", 1), (200, "unchanged", 1), (200, "corrected", 2)]


def test_bad_input_answers(crowd_world: CrowdWorld) -> None:
    w = crowd_world
    client = bearer(w.bearer)
    before = state()
    future = bucket_iso(bucket_floor(timezone.now() + datetime.timedelta(minutes=10), 5))
    cases: list[tuple[Any, str, int, dict[str, Any]]] = [
        ({**body(), "counts": [{"zone": "plaza66", "origin": "local", "present": -1, "arrivals": 0}]},
         "application/json", 422,
         {"code": "crowd_count_negative", "fields": {"counts[0].present": ["人数不能为负数。"]}}),
        ({**body(), "area": "nowhere"}, "application/json", 422,
         {"code": "crowd_area_unknown", "fields": {"area": ["商圈代码不存在或已停用。"]}}),
        (body(bucket=future), "application/json", 422, {"code": "crowd_bucket_future"}),
        ({"area": "nanjingxilu"}, "application/json", 422, {"code": "invalid"}),
        ("{not json", "application/json", 400, {"code": "malformed_request"}),
    ]
    for data, content_type, status, expected in cases:
        answer = client.post(f"{API}/reports", data=data, content_type=content_type)
        assert answer.status_code == status
        assert {key: answer.json()[key] for key in expected} == expected
    answer = client.post(f"{API}/reports/batch", data={"reports": [body(), body(bucket=future)]},
                         content_type="application/json")
    assert (answer.status_code, answer.json()["code"], list(answer.json()["fields"])) == (
        422, "crowd_bucket_future", ["reports[1].bucket_start"])
    answer = client.post(f"{API}/backfill", data=csv_text(recent()), content_type="application/json")
    assert (answer.status_code, answer.json()["code"]) == (415, "crowd_csv_content_type")
    answer = client.post(f"{API}/backfill", data=csv_text(recent()).replace("120", "-120"), content_type="text/csv")
    assert (answer.status_code, answer.json()["code"], answer.json()["fields"]) == (
        422, "crowd_count_negative", {"lines[2].present": ["人数不能为负数。"]})
    assert state() == before


# ---- the revisions of a bucket (staff) -----------------------------------------------------------

def _revisions_url(bucket: str, area: str = "nanjingxilu") -> str:
    return f"{API}/reports/{area}/{bucket}/revisions"


@pytest.mark.parametrize(("who", "status", "code"), [
    ("anonymous", 401, "unauthenticated"),
    ("citizen", 403, "bigscreen_staff_only"),
    ("agent", 403, "bigscreen_staff_only"),
    ("source_token", 403, "insufficient_scope"),
    ("device", 403, "insufficient_scope"),
    ("clerk", 200, None),
    ("admin", 200, None),
])
def test_revisions_authorization_matrix(crowd_world: CrowdWorld, principals: Principals, who: str, status: int,
                                        code: str | None) -> None:
    w = crowd_world
    bucket = recent()
    client = bearer(w.bearer)
    client.post(f"{API}/reports", data=body(bucket=bucket), content_type="application/json")
    client.post(f"{API}/reports", data=body(bucket=bucket, present=130), content_type="application/json")
    viewer = bearer(w.bearer) if who == "source_token" else principals.client(who)
    answer = viewer.get(_revisions_url(bucket))
    assert answer.status_code == status
    if code is not None:
        assert answer.json()["code"] == code
        return
    page = answer.json()
    assert (page["total"], page["page"], page["pages"]) == (2, 1, 1)
    assert [(item["source"], item["revision"], item["current"], item["via"]) for item in page["items"]] == [
        ("运营商测试源", 1, False, "api"), ("运营商测试源", 2, True, "api")]
    assert page["items"][1]["counts"] == [
        {"zone": "citic", "origin": "domestic", "present": 9, "arrivals": 1},
        {"zone": "plaza66", "origin": "local", "present": 130, "arrivals": 12}]


def test_revisions_of_an_unknown_area_or_a_misaligned_bucket(crowd_world: CrowdWorld, principals: Principals) -> None:
    client = principals.client("clerk")
    answer = client.get(_revisions_url(recent(), area="nowhere"))
    assert (answer.status_code, answer.json()["code"]) == (404, "bigscreen_area_not_found")
    answer = client.get(_revisions_url("2026-03-02T12:57:00+08:00"))
    assert (answer.status_code, answer.json()["code"]) == (422, "crowd_bucket_misaligned")
    answer = client.get(_revisions_url("noon"))
    assert (answer.status_code, answer.json()["code"]) == (422, "crowd_bucket_invalid")
    answer = client.get(_revisions_url("2026-03-02T04:55:00Z"))
    assert (answer.status_code, answer.json()["total"]) == (200, 0)


JSONISH = st.recursive(st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=True)
                       | st.text(max_size=12),
                       lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner,
                                                                                    max_size=5), max_leaves=12)
COUNT = st.fixed_dictionaries({}, optional={"zone": st.sampled_from(["plaza66", "citic", "ifc", ""]) | JSONISH,
                                            "origin": st.sampled_from(["local", "domestic", "intl"]) | JSONISH,
                                            "region": st.sampled_from(["31", "HK", "US"]) | JSONISH,
                                            "present": st.integers(-5, 20_000) | JSONISH,
                                            "arrivals": st.integers(-5, 20_000) | JSONISH})


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(area=st.sampled_from(["nanjingxilu", "lujiazui", "x"]) | JSONISH,
       bucket=st.sampled_from(["2026-03-02T12:55:00+08:00", "2026-03-02T12:55:00", "9999-12-31T23:55:00+14:00",
                               "0001-01-01T00:00:00-12:00"]) | JSONISH,
       counts=st.lists(COUNT, max_size=4) | JSONISH)
def test_any_body_is_answered_without_a_server_error(crowd_world: CrowdWorld, area: Any, bucket: Any,
                                                      counts: Any) -> None:
    client = bearer(crowd_world.bearer)
    answer = client.post(f"{API}/reports", data={"area": area, "bucket_start": bucket, "counts": counts},
                         content_type="application/json")
    assert answer.status_code in (200, 201, 400, 403, 422), answer.content
    assert set(answer.json()) == ({"area", "bucket_start", "revision", "status"} if answer.status_code < 300
                                  else {"code", "message", "fields"})
