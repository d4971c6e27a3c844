"""Reads of taxqr, always scoped to the requesting user (ARCHITECTURE rule 1)."""

from __future__ import annotations

import copy
import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, DurationField, ExpressionWrapper, F, IntegerField, Q, QuerySet
from django.db.models.functions import Floor, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onewindow.core.errors import NotFound
from onewindow.core.masking import mask_id_number, mask_name, mask_phone
from onewindow.core.models import Region

from . import permissions as perms
from . import tax
from .choices import RateKind
from .models import ClientDraft, RateRow, TaxRecord

# The seed article's figures (shared/seed/figures.json, smart_tax): minutes per transaction.
SEED_WINDOW_MINUTES = (15, 8)
SEED_ENTRY_MINUTES = (5, 1)


def rate_table() -> tax.RateTable:
    """The rate table (税率表) the estimate uses: the staff-edited RateRows, or tax.SEED when empty."""
    rows = list(RateRow.objects.all())
    if not rows:
        return tax.SEED
    deed = tuple(tax.DeedRate(r.valid_from, r.valid_to, int(r.home_rank or 1), r.max_area, r.rate, r.basis,
                              r.confirmed) for r in rows if r.kind == RateKind.DEED)
    vat = tuple(tax.VatRule(r.valid_from, r.valid_to, r.rate, r.rate_long_ordinary or Decimal("0"),
                            r.rate_long_non_ordinary or Decimal("0"), r.basis) for r in rows if r.kind == RateKind.VAT)
    income = tuple(tax.IncomeTaxRule(r.valid_from, r.valid_to, r.rate, r.rate_non_ordinary or r.rate, r.basis,
                                     r.confirmed) for r in rows if r.kind == RateKind.INCOME)
    return tax.RateTable(deed=deed, vat=vat, income=income)


def _mask_person(person: dict[str, Any]) -> dict[str, Any]:
    out = dict(person)
    if "name" in out:
        out["name"] = mask_name(str(out["name"]))
    if "id_number" in out:
        out["id_number"] = mask_id_number(str(out["id_number"]))
    if out.get("phone"):
        out["phone"] = mask_phone(str(out["phone"]))
    return out


def record_masked(data: dict[str, Any]) -> dict[str, Any]:
    """A record (plain dict, long keys) with every name, ID number and phone masked."""
    out = copy.deepcopy(data)
    for side in ("sellers", "buyers"):
        people = out.get(side)
        if not isinstance(people, list):
            continue
        for i, person in enumerate(people):
            if not isinstance(person, dict):
                continue
            masked = _mask_person(person)
            family = person.get("family")
            if isinstance(family, dict):
                family = dict(family)
                if isinstance(family.get("spouse"), dict):
                    family["spouse"] = _mask_person(family["spouse"])
                if isinstance(family.get("children"), list):
                    family["children"] = [_mask_person(c) if isinstance(c, dict) else c for c in family["children"]]
                masked["family"] = family
            people[i] = masked
    return out


def parties_masked(data: dict[str, Any]) -> str:
    """``张* → 李*、王*`` (sellers → buyers), for lists."""
    def names(side: str) -> str:
        return "、".join(mask_name(str(p.get("name", ""))) for p in data.get(side) or [] if isinstance(p, dict))
    return f"{names('sellers')} → {names('buyers')}"[:200]


# ---- taxpayer side ------------------------------------------------------------------------

def draft_list_for(user: Any) -> QuerySet[ClientDraft]:
    """The drafts of the client form (房产交易辅助) that ``user`` owns; nobody sees another's."""
    u = perms.require_user(user)
    return ClientDraft.objects.filter(owner=u)


def draft_get_for(user: Any, draft_id: int) -> ClientDraft:
    """One of ``user``'s own drafts; another's is ``not_found`` (existence is not leaked)."""
    draft = draft_list_for(user).filter(pk=draft_id).first()
    if draft is None:
        raise NotFound(_("找不到该填报记录。"), code="tax_draft_not_found")
    return draft


# ---- tax side -----------------------------------------------------------------------------

@dataclass(frozen=True)
class RecordFilter:
    q: str = ""
    day: datetime.date | None = None
    window: str = ""
    agency: str = ""
    street: str = ""


