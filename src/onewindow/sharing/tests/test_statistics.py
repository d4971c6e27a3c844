"""Data-sharing statistics (issue #13 part 6): the counts per resource, consumer, month and failure
from log entries written here (each exchange counted once), who sees what, the page (filters,
refusals with nothing written), the xlsx export's cells and the query-count guard."""

from __future__ import annotations

import datetime
import io
import uuid
from typing import Any

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from onewindow.accounts.choices import StaffRoleKind
from onewindow.accounts.testing import PRINCIPAL_NAMES, DepartmentFactory, Principals, StaffRoleFactory, UserFactory
from onewindow.core.models import Department
from onewindow.sharing.choices import ExchangeOutcome, ExchangeRole, Purpose, ResourceKind, SharingClass
from onewindow.sharing.models import DataResource, ExchangeLogEntry, ResourceVersion
from onewindow.sharing.selectors.statistics import MEASURES, sharing_statistics, sharing_statistics_xlsx

LOCAL = "OW-LOCAL"


def counts(**values: int) -> dict[str, int]:
    return {m: values.get(m, 0) for m in MEASURES}


def at(year: int, month: int, day: int = 15) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(year, month, day, 10, 0))


def resource(department: Department, number: int, name: str) -> DataResource:
    r = DataResource.objects.create(code=f"{department.code}-{number:04d}", provider_department=department,
                                    kind=ResourceKind.QUERY, provider="market.entity")
    v = ResourceVersion.objects.create(
        resource=r, number=1, name=name, sharing_class=SharingClass.UNCONDITIONAL, legal_basis="测试依据",
        update_frequency="daily", fields=[], contact_name="王", contact_phone="021-1", digest="0" * 64,
        published_at=timezone.now())
    r.current = v
    r.status = "published"
    r.save()
    return r


def entry(role: str, *, exchange_id: uuid.UUID, consumer: str, provider: str, resource_code: str,
          when: datetime.datetime, outcome: str, purpose: str, error_code: str) -> ExchangeLogEntry:
    return ExchangeLogEntry.objects.create(
        exchange_id=exchange_id, role=role, created_at=when, consumer_code=consumer, provider_code=provider,
        resource_code=resource_code, purpose=purpose, fields=["name"], params_digest="a" * 64,
        outcome=outcome, error_code=error_code, content_hash="b" * 64, kid="k", signature="s")


def exchange(res: DataResource | str, consumer: str, provider: str, when: datetime.datetime, *,
             outcome: str = ExchangeOutcome.OK, purpose: str = Purpose.CASE_HANDLING, error_code: str = "",
             sides: tuple[str, ...] = (ExchangeRole.CONSUMER, ExchangeRole.PROVIDER)) -> None:
    """Both log entries of one exchange (or only ``sides``, for one with another installation)."""
    code = res if isinstance(res, str) else res.code
    exchange_id = uuid.uuid4()
    for role in sides:
        entry(role, exchange_id=exchange_id, consumer=consumer, provider=provider, resource_code=code, when=when,
              outcome=outcome, purpose=purpose, error_code=error_code)


class World:
    def __init__(self, p: Principals) -> None:
        self.p = p
        self.market = p.department  # the manager administers it
        self.police = DepartmentFactory.create(code="TEST-310106-GAFJ", name="上海市静安区公安分局")
        self.social = DepartmentFactory.create(code="TEST-310106-RS", name="上海市静安区人力资源和社会保障局")
        self.entity = resource(self.market, 1, "市场主体登记信息")
        self.persons = resource(self.police, 1, "户籍人口登记信息")
        self.police_admin = UserFactory.create(username="police_admin")
        StaffRoleFactory.create(user=self.police_admin, role=StaffRoleKind.DEPARTMENT_ADMIN, department=self.police)
        self.data_clerk = UserFactory.create(username="market_data_clerk")
        StaffRoleFactory.create(user=self.data_clerk, role=StaffRoleKind.DATA_CLERK, department=self.market)

    def code(self, d: Department) -> str:
        return f"{LOCAL}:{d.code}"


@pytest.fixture
def world(principals: Principals) -> World:
    w = World(principals)
    m, police, social = w.code(w.market), w.code(w.police), w.code(w.social)
    # August 2017: the social bureau pre-fills from the entity registry 3 times (2 answered, 1 not
    # found) and the market bureau asks the police twice (1 answered, 1 refused: purpose mismatch).
    exchange(w.entity, social, m, at(2017, 8), purpose=Purpose.PREFILL)
    exchange(w.entity, social, m, at(2017, 8, 20), purpose=Purpose.PREFILL)
    exchange(w.entity, social, m, at(2017, 8, 21), purpose=Purpose.PREFILL, outcome=ExchangeOutcome.NOT_FOUND)
    exchange(w.persons, m, police, at(2017, 8, 2))
    exchange(w.persons, m, police, at(2017, 8, 3), outcome=ExchangeOutcome.REFUSED,
             error_code="sharing_purpose_mismatch")
    # September 2017: the social bureau asks the police 2 times (1 timeout, 1 answered under pre-fill)
    # and once for a resource of another installation (only our consumer entry exists here).
    exchange(w.persons, social, police, at(2017, 9), outcome=ExchangeOutcome.TIMEOUT,
             error_code="sharing_provider_timeout")
    exchange(w.persons, social, police, at(2017, 9, 2), purpose=Purpose.PREFILL)
    exchange("SH-OTHER-0001", social, "OW-CITY:SH-GA", at(2017, 9, 3), sides=(ExchangeRole.CONSUMER,))
    # October 2017: another installation's department asks the market bureau (our provider entry only).
    exchange(w.entity, "OW-CITY:SH-SCJ", m, at(2017, 10), sides=(ExchangeRole.PROVIDER,),
             outcome=ExchangeOutcome.REFUSED, error_code="sharing_grant_expired")
    return w


