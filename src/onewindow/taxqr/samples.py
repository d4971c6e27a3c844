"""Valid sample records, for the tests, the demo data and the benchmark."""

from __future__ import annotations

import datetime
import random

from onewindow.accounts.sample_identifiers import sample_credit_code, sample_mobile, sample_resident_id

from .record import Buyer, Contract, Family, Person, Property, Seller, Transaction


def resident_id(rng: random.Random, *, born: datetime.date, area: str = "310106") -> str:
    return sample_resident_id(area, born, rng.randrange(500))


def credit_code(rng: random.Random, *, area: str = "310106") -> str:
    return sample_credit_code(area, rng)


def mobile(rng: random.Random) -> str:
    return sample_mobile(rng)


def transaction(seed: int = 1, *, signed_on: datetime.date = datetime.date(2017, 7, 20),
                acquired_on: datetime.date = datetime.date(2010, 5, 1), area: str = "89.50",
                price: str = "5200000", homes_held: int = 0, with_child: bool = True) -> Transaction:
    rng = random.Random(seed)
    child_born = signed_on - datetime.timedelta(days=365 * 8)
    child = [Person("李小明", resident_id(rng, born=child_born))] if with_child else []
    return Transaction(
        property=Property(
            certificate_no="沪(2010)静字不动产权第012345号", address="上海市静安区临汾路380弄12号301室",
            district_code="310106", street_code="310106021", area=area, acquired_on=acquired_on.isoformat(),
        ),
        contract=Contract(price=price, signed_on=signed_on.isoformat(), agency_name="上海链家房地产经纪有限公司",
                          agency_credit_code=credit_code(rng), agent_name="王经纪"),
        sellers=[Seller("张三", resident_id(rng, born=datetime.date(1975, 3, 14)), phone=mobile(rng),
                        share="100", only_family_home=True)],
        buyers=[Buyer("李四", resident_id(rng, born=datetime.date(1985, 11, 2)), phone=mobile(rng), share="100",
                      family=Family(spouse=Person("王芳", resident_id(rng, born=datetime.date(1986, 1, 9))),
                                    children=child, homes_held=homes_held))],
    )
