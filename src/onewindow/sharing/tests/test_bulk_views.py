"""The bulk-drop pages (/sharing/drops/) and the operators' command ``sharing_load_drop``."""

from __future__ import annotations

from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client

from onewindow.accounts.testing import make_resident_id

from ..choices import DropStatus
from ..models import BulkDrop, DatasetRow
from ..services.bulk import drop_receive
from .test_bulk_world import BulkWorld, bulk, csv_bytes, make_resource, person_row, sha256

__all__ = ["bulk"]
pytestmark = pytest.mark.django_db
URL = "/sharing/drops/"


def upload(client: Client, world: BulkWorld, content: bytes, **overrides: str) -> Any:
    signed = world.sign(content)
    data = {"resource": world.resource.code, "sha256": signed["declared_sha256"], "kid": signed["kid"],
            "signature": signed["signature"], "file": SimpleUploadedFile("persons.csv", content), **overrides}
    return client.post(URL, data=data)


def test_a_data_clerk_sends_a_file_and_reads_its_counts_and_row_errors(bulk: BulkWorld) -> None:
    client = bulk.client("provider_clerk")
    page = client.get(URL)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="drop-form"' in html and f'<option value="{bulk.resource.code}"' in html
    rows = [person_row(), person_row(registered="也许"), person_row()]
    response = upload(client, bulk, csv_bytes(rows))
    drop = BulkDrop.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/sharing/drops/{drop.pk}/"
    detail = client.get(response["Location"]).content.decode()
    assert "文件已加载：新增 2 条，更新 0 条，未变 0 条，失败 1 条。" in detail
    assert 'id="loaded"' in detail and "<code>sharing_row_boolean</code>" in detail
    assert '<td class="num">3</td><td>registered</td>' in detail
    listed = client.get(URL).content.decode()
    assert f'data-drop="{drop.pk}"' in listed and "共 1 个文件" in listed


def test_a_refused_file_lands_on_its_page_with_the_reason_and_loads_nothing(bulk: BulkWorld) -> None:
    client = bulk.client("provider_admin")
    response = upload(client, bulk, csv_bytes([person_row()]), sha256="0" * 64)
    drop = BulkDrop.objects.get()
    assert (drop.status, drop.refusal_code) == (DropStatus.REFUSED, "sharing_drop_checksum")
    detail = client.get(response["Location"]).content.decode()
    assert 'data-code="sharing_drop_checksum"' in detail and "已拒收，未加载任何数据：" in detail
    assert DatasetRow.objects.count() == 0


def test_the_same_file_again_says_nothing_changed_and_names_the_earlier_drop(bulk: BulkWorld) -> None:
    client = bulk.client("provider_clerk")
    content = csv_bytes([person_row()])
    upload(client, bulk, content)
    second = upload(client, bulk, content)
    first_pk = BulkDrop.objects.order_by("pk").values_list("pk", flat=True)[0]
    detail = client.get(second["Location"]).content.decode()
    assert 'id="unchanged"' in detail and f"第 {first_pk} 号文件相同" in detail


def test_a_drop_still_loading_says_so(bulk: BulkWorld) -> None:
    drop = BulkDrop.objects.create(resource=bulk.resource, version=bulk.resource.current, file_name="big.csv",
                                   declared_sha256="0" * 64, actual_sha256="0" * 64)
    detail = bulk.client("provider_clerk").get(f"{URL}{drop.pk}/").content.decode()
    assert 'id="received"' in detail and 'id="unchanged"' not in detail


def test_a_form_without_a_file_is_refused_on_the_form(bulk: BulkWorld) -> None:
    client = bulk.client("provider_clerk")
    response = client.post(URL, {"resource": bulk.resource.code, "sha256": "0" * 64})
    assert response.status_code == 422
    assert 'data-code="sharing_drop_file_missing"' in response.content.decode()
    assert BulkDrop.objects.count() == 0


def test_another_department_sees_no_form_and_is_refused_when_it_posts(bulk: BulkWorld) -> None:
    client = bulk.client("outsider_admin")
    assert 'id="drop-form"' not in client.get(URL).content.decode()
    response = upload(client, bulk, csv_bytes([person_row()]))
    assert response.status_code == 403
    assert 'data-code="sharing_drop_forbidden"' in response.content.decode()
    assert BulkDrop.objects.count() == 0