def test_the_numbers_from_the_log_each_exchange_once(world: World) -> None:
    assert ExchangeLogEntry.objects.count() == 2 * 7 + 2
    s = sharing_statistics(world.p.admin)
    assert [(r.key, r.name, r.detail, r.counts) for r in s.resources] == [
        # equal totals: in code order (GAFJ before SCJ)
        (world.persons.code, "户籍人口登记信息", world.police.name, counts(total=4, ok=2, failed=2, saved=1)),
        (world.entity.code, "市场主体登记信息", world.market.name,
         counts(total=4, ok=2, not_found=1, failed=1, saved=2)),
        ("SH-OTHER-0001", "", "", counts(total=1, ok=1)),
    ]
    assert [(r.key, r.name, r.counts) for r in s.consumers] == [
        (world.code(world.social), world.social.name, counts(total=6, ok=4, not_found=1, failed=1, saved=3)),
        (world.code(world.market), world.market.name, counts(total=2, ok=1, failed=1)),
        ("OW-CITY:SH-SCJ", "", counts(total=1, failed=1)),
    ]
    assert [(r.key, r.counts) for r in s.months] == [
        ("2017-08", counts(total=5, ok=3, not_found=1, failed=1, saved=2)),
        ("2017-09", counts(total=3, ok=2, failed=1, saved=1)),
        ("2017-10", counts(total=1, failed=1)),
    ]
    assert [(f.outcome, f.error_code, f.count) for f in s.failures] == [
        ("refused", "sharing_grant_expired", 1),
        ("refused", "sharing_purpose_mismatch", 1),
        ("timeout", "sharing_provider_timeout", 1),
    ]
    assert s.totals == counts(total=9, ok=5, not_found=1, failed=3, saved=3)


def test_a_department_admin_sees_its_departments_as_consumer_or_provider(world: World) -> None:
    s = sharing_statistics(world.p.manager)  # the market bureau: provider of the entity registry, consumer of persons
    assert [(r.key, r.counts["total"]) for r in s.resources] == [(world.entity.code, 4), (world.persons.code, 2)]
    assert s.totals == counts(total=6, ok=3, not_found=1, failed=2, saved=2)
    police = sharing_statistics(world.police_admin)
    assert [(r.key, r.counts["total"]) for r in police.resources] == [(world.persons.code, 4)]
    # Not a department admin: nothing (the page answers 403).
    assert sharing_statistics(world.data_clerk).totals == counts()
    assert sharing_statistics(world.p.clerk).resources == []


def test_period_and_department_filters(world: World) -> None:
    s = sharing_statistics(world.p.admin, first=datetime.date(2017, 9, 1), last=datetime.date(2017, 9, 30))
    assert s.totals == counts(total=3, ok=2, failed=1, saved=1)
    s = sharing_statistics(world.p.admin, department_id=world.police.pk)
    assert s.totals == counts(total=4, ok=2, failed=2, saved=1)
    # A department admin asking for a department outside its scope gets nothing.
    assert sharing_statistics(world.p.manager, department_id=world.police.pk).totals == counts()


def snapshot() -> tuple[Any, ...]:
    return tuple(ExchangeLogEntry.objects.order_by("pk").values_list("pk", "seq", "outcome"))


@pytest.mark.parametrize("url", ["/sharing/statistics/", "/sharing/statistics/xlsx/"])
@pytest.mark.parametrize("who", [*PRINCIPAL_NAMES, "data_clerk", "police_admin"])
def test_who_may_open_the_page_and_the_export(world: World, url: str, who: str) -> None:
    before = snapshot()
    if who in ("data_clerk", "police_admin"):
        from django.test import Client

        client = Client()
        client.force_login(getattr(world, who))
    else:
        client = world.p.client(who)
    response = client.get(url)
    if who in ("anonymous", "device"):
        assert (response.status_code, response["Location"]) == (302, f"/accounts/login/?next={url}")
    elif who in ("manager", "admin", "police_admin"):
        assert response.status_code == 200
    else:
        assert response.status_code == 403
        assert 'data-code="sharing_statistics_forbidden"' in response.content.decode()
    assert snapshot() == before


