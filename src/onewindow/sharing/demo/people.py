"""Generated residents of 静安区 and the signed bulk drops that load them (批量交换).

公安静安分局 sends its 户籍人口登记信息 and 区人力资源社会保障局 its 社会保险参保信息 as CSV files,
each with its SHA-256 signed (Ed25519) by the department's own key, received by the real
``drop_receive`` service: the checksum, the signature and the catalogue's columns are checked, every
row is validated and upserted by the keyed hash of its ID number. The people are made up
(deterministic from the seed; valid GB 11643 check characters, ``accounts.sample_identifiers``),
plus the demo citizen (``accounts.demo``: 张伟) — whose household and insurance records are what
the pre-filled application finds.
"""

from __future__ import annotations

import csv
import datetime
import io
import random
from dataclasses import dataclass
from typing import Any

from onewindow.accounts.models import Person
from onewindow.accounts.sample_identifiers import sample_resident_id
from onewindow.core.actors import Actor
from onewindow.core.models import Region

from ..models import BulkDrop, DataResource
from ..services.bulk import drop_receive, drop_sign

SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏"
            "魏吕丁任沈姚卢姜崔钟谭陆汪范金")
GIVEN = ("伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英",
         "霞", "平", "刚", "桂英", "建华", "文", "华", "红", "玉兰", "志强", "晓东", "海燕", "建国", "立新", "春梅")
ROADS = ("南京西路", "江宁路", "共和新路", "大宁路", "万荣路", "临汾路", "天目西路", "长寿路", "延安中路", "北京西路",
         "彭浦新村", "灵石路", "平型关路", "阳曲路")
JINGAN = "310106"


@dataclass(frozen=True)
class Resident:
    id_number: str
    name: str
    female: bool
    birth: datetime.date
    street_code: str
    street: str
    address: str


def residents(rng: random.Random, count: int, citizen: Person | None) -> list[Resident]:
    """``count`` residents of 静安区's streets (the demo citizen first, when there is one)."""
    streets = list(Region.objects.filter(parent__code=JINGAN, level="street").order_by("code")
                   .values_list("code", "name")) or [(JINGAN, "静安区")]
    out: list[Resident] = []
    if citizen is not None and citizen.id_number:
        number = citizen.id_number
        birth = datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
        code, street = next((s for s in streets if s[0] == "310106021"), streets[0])
        out.append(Resident(number, citizen.name, int(number[16]) % 2 == 0, birth, code, street,
                            "上海市静安区临汾路380弄12号402室"))
    seen = {r.id_number for r in out}
    serial = 500
    while len(out) < count:
        serial += 1
        female = rng.random() < 0.5
        birth = datetime.date(1940 + rng.randrange(70), 1 + rng.randrange(12), 1 + rng.randrange(28))
        number = sample_resident_id(JINGAN, birth, serial, female=female)
        if number in seen:
            continue
        seen.add(number)
        code, street = rng.choice(streets)
        lane, house = rng.randrange(1, 1500), rng.randrange(1, 80)
        room = rng.randrange(1, 25) * 100 + rng.randrange(1, 5)
        address = f"上海市静安区{rng.choice(ROADS)}{lane}弄{house}号{room}室"
        out.append(Resident(number, rng.choice(SURNAMES) + rng.choice(GIVEN), female, birth, code, street, address))
    return out


def persons_rows(people: list[Resident]) -> list[dict[str, Any]]:
    return [{"id_number": p.id_number, "name": p.name, "gender": "女" if p.female else "男",
             "birth_date": p.birth.isoformat(), "registered": "是", "district": JINGAN, "street": p.street,
             "household_address": p.address} for p in people]


def social_rows(rng: random.Random, people: list[Resident], today: datetime.date) -> list[dict[str, Any]]:
    """Working-age residents (and the demo citizen) insured with the city's scheme."""
    rows = []
    for index, p in enumerate(people):
        age = (today - p.birth).days // 365
        if index and not 18 <= age < 65:
            continue
        first = max(p.birth.replace(day=1) + datetime.timedelta(days=365 * 20), datetime.date(1993, 1, 1))
        first = min(first, today - datetime.timedelta(days=400))
        months = max(12, (today.year - first.year) * 12 + today.month - first.month - rng.randrange(0, 24))
        insured = "是" if index == 0 or rng.random() < 0.93 else "否"
        rows.append({"id_number": p.id_number, "name": p.name, "insured": insured,
                     "insurance_type": "城镇职工基本养老保险、基本医疗保险、失业保险",
                     "first_insured_on": first.isoformat(), "months_paid": str(months)})
    return rows


def csv_bytes(resource: DataResource, rows: list[dict[str, Any]]) -> bytes:
    """A UTF-8 CSV with the version's field names as the header."""
    names = [spec["name"] for spec in (resource.current.fields if resource.current else [])]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=names, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def signed_drop(*, by: Actor, resource: DataResource, file_name: str, content: bytes) -> BulkDrop:
    """Send ``content`` as the provider department would: SHA-256 signed with its key."""
    return drop_receive(by=by, resource=resource, file_name=file_name, content=content,
                        **drop_sign(department=resource.provider_department, content=content))
