"""Demo data of the housing-transaction capture (房交信息采集, issue #5). Idempotent, deterministic.

- The key pair of both sides in TAXQR_KEY_DIR (generated if missing).
- 国家税务总局上海市静安区税务局 as a tax bureau (archive code JA), a window clerk ``taxclerk`` and
  an agency user ``agency`` of 链家.
- The seed's pilot: two housing agencies (链家、中正经纪), 45 transactions captured from
  2017-07-15 to 2017-08-31 (archive numbers JA-2017-000001 … 000045), through the real path:
  draft → code → window capture.
- A year after the district-wide roll-out (2017-10-01 → 2018-09-30): about 6,600 transactions
  (an estimate of Jing'an's second-hand volume: ~4 % of Shanghai's 15-20 thousand a month,
  with the Spring Festival dip), captured from codes made by the client, on the streets of 静安区
  and by more agencies. Window entry ≈ 1 minute from first scan to saved (seed: 5 → 1 minute).
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from onewindow.accounts.choices import StaffRoleKind
from onewindow.accounts.models import Organization, Person, StaffRole, User
from onewindow.core.actors import system_actor
from onewindow.core.models import Department, Region, RegionLevel

from . import codec, keystore, samples, services
from .models import TaxBureau, TaxRecord
from .record import Buyer, Contract, Family, Seller, Transaction, to_wire
from .record import Person as RecordPerson
from .record import Property as RecordProperty

JINGAN = "310106"
PASSWORD_CLERK = "taxclerk-demo-2017"  # noqa: S105 - demo only, printed by demo_data
PASSWORD_AGENCY = "agency-demo-2017"  # noqa: S105 - demo only
PILOT_START, PILOT_END = datetime.date(2017, 7, 15), datetime.date(2017, 8, 31)
ROLLOUT = datetime.date(2017, 10, 1)
MONTHLY = (520, 560, 610, 480, 260, 540, 590, 640, 660, 600, 580, 560)  # 2017-10 … 2018-09
PILOT_AGENCIES = (("上海链家房地产经纪有限公司", "链家"), ("上海中正房地产经纪有限公司", "中正经纪"))
MORE_AGENCIES = ("上海我爱我家房地产经纪有限公司", "上海德佑房地产经纪有限公司", "上海太平洋房屋服务有限公司",
                 "上海中原物业顾问有限公司", "上海汉宇房地产顾问有限公司", "上海二十一世纪不动产经纪有限公司")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国文斌波辉玲晨浩宇欣怡佳琪子涵梓萱"
ACCOUNTS = [("taxclerk", PASSWORD_CLERK, "税务受理员 tax window clerk (静安区税务局)"),
            ("agency", PASSWORD_AGENCY, "房产经纪机构经办人 housing agency user (链家)")]


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _working_days(start: datetime.date, end: datetime.date) -> list[datetime.date]:
    days, day = [], start
    while day <= end:
        if day.weekday() < 5:
            days.append(day)
        day += datetime.timedelta(days=1)
    return days


def _user(username: str, password: str, person_name: str, rng: random.Random, serial: int,
          organization: Organization | None = None) -> User:
    user = User.objects.filter(username=username).first()
    if user is not None:
        return user
    birth = datetime.date(1980 + rng.randrange(15), 1 + rng.randrange(12), 1 + rng.randrange(28))
    person = Person.objects.create(name=person_name, id_number=samples.resident_id(rng, born=birth, area=JINGAN),
                                   phone=samples.mobile(rng), real_name_verified=True,
                                   real_name_verified_at=timezone.now(), birth_date=birth)
    user = User(username=username, person=person, organization=organization)
    user.set_password(password)
    user.save()
    return user


def _setup(rng: random.Random) -> tuple[TaxBureau, User, list[Organization]]:
    city, _ = Region.objects.get_or_create(code="310000", defaults={"name": "上海市", "level": RegionLevel.CITY})
    district, _ = Region.objects.get_or_create(code=JINGAN, defaults={"name": "静安区", "parent": city,
                                                                      "level": RegionLevel.DISTRICT})
    department, _ = Department.objects.get_or_create(code=f"{JINGAN}-SW", defaults={
        "name": "国家税务总局上海市静安区税务局", "short_name": "静安区税务局", "level": RegionLevel.DISTRICT,
        "region": district, "sort_order": 800})
    bureau = services.bureau_register(by=system_actor("demo_data"), department=department, short_code="JA")
    organizations = []
    for name in [n for n, _ in PILOT_AGENCIES] + list(MORE_AGENCIES):
        org = Organization.objects.filter(name=name).first()
        if org is None:
            code = samples.credit_code(rng, area=JINGAN)
            while Organization.objects.filter(credit_code=code).exists():  # another demo drew it first
                code = samples.credit_code(rng, area=JINGAN)
            org = Organization.objects.create(name=name, credit_code=code, region=district)
        organizations.append(org)
    clerk = _user("taxclerk", PASSWORD_CLERK, "沈晓雯", rng, 1)
    StaffRole.objects.get_or_create(user=clerk, role=StaffRoleKind.WINDOW_CLERK, department=department)
    _user("agency", PASSWORD_AGENCY, "周志强", rng, 2, organization=organizations[0])
    services.rate_rows_seed(by=system_actor("demo_data"))
    return bureau, clerk, organizations


def _streets() -> list[str]:
    codes = list(Region.objects.filter(parent__code=JINGAN, level=RegionLevel.STREET).order_by("code")
                 .values_list("code", flat=True))
    return codes or [f"{JINGAN}{n:03d}" for n in (6, 11, 12, 13, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24)]


def _transaction(rng: random.Random, *, serial: int, signed: datetime.date, street: str,
                 agency: Organization | None) -> Transaction:
    acquired = datetime.date(1996 + rng.randrange(21), 1 + rng.randrange(12), 1 + rng.randrange(28))
    if acquired >= signed:
        acquired = signed - datetime.timedelta(days=400)
    area = Decimal(rng.randrange(3500, 16000)) / 100
    per_m2 = Decimal(rng.gauss(78000, 12000)).quantize(Decimal("100"))
    price = max(Decimal("800000"), (area * max(per_m2, Decimal("40000"))).quantize(Decimal("1000")))
    cert = (f"沪({acquired.year})静字不动产权第{serial:06d}号" if acquired.year >= 2016
            else f"沪房地静字({acquired.year})第{serial:06d}号")
    sellers = [Seller(_name(rng), samples.resident_id(rng, born=datetime.date(1950 + rng.randrange(35), 3, 9),
                                                      area=JINGAN), phone=samples.mobile(rng), share="100",
                      only_family_home=rng.random() < 0.4)]
    children = []
    if rng.random() < 0.35:
        born = signed - datetime.timedelta(days=365 * rng.randrange(1, 17) + rng.randrange(300))
        children.append(RecordPerson(_name(rng), samples.resident_id(rng, born=born, area=JINGAN)))
    spouse = (RecordPerson(_name(rng), samples.resident_id(rng, born=datetime.date(1975 + rng.randrange(20), 6, 1)))
              if rng.random() < 0.6 else None)
    buyers = [Buyer(_name(rng), samples.resident_id(rng, born=datetime.date(1970 + rng.randrange(25), 5, 20)),
                    phone=samples.mobile(rng), share="100",
                    family=Family(spouse=spouse, children=children, homes_held=rng.choice((0, 0, 0, 1))))]
    return Transaction(
        property=RecordProperty(certificate_no=cert, address=f"上海市静安区示例路{rng.randrange(1, 999)}弄"
                                f"{rng.randrange(1, 40)}号{rng.randrange(1, 30)}0{rng.randrange(1, 5)}室",
                                district_code=JINGAN, street_code=street, area=str(area),
                                acquired_on=acquired.isoformat()),
        contract=Contract(price=str(price), signed_on=signed.isoformat(),
                          agency_name=agency.name if agency else "", agency_credit_code=agency.credit_code if agency
                          else "", agent_name=_name(rng) if agency else ""),
        sellers=sellers, buyers=buyers)


def _schedule(days: list[datetime.date], count: int) -> list[datetime.datetime]:
    """``count`` window times spread over ``days``, in order (9:00-16:30 each day)."""
    per_day = [sum(1 for n in range(count) if n * len(days) // count == i) for i in range(len(days))]
    times = []
    for day, k in zip(days, per_day, strict=True):
        step = 450 // max(k, 1)
        for j in range(k):
            minutes = 9 * 60 + j * step + step // 2
            times.append(timezone.make_aware(datetime.datetime.combine(day, datetime.time(minutes // 60,
                                                                                          minutes % 60))))
    return times


def _capture(clerk: User, text: str, saved: datetime.datetime, rng: random.Random) -> None:
    entry = datetime.timedelta(seconds=min(180, max(20, int(rng.gauss(60, 15)))))
    services.record_capture(by=clerk, text=text, window=str(rng.randrange(1, 7)), first_scan_at=saved - entry,
                            now=saved)


def load(progress: Callable[[int], object], seed: int, size: str = "full") -> list[tuple[str, str, str]]:
    """Load the taxqr demo (see the module docstring); return the demo accounts to print.
    ``size="small"`` (``demo_data --size small``, for CI) captures the pilot's first week and one
    month of the rollout at a tenth of its volume."""
    small = size == "small"
    keystore.ensure_demo_keys()
    rng = random.Random(seed)
    with transaction.atomic():
        bureau, clerk, organizations = _setup(rng)
    if TaxRecord.objects.filter(bureau=bureau).exists():
        return ACCOUNTS
    agency_user = User.objects.get(username="agency")
    streets = _streets()
    serial = 1000
    pilot_end = PILOT_START + datetime.timedelta(days=7) if small else PILOT_END
    for n, saved in enumerate(_schedule(_working_days(PILOT_START, pilot_end), 5 if small else 45)):
        serial += 1
        day = saved.date()
        agency = organizations[n % 2]
        tx = _transaction(rng, serial=serial, signed=day - datetime.timedelta(days=rng.randrange(0, 10)),
                          street=rng.choice(streets), agency=agency)
        with transaction.atomic():
            draft = services.draft_save(by=agency_user, data=tx.to_dict())
            coded = services.draft_generate_code(by=agency_user, draft_id=draft.pk,
                                                 now=saved - datetime.timedelta(hours=2))
            _capture(clerk, "\n".join(coded.draft.codes), saved, rng)
        progress(1)
    sender = keystore.sender_keys()
    month_start = ROLLOUT
    for volume in (MONTHLY[0] // 10,) if small else MONTHLY:
        next_month = (month_start + datetime.timedelta(days=32)).replace(day=1)
        days = _working_days(month_start, next_month - datetime.timedelta(days=1))
        with transaction.atomic():
            for n, saved in enumerate(_schedule(days, volume)):
                serial += 1
                day = saved.date()
                chosen: Organization | None = (organizations[:2][n % 2] if rng.random() < 0.45
                          else rng.choice(organizations[2:]) if rng.random() < 0.8 else None)
                tx = _transaction(rng, serial=serial, signed=day - datetime.timedelta(days=rng.randrange(0, 20)),
                                  street=rng.choice(streets), agency=chosen)
                texts = codec.encode(to_wire(tx), keys=sender, ruleset_version="2017.1",
                                     issued_at=int((saved - datetime.timedelta(hours=3)).timestamp()))
                _capture(clerk, "\n".join(texts), saved, rng)
        progress(volume)
        month_start = next_month
    return ACCOUNTS
