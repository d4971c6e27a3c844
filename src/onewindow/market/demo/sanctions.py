"""Demo 联合惩戒 lists (issue #12 part 7): a handful of the demo registry's entities on the lists of
the 静安区市场监督管理局, written through :func:`onewindow.market.services.sanctions.sanction_list`.

- 20 entities on the 经营异常名录 (未按规定报送年度报告 or 通过登记的住所无法联系), window warning;
- 5 entities on the 严重违法失信企业名单, window warning and a doubled draw weight;
- the demo agent's organization (the ``agent`` account, whose case waits at the window) on the
  严重违法失信企业名单 with ``window_refusal`` of the item types its demo case applies for, so that
  accepting that case shows the refusal.

Deterministic for a seed and idempotent: each entry has a fixed source record id, so a second run
delivers the same content and changes nothing.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable
from typing import Any

from onewindow.accounts.models import Organization, User
from onewindow.catalog.models import ServiceItem
from onewindow.core.actors import system_actor
from onewindow.core.models import Department

from ..models import EntityProfile
from ..services.sanctions import sanction_list

JINGAN = "310106"
ANOMALIES, SERIOUS = 20, 5
FIRST_DAY, LAST_DAY = datetime.date(2016, 9, 1), datetime.date(2017, 8, 31)
ANOMALY_CAUSES = (
    ("未按规定期限公示年度报告", "《企业信息公示暂行条例》第八条、第十七条；《企业经营异常名录管理暂行办法》第四条"),
    ("通过登记的住所或者经营场所无法联系", "《企业经营异常名录管理暂行办法》第四条、第九条"),
)
SERIOUS_CAUSE = (
    "被列入经营异常名录届满3年仍未履行相关义务",
    "《严重违法失信企业名单管理暂行办法》第五条（文号待核实）；国发〔2016〕33号",
)


def _department() -> Department | None:
    return Department.objects.filter(code__iexact=f"{JINGAN}-SCJG").first()


def _day(rng: random.Random) -> datetime.date:
    return FIRST_DAY + datetime.timedelta(days=rng.randrange((LAST_DAY - FIRST_DAY).days))


def _refused_types() -> list[str]:
    """The item types of the online items an organization applies for (their form asks for a credit
    code), as the cases demo's enterprise story chooses them."""
    types = set()
    for item in ServiceItem.objects.filter(status="active", current_version__isnull=False).select_related(
        "current_version__item_type"
    ):
        version = item.current_version
        assert version is not None
        if "credit_code" in (version.form_schema or {}).get("properties", {}):
            types.add(version.item_type.code)
    return sorted(types)


def load(progress: Callable[[int], object], seed: int, size: str = "full") -> Any:
    dept = _department()
    if dept is None:
        return None
    by = system_actor("demo_data")
    rng = random.Random(seed + 12)
    agent = User.objects.filter(username="agent").select_related("organization").first()
    skip = {agent.organization_id} if agent is not None and agent.organization_id else set()
    entities = list(
        EntityProfile.objects.filter(district__code=JINGAN)
        .exclude(organization_id__in=skip)
        .order_by("organization_id")
        .values_list("organization__credit_code", "organization__name")[: ANOMALIES + SERIOUS]
    )
    for n, (code, name) in enumerate(entities[:ANOMALIES], start=1):
        reason, basis = ANOMALY_CAUSES[n % len(ANOMALY_CAUSES)]
        entry = {"list_kind": "business_anomaly", "source_id": f"demo-jyyc-{n:03d}", "credit_code": code}
        sanction_list(
            by=by,
            department=dept.pk,
            entry={**entry, "subject_name": name, "reason": reason, "legal_basis": basis, "listed_on": _day(rng)},
        )
        progress(1)
    for n, (code, name) in enumerate(entities[ANOMALIES:], start=1):
        entry = {"list_kind": "serious_violation", "source_id": f"demo-yzsx-{n:03d}", "credit_code": code}
        sanction_list(
            by=by,
            department=dept.pk,
            entry={
                **entry,
                "subject_name": name,
                "reason": SERIOUS_CAUSE[0],
                "legal_basis": SERIOUS_CAUSE[1],
                "listed_on": _day(rng),
                "measures": ["window_warning", "draw_weight", "public_disclosure"],
            },
        )
        progress(1)
    organization = Organization.objects.filter(pk__in=skip).first()
    types = _refused_types()
    if organization is not None and types:
        sanction_list(
            by=by,
            department=dept.pk,
            entry={
                "list_kind": "serious_violation",
                "source_id": "demo-yzsx-window",
                "credit_code": organization.credit_code,
                "subject_name": organization.name,
                "reason": "提供虚假材料骗取行政许可",
                "legal_basis": "《中华人民共和国行政许可法》第七十九条；国发〔2016〕33号",
                "listed_on": datetime.date(2017, 6, 1),
                "measures": ["window_warning", "window_refusal", "public_disclosure"],
                "refused_item_types": types,
            },
        )
        progress(1)
    return None