def test_the_page_shows_the_tables_and_the_chart_data(world: World) -> None:
    page = world.p.client("admin").get("/sharing/statistics/").content.decode()
    assert '<span class="figure" id="total-total">9</span>' in page
    assert '<span class="figure" id="total-saved">3</span>' in page
    assert f'<tr data-resource="{world.entity.code}"><th scope="row">{world.entity.code}</th>' in page
    september = '<tr data-month="2017-09"><th scope="row">2017-09</th>' + "".join(
        f"<td>{n}</td>" for n in (3, 2, 0, 1, 1))
    assert september in page
    assert '<tr data-code="sharing_provider_timeout">' in page
    assert 'id="sharing-statistics-chart"' in page and '"months": ["2017-08", "2017-09", "2017-10"]' in page
    assert "sharing/statistics.js" in page and "vendor/echarts-5.6.0.min.js" in page
    # The manager's page lists only the manager's department in the filter.
    manager = world.p.client("manager").get("/sharing/statistics/").content.decode()
    assert f'<option value="{world.market.pk}">' in manager and f'<option value="{world.police.pk}"' not in manager


def test_an_empty_period_says_so(world: World) -> None:
    page = world.p.client("admin").get("/sharing/statistics/?from=2016-01&to=2016-12").content.decode()
    assert 'id="no-figures"' in page and '<span class="figure" id="total-total">0</span>' in page


@pytest.mark.parametrize("query", ["from=2017-13", "to=17-09", "from=abcd-01"])
def test_a_malformed_month_is_refused(world: World, query: str) -> None:
    before = snapshot()
    response = world.p.client("admin").get(f"/sharing/statistics/?{query}")
    assert response.status_code == 422
    assert 'data-code="statistics_month_invalid"' in response.content.decode()
    assert world.p.client("admin").get(f"/sharing/statistics/xlsx/?{query}").status_code == 422
    assert snapshot() == before


def test_a_department_admin_may_not_filter_by_another_department(world: World) -> None:
    for url in ("/sharing/statistics/", "/sharing/statistics/xlsx/"):
        response = world.p.client("manager").get(f"{url}?department={world.police.pk}")
        assert response.status_code == 403
        assert 'data-code="sharing_statistics_department_forbidden"' in response.content.decode()
    assert world.p.client("admin").get(f"/sharing/statistics/?department={world.police.pk}").status_code == 200


def test_the_xlsx_export_cells(world: World) -> None:
    response = world.p.client("admin").get("/sharing/statistics/xlsx/?from=2017-08&to=2017-09")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="sharing-statistics.xlsx"'
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["按资源", "按使用部门", "按月份", "失败原因"]
    rows = [list(r) for r in book["按资源"].iter_rows(values_only=True)]
    assert rows[0] == ["数据共享交换统计（2017-08—2017-09）", None, None, None, None, None, None, None]
    assert rows[1] == ["资源编码", "资源名称", "提供部门", "交换次数", "成功", "无结果", "失败", "免交材料（预填）"]
    assert rows[2:] == [
        [world.persons.code, "户籍人口登记信息", world.police.name, 4, 2, 0, 2, 1],
        [world.entity.code, "市场主体登记信息", world.market.name, 3, 2, 1, 0, 2],
        ["SH-OTHER-0001", None, None, 1, 1, 0, 0, 0],
        ["合计", None, None, 8, 5, 1, 2, 3],
    ]
    months = [list(r) for r in book["按月份"].iter_rows(min_row=3, values_only=True)]
    assert months == [["2017-08", 5, 3, 1, 1, 2], ["2017-09", 3, 2, 0, 1, 1], ["合计", 8, 5, 1, 2, 3]]
    failures = [list(r) for r in book["失败原因"].iter_rows(min_row=3, values_only=True)]
    assert failures == [["拒绝", "sharing_purpose_mismatch", 1], ["超时", "sharing_provider_timeout", 1],
                        ["合计", None, 2]]


def test_a_hostile_resource_name_is_text_in_the_export(world: World) -> None:
    ResourceVersion.objects.filter(resource=world.entity).update(name='=HYPERLINK("http://x","y")')
    content = sharing_statistics_xlsx(sharing_statistics(world.p.admin))
    sheet = load_workbook(io.BytesIO(content))["按资源"]
    cell = next(row[1] for row in sheet.iter_rows(min_row=3) if row[0].value == world.entity.code)
    assert (cell.value, cell.data_type, cell.quotePrefix) == ('=HYPERLINK("http://x","y")', "s", True)


def test_the_query_count_does_not_grow_with_the_log(world: World, django_assert_num_queries: Any) -> None:
    # System admin (a superuser: no role query): four GROUP BYs, resource names, department names.
    with django_assert_num_queries(6):
        sharing_statistics(world.p.admin)
    for month in range(1, 13):
        for _ in range(5):
            exchange(world.entity, world.code(world.police), world.code(world.market), at(2016, month))
    admin = type(world.p.admin).objects.get(pk=world.p.admin.pk)
    with django_assert_num_queries(6):
        s = sharing_statistics(admin)
    assert s.totals["total"] == 69
    manager = type(world.p.manager).objects.get(pk=world.p.manager.pk)
    with django_assert_num_queries(8):  # + the roles and the department codes of the scope
        sharing_statistics(manager)
