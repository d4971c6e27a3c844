"""Grants of the demo and months of exchanges through the real exchange service.

**Grants** (共享授权), requested by the consumer departments and approved as the services do
(无条件共享 at once by the system; 有条件共享 by the provider, here the demo's system actor):

- for the cases app's pre-fill (用途 ``prefill``): the departments whose online items take data
  from the registers — the market bureau (entity registry and licences for its business items),
  the department of the demo citizen's fully-online item (household and insurance records), the
  civil-affairs bureau (household, 低保, 残疾人证, 婚姻), the education bureau (household, 学籍);
- for case handling (``case_handling``): the housing bureau (household, 不动产, 婚姻);
- for the supervision platform (``supervision``): the culture and tourism, health, emergency
  management and greenery bureaus (entity registry and licences) — the 商务委's ended 40 % into
  the history and its later calls are refused as expired;
- for statistics (``statistics``): the statistics bureau (entity registry, a few fields).

**History**: a few hundred exchanges on working days over the past months (five for the full
demo, one for ``size="small"``), each through ``exchange_query`` — both log entries signed by the
departments' keys — at its historical moment: the service reads the time from
``django.utils.timezone.now``, which :func:`clock` sets for the call (the demo's only way to date an
exchange in the past; the service itself is unchanged). Among them, realistic refusals: a purpose
that does not match the grant, fields outside the grant, an expired grant, a burst over a grant's
rate, and queries that find nothing. Idempotent: a log that already holds exchanges is left as it
is. The log is then sealed and verified.
"""

from __future__ import annotations

import contextlib
import datetime
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from onewindow.core.actors import Actor
from onewindow.core.calendar import is_working_day
from onewindow.core.errors import DomainError
from onewindow.core.models import Department

from ..choices import Purpose, SharingClass
from ..models import DataResource, ExchangeLogEntry, Grant
from ..selectors.access import grant_for
from ..services.access import request_approve, request_submit
from ..services.exchange import exchange_query


@contextlib.contextmanager
def clock(moment: datetime.datetime) -> Iterator[None]:
    """Make ``timezone.now()`` answer ``moment`` while the block runs (demo history only)."""
    real = timezone.now
    timezone.now = lambda: moment  # type: ignore[assignment]
    try:
        yield
    finally:
        timezone.now = real  # type: ignore[assignment]


@dataclass(frozen=True)
class GrantSpec:
    consumer: str  # department kind (310106-<KIND>)
    resource: str  # resources.Spec.key
    purpose: str
    purpose_text: str
    fields: tuple[str, ...] | None = None  # None: every field of the version
    weight: int = 1  # share of the history's calls
    rate: int = 600
    ends_at: float | None = None  # an expired grant: valid for this share of the history


ENTITY_SUPERVISION = ("credit_code", "name", "entity_type", "status", "address", "industry_code", "industry",
                      "established_on", "district_code", "district")
LICENCE_SUPERVISION = ("credit_code", "licence_name", "licence_number", "issuing_department", "valid_from",
                       "valid_to", "status")