@pytest.mark.parametrize(("name", "list_status", "detail_status"), [
    ("anonymous", 302, 302), ("citizen", 403, 403), ("clerk", 200, 404), ("outsider_admin", 200, 404),
    ("consumer_admin", 200, 404), ("provider_clerk", 200, 200), ("provider_admin", 200, 200), ("admin", 200, 200),
])
def test_who_sees_the_pages(bulk: BulkWorld, name: str, list_status: int, detail_status: int) -> None:
    content = csv_bytes([person_row()])
    drop = drop_receive(by=bulk.w.provider_clerk, resource=bulk.resource, file_name="a.csv", content=content,
                        **bulk.sign(content))
    client = bulk.client(name)
    listed = client.get(URL)
    detail = client.get(f"{URL}{drop.pk}/")
    assert (listed.status_code, detail.status_code) == (list_status, detail_status)
    if list_status == 200:
        assert (f'data-drop="{drop.pk}"' in listed.content.decode()) == (detail_status == 200)


# --------------------------------------------------------------------------- the command
def _file(tmp_path: Path, content: bytes) -> Path:
    path = tmp_path / "persons.csv"
    path.write_bytes(content)
    return path


def test_the_command_loads_a_signed_file_and_prints_counts_and_errors(bulk: BulkWorld, tmp_path: Path) -> None:
    rows = [person_row(id_number=make_resident_id("310106", serial=i)) for i in range(4)]
    rows[2]["household_size"] = "x"
    content = csv_bytes(rows)
    signed = bulk.sign(content)
    out = StringIO()
    call_command("sharing_load_drop", str(_file(tmp_path, content)), "--resource", bulk.resource.code,
                 "--sha256", signed["declared_sha256"], "--kid", signed["kid"], "--signature", signed["signature"],
                 stdout=out)
    drop = BulkDrop.objects.get()
    assert out.getvalue().splitlines() == [
        f"drop #{drop.pk} loaded: 4 rows, 3 created, 0 updated, 0 unchanged, 1 failed",
        "  line 4 household_size sharing_row_integer: “户内人数”应为整数。",
    ]
    assert drop.created_by is None and DatasetRow.objects.count() == 3


def test_the_command_exits_1_on_a_refused_file_and_loads_nothing(bulk: BulkWorld, tmp_path: Path) -> None:
    content = csv_bytes([person_row()])
    with pytest.raises(CommandError) as refused:
        call_command("sharing_load_drop", str(_file(tmp_path, content)), "--resource", bulk.resource.code,
                     "--sha256", sha256(content), stdout=StringIO())
    assert "sharing_drop_signature" in str(refused.value)
    assert BulkDrop.objects.get().status == DropStatus.REFUSED and DatasetRow.objects.count() == 0


def test_the_command_acting_as_a_user_is_held_to_that_users_rights(bulk: BulkWorld, tmp_path: Path) -> None:
    content = csv_bytes([person_row()])
    signed = bulk.sign(content)
    args = [str(_file(tmp_path, content)), "--resource", bulk.resource.code, "--sha256", signed["declared_sha256"],
            "--kid", signed["kid"], "--signature", signed["signature"]]
    with pytest.raises(CommandError) as refused:
        call_command("sharing_load_drop", *args, "--user", bulk.w.outsider_admin.username, stdout=StringIO())
    assert str(refused.value).startswith("sharing_drop_forbidden")
    out = StringIO()
    call_command("sharing_load_drop", *args, "--user", bulk.w.provider_clerk.username, stdout=out)
    assert BulkDrop.objects.get().created_by == bulk.w.provider_clerk
    call_command("sharing_load_drop", *args, stdout=out)
    assert out.getvalue().splitlines()[-1] == "nothing changed"


def test_the_command_names_an_unknown_resource(bulk: BulkWorld, tmp_path: Path) -> None:
    other = make_resource(bulk.department)
    with pytest.raises(CommandError) as refused:
        call_command("sharing_load_drop", str(_file(tmp_path, b"x")), "--resource", other.code + "9",
                     "--sha256", "0" * 64, stdout=StringIO())
    assert str(refused.value).startswith("sharing_resource_not_found")