def record_list_for(user: Any, flt: RecordFilter | None = None) -> QuerySet[TaxRecord]:
    """Captured records (房交信息) visible to ``user`` (own bureau; admin all), searchable by
    archive number, certificate number, address or agency; by window date, window, agency, street."""
    perms.require_tax_reader(user)
    qs = perms.record_queryset_for(user).select_related("bureau", "clerk")
    flt = flt or RecordFilter()
    if flt.q:
        qs = qs.filter(Q(archive_no__icontains=flt.q) | Q(certificate_no__icontains=flt.q)
                       | Q(address__icontains=flt.q) | Q(agency_name__icontains=flt.q))
    if flt.day:
        start = timezone.make_aware(datetime.datetime.combine(flt.day, datetime.time.min))
        qs = qs.filter(saved_at__gte=start, saved_at__lt=start + datetime.timedelta(days=1))
    if flt.window:
        qs = qs.filter(window=flt.window)
    if flt.agency:
        qs = qs.filter(Q(agency_credit_code=flt.agency) | Q(agency_name=flt.agency))
    if flt.street:
        qs = qs.filter(street_code=flt.street)
    return qs


def record_get_for(user: Any, record_id: int) -> TaxRecord:
    """One record of ``user``'s scope; outside it ``not_found``."""
    perms.require_tax_reader(user)
    record = perms.record_queryset_for(user).select_related("bureau", "clerk").filter(pk=record_id).first()
    if record is None:
        raise NotFound(_("找不到该房交信息。"), code="tax_record_not_found")
    return record


def street_names(codes: list[str]) -> dict[str, str]:
    return dict(Region.objects.filter(code__in=[c for c in codes if c]).values_list("code", "name"))


@dataclass
class Analysis:
    by_street: list[tuple[str, int]]
    by_month: list[tuple[str, int]]
    price_bands: list[tuple[str, int]]
    agencies: list[tuple[str, int]]
    window_minutes_median: float | None
    entry_seconds_median: float | None
    total: int
    seed_window_minutes: tuple[int, int] = SEED_WINDOW_MINUTES
    seed_entry_minutes: tuple[int, int] = SEED_ENTRY_MINUTES


def analysis_for(user: Any) -> Analysis:
    """数据运用分析: transactions by street and month, price per m² bands, agencies using the
    client, and the window time measured from first scan to saved (beside the seed's minutes)."""
    qs = record_list_for(user)
    streets = list(qs.values("street_code").annotate(n=Count("id")).order_by("-n", "street_code"))
    names = street_names([s["street_code"] for s in streets])
    months = qs.annotate(m=TruncMonth("saved_at")).values("m").annotate(n=Count("id")).order_by("m")
    # Aggregated in the database: no per-row Python over the whole history.
    per_m2 = ExpressionWrapper(Floor(F("price") / F("area") / 10000), output_field=IntegerField())
    bands = list(qs.annotate(band=per_m2).values("band").annotate(n=Count("id")).order_by("band"))
    total = qs.count()
    durations = qs.annotate(d=ExpressionWrapper(F("saved_at") - F("first_scan_at"), output_field=DurationField()))
    ordered = durations.order_by("d").values_list("d", flat=True)
    middle = list(ordered[(total - 1) // 2:total // 2 + 1]) if total else []
    entry = sum(d.total_seconds() for d in middle) / len(middle) if middle else None
    agencies = list(qs.exclude(agency_name="").values("agency_name").annotate(n=Count("id")).order_by("-n"))
    return Analysis(
        by_street=[(names.get(s["street_code"], s["street_code"] or "—"), s["n"]) for s in streets],
        by_month=[(m["m"].strftime("%Y-%m") if m["m"] else "—", m["n"]) for m in months],
        price_bands=[(f"{b['band']}–{b['band'] + 1}万", b["n"]) for b in bands if b["band"] is not None],
        agencies=[(a["agency_name"], a["n"]) for a in agencies],
        window_minutes_median=None if entry is None else round(entry / 60, 2),
        entry_seconds_median=entry,
        total=total,
    )


def document_checklist(data: dict[str, Any]) -> list[str]:
    """The documents to bring to the tax window (窗口资料清单) for this transaction (originals)."""
    items = ["不动产权证书（或房地产权证）原件", "存量房买卖合同（网签）", "买卖双方身份证件原件"]
    buyers = [b for b in data.get("buyers") or [] if isinstance(b, dict)]
    sellers = [s for s in data.get("sellers") or [] if isinstance(s, dict)]
    if any((b.get("family") or {}).get("spouse") for b in buyers):
        items.append("买方结婚证（家庭成员认定，契税）")
    if any((b.get("family") or {}).get("children") for b in buyers):
        items.append("买方户口簿（未成年子女，契税）")
    items.append("买方家庭住房情况查询结果（契税套数认定）")
    if (data.get("property") or {}).get("original_price"):
        items.append("房屋原值凭证（原购房发票或契税完税凭证，个人所得税核实征收）")
    if any(s.get("only_family_home") for s in sellers):
        items.append("卖方家庭唯一生活用房证明（满五唯一，个人所得税）")
    if (data.get("contract") or {}).get("agency_name"):
        items.append("房产经纪机构委托书及经纪人员身份证件")
    return items