GRANTS: tuple[GrantSpec, ...] = (
    GrantSpec("SCJG", "entity", Purpose.PREFILL, "企业登记、许可类网上办事事项申请表自动填写（减材料）", weight=10),
    GrantSpec("SCJG", "licences", Purpose.PREFILL, "许可变更、延续事项免交许可证复印件（减材料）", weight=6),
    GrantSpec("STORY", "persons", Purpose.PREFILL, "网上办事事项免交户口簿（核验本人户籍）", weight=8),
    GrantSpec("STORY", "social", Purpose.PREFILL, "网上办事事项免交社会保险缴费证明", weight=6),
    GrantSpec("MZ", "persons", Purpose.PREFILL, "社会救助、婚姻登记类事项核验户籍（减材料）", weight=4),
    GrantSpec("MZ", "dibao", Purpose.PREFILL, "减免类事项核验在保低保对象", weight=2),
    GrantSpec("MZ", "disability", Purpose.PREFILL, "残疾人两项补贴申请免交残疾人证复印件", weight=2),
    GrantSpec("JYJ", "persons", Purpose.PREFILL, "义务教育入学报名核验适龄儿童户籍", weight=3),
    GrantSpec("FGJ", "persons", Purpose.CASE_HANDLING, "住房保障申请审核核验申请人户籍", weight=2),
    GrantSpec("FGJ", "property", Purpose.CASE_HANDLING, "住房保障申请审核核查家庭住房情况", weight=1),
    GrantSpec("FGJ", "marriage", Purpose.CASE_HANDLING, "住房保障申请审核核验婚姻状况", weight=1),
    GrantSpec("WHLY", "entity", Purpose.SUPERVISION, "文化市场事中事后监管：核对经营主体登记状态",
              fields=ENTITY_SUPERVISION, weight=4),
    GrantSpec("WHLY", "licences", Purpose.SUPERVISION, "文化市场双随机抽查前核对许可证",
              fields=LICENCE_SUPERVISION, weight=3),
    GrantSpec("WJW", "entity", Purpose.SUPERVISION, "公共场所卫生监督核对经营主体", fields=ENTITY_SUPERVISION,
              weight=3),
    GrantSpec("WJW", "licences", Purpose.SUPERVISION, "卫生许可事中事后监管", fields=LICENCE_SUPERVISION, weight=2),
    GrantSpec("YJ", "entity", Purpose.SUPERVISION, "安全生产监管核对企业登记信息", fields=ENTITY_SUPERVISION, weight=2,
              rate=10),
    GrantSpec("LHSR", "entity", Purpose.SUPERVISION, "市容环境执法核对经营主体", fields=ENTITY_SUPERVISION, weight=1),
    GrantSpec("SWJ", "entity", Purpose.SUPERVISION, "商贸流通企业专项检查（已结束）", fields=ENTITY_SUPERVISION,
              weight=1, ends_at=0.4),
    GrantSpec("TJJ", "entity", Purpose.STATISTICS, "经济普查名录比对", fields=("credit_code", "name", "status",
                                                                               "industry_code", "district_code"),
              weight=2),
)
HISTORY = {"full": (150, 700), "small": (30, 120)}  # days back, exchanges


def grants_ensure(by: Actor, departments: dict[str, Department], resources: dict[str, DataResource],
                  start: datetime.date, progress: Callable[[int], object]) -> dict[GrantSpec, Grant]:
    """Each spec's grant (made once, requested and approved on ``start``)."""
    made: dict[GrantSpec, Grant] = {}
    today = timezone.localdate()
    for spec in GRANTS:
        consumer, resource = departments.get(spec.consumer), resources.get(spec.resource)
        if consumer is None or resource is None:
            continue
        existing = Grant.objects.filter(resource=resource, consumer_department=consumer, purpose=spec.purpose).first()
        if existing is None:
            valid_to = (start + datetime.timedelta(days=int((today - start).days * spec.ends_at)) if spec.ends_at
                        else today + datetime.timedelta(days=730))
            with clock(timezone.make_aware(datetime.datetime.combine(start, datetime.time(9, 30)))):
                assert resource.current is not None
                request, _token = request_submit(
                    by=by, resource=resource, consumer_department=consumer, purpose=spec.purpose,
                    purpose_text=spec.purpose_text, legal_basis=resource.current.legal_basis.split("；")[0],
                    fields=list(spec.fields) if spec.fields else resource.current.field_names,
                    valid_from=start.isoformat(), valid_to=valid_to.isoformat(), rate_per_minute=spec.rate)
                if resource.current.sharing_class == SharingClass.CONDITIONAL:
                    request_approve(by=by, request=request)
            existing = grant_for(consumer_department=consumer, resource_code=resource.code, purpose=spec.purpose)
            if existing is None:
                existing = Grant.objects.get(request=request)
        made[spec] = existing
        progress(1)
    return made


def _moments(rng: random.Random, start: datetime.date, end: datetime.date, count: int) -> list[datetime.datetime]:
    days = [start + datetime.timedelta(days=n) for n in range((end - start).days)]
    working = [d for d in days if is_working_day(d)] or days
    # More traffic in recent months (the platform is being taken up).
    weights = [1 + i / max(1, len(working)) * 2 for i in range(len(working))]
    out = []
    for day in rng.choices(working, weights=weights, k=count):
        minute = rng.randrange(9 * 60, 17 * 60 + 30)
        out.append(timezone.make_aware(datetime.datetime.combine(day, datetime.time(minute // 60, minute % 60,
                                                                                    rng.randrange(60)))))
    return sorted(out)


def _params(rng: random.Random, key: str, pools: dict[str, list[str]]) -> dict[str, str]:
    if key in ("entity", "licences"):
        pool = pools["licensed"] if key == "licences" and pools["licensed"] and rng.random() < 0.85 else pools["codes"]
        return {"credit_code": rng.choice(pool)}
    if key in ("persons", "social", "dibao", "disability", "marriage", "students"):
        return {"key": rng.choice(pools["people"])}
    return {"key": f"沪({rng.randrange(2015, 2018)})静字不动产权第{rng.randrange(1, 30000):06d}号"}


def _call(grant: Grant, purpose: str, params: dict[str, str], fields: list[str] | None = None) -> str:
    try:
        exchange_query(grant=grant, purpose=purpose, params=params, fields=fields)
    except DomainError as exc:
        return exc.code
    return "ok"


def history_play(rng: random.Random, grants: dict[GrantSpec, Grant], pools: dict[str, list[str]],
                 start: datetime.date, count: int, progress: Callable[[int], object]) -> dict[str, int]:
    """``count`` exchanges from ``start`` to yesterday (nothing when the log already has some)."""
    outcomes: dict[str, int] = {}
    if ExchangeLogEntry.objects.exists() or not grants:
        return outcomes
    specs = list(grants)
    weights = [s.weight for s in specs]
    moments = _moments(rng, start, timezone.localdate(), count)
    burst_at = moments[len(moments) * 2 // 3]
    for moment in moments:
        spec = rng.choices(specs, weights=weights)[0]
        grant = grants[spec]
        purpose, fields = spec.purpose, None
        roll = rng.random()
        if roll < 0.015:
            purpose = Purpose.CASE_HANDLING if spec.purpose != Purpose.CASE_HANDLING else Purpose.STATISTICS
        elif roll < 0.03 and spec.fields and grant.resource.current is not None:
            version = grant.resource.current
            outside = [n for n in version.field_names if n not in spec.fields and n not in version.personal_field_names]
            if outside:  # a field the grant leaves out (a personal one would be answered masked instead)
                fields = [*spec.fields[:2], outside[0]]
        with clock(moment):
            code = _call(grant, purpose, _params(rng, spec.resource, pools), fields)
            outcomes[code] = outcomes.get(code, 0) + 1
            if moment is burst_at:  # the emergency bureau's nightly job runs away: over its rate of 10 a minute
                yj = next((g for s, g in grants.items() if s.rate < 60), None)
                for _ in range(16 if yj is not None else 0):
                    assert yj is not None
                    code = _call(yj, Purpose.SUPERVISION, _params(rng, "entity", pools))
                    outcomes[code] = outcomes.get(code, 0) + 1
        progress(1)
    return outcomes


def pools_of(people: list[str]) -> dict[str, list[str]]:
    """What the history asks for: Jing'an credit codes (some unknown), those holding licences,
    and the residents' ID numbers (some from outside the dataset)."""
    from onewindow.accounts.sample_identifiers import sample_resident_id
    from onewindow.market.choices import RecordKind
    from onewindow.market.models import EntityProfile, PooledRecord

    codes = sorted(EntityProfile.objects.filter(district__code="310106")
                   .values_list("organization__credit_code", flat=True)[:5000])
    licensed = sorted(set(PooledRecord.objects.filter(kind=RecordKind.LICENCE, credit_code__in=codes)
                          .values_list("credit_code", flat=True)[:3000]))
    outsiders = [sample_resident_id("310104", datetime.date(1980 + n, 5, 17), 700 + n) for n in range(8)]
    return {"codes": codes or ["91310106MA1FL0TEST"], "licensed": licensed, "people": [*people, *outsiders]}


def resource_map(found: dict[str, DataResource | None]) -> dict[str, DataResource]:
    return {k: v for k, v in found.items() if v is not None}


def summary(outcomes: dict[str, int]) -> dict[str, Any]:
    return dict(sorted(outcomes.items()))
