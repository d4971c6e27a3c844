"""Hypothesis strategies that build any valid housing-transaction record (issue #10 part 6).

"Valid" is what ``rules.check`` accepts with no error under the current rule set on ``TODAY``:

- every ID kind the rules accept: a resident ID (GB 11643) of 18 characters with its ISO 7064
  MOD 11-2 check character (python-stdnum), an ``X`` check character upper- or lower-case, the
  legacy 15-digit form (born 19xx), and the other documents (passports, 港澳/台湾 permits, the
  foreign permanent-resident card) that the rules only require to be non-empty;
- Chinese names (with the middle dot of transliterated names) and Latin names (accents, apostrophes,
  hyphens, spaces);
- 1 .. ``MAX_PARTIES`` sellers and buyers (the form's limit) whose shares add up to exactly 100 %, each buyer with or
  without a spouse, 0 .. ``MAX_CHILDREN`` minor children and any number of homes held;
- every optional field present or absent (street, original price, agency, agent, the phones of
  spouses and children) and the mobile in the forms ``validate_mobile`` accepts;
- areas and prices anywhere in the rule set's range, its boundaries included.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from hypothesis import strategies as st
from stdnum.cn import ric, uscc

from onewindow.accounts.sample_identifiers import USCC_ALPHABET
from onewindow.taxqr import forms, rules
from onewindow.taxqr.record import (
    Buyer,
    Contract,
    Family,
    HousingClass,
    HousingUse,
    IdKind,
    Person,
    Property,
    Seller,
    Transaction,
)

TODAY = datetime.date(2026, 11, 27)
RULESET = rules.current()
#: The form takes up to 20 sellers and 20 buyers (list indexes 0..MAX_INDEX); the rules set no limit.
MAX_PARTIES = forms.MAX_INDEX + 1
MAX_CHILDREN = 3
DISTRICTS = sorted(rules.REFERENCE_PRICE_PER_M2)
CJK = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈" \
      "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国文斌波辉玲晨浩宇欣怡佳琪子涵梓萱𠮷犇淼龘"
CERT_ABBR = "静黄徐长普虹杨闵宝嘉浦金松青奉崇"
ADDRESS = "上海市静安区临汾路弄号室栋层幢单元甲乙新村小区路街道" + "0123456789０１２３４５６７８９-－#（）"


def _date(lo: datetime.date, hi: datetime.date) -> st.SearchStrategy[datetime.date]:
    return st.dates(lo, max(lo, hi))


# ---- names -------------------------------------------------------------------------------------

chinese_names = st.one_of(
    st.text(st.sampled_from(CJK), min_size=2, max_size=4),
    st.builds(lambda a, b: f"{a}·{b}", st.text(st.sampled_from(CJK), min_size=1, max_size=4),
              st.text(st.sampled_from(CJK), min_size=1, max_size=5)),  # 阿卜杜·热合曼 style
)
_latin_word = st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyzéèüöñçåø"), min_size=1, max_size=10).map(
    str.capitalize)
latin_names = st.builds(lambda words, sep: sep.join(words), st.lists(_latin_word, min_size=1, max_size=4),
                        st.sampled_from([" ", "-", " O'", " "]))
names = st.one_of(chinese_names, latin_names)


# ---- identifiers -------------------------------------------------------------------------------

def _resident_id_18(region: str, birth: datetime.date, seq: int, lower_x: bool) -> str:
    body = f"{region}{birth:%Y%m%d}{seq:03d}"
    number = body + ric.calc_check_digit(body + "0")
    return number.lower() if lower_x else number  # validate_resident_id reads "x" as "X"


def resident_ids(born: st.SearchStrategy[datetime.date]) -> st.SearchStrategy[str]:
    """18-character resident IDs born on a date drawn from ``born`` (any address code not starting 0)."""
    region = st.one_of(st.sampled_from([*DISTRICTS, "310108", "110105", "440305", "650102"]),
                       st.integers(110000, 999999).map(str))
    return st.builds(_resident_id_18, region, born, st.integers(0, 999), st.booleans())


def _resident_id_15(region: str, birth: datetime.date, seq: int) -> str:
    return f"{region}{birth:%y%m%d}{seq:03d}"


legacy_resident_ids = st.builds(_resident_id_15, st.sampled_from(DISTRICTS), _date(datetime.date(1900, 1, 1),
                                datetime.date(1999, 12, 31)), st.integers(0, 999))
other_ids = st.one_of(
    st.from_regex(r"\A[EGDSP][0-9]{8}\Z"),  # passports
    st.from_regex(r"\A[HM][0-9]{8}\Z"),  # 港澳居民来往内地通行证
    st.from_regex(r"\A[0-9]{8}\Z"),  # 台湾居民来往大陆通行证
    st.from_regex(r"\A[A-Z]{3}[0-9]{12}\Z"),  # 外国人永久居留身份证 (old form)
)


def _credit_code(kind: str, region: str, org: str) -> str:
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    check = 11 - sum(int(c, 36) * w for c, w in zip(org, weights, strict=True)) % 11
    body = f"{kind}{region}{org}{ {10: 'X', 11: '0'}.get(check, str(check)) }"
    return body + uscc.calc_check_digit(body)


credit_codes = st.builds(_credit_code, st.sampled_from(["91", "92", "93", "51", "52", "Y1"]),
                         st.sampled_from(DISTRICTS), st.text(st.sampled_from(USCC_ALPHABET), min_size=8, max_size=8))
mobiles = st.builds(lambda prefix, digits, form: form.format(f"1{prefix}{digits:09d}"),
                    st.sampled_from("3456789"), st.integers(0, 10**9 - 1),
                    st.sampled_from(["{}", "{}", "+86{}", "0086{}"]))


def _person_kwargs(born: st.SearchStrategy[datetime.date], *, legacy: bool,
                   phone: st.SearchStrategy[str]) -> st.SearchStrategy[dict[str, str]]:
    resident = st.one_of(resident_ids(born), legacy_resident_ids) if legacy else resident_ids(born)
    return st.one_of(
        st.fixed_dictionaries({"name": names, "id_number": resident, "id_kind": st.just(IdKind.RESIDENT_ID),
                               "phone": phone}),
        st.fixed_dictionaries({"name": names, "id_number": other_ids, "id_kind": st.just(IdKind.OTHER),
                               "phone": phone}),
    )


def _years_before(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return datetime.date(day.year - years, 2, 28)


def _adults(signed: datetime.date) -> st.SearchStrategy[datetime.date]:
    return _date(datetime.date(1930, 1, 1), _years_before(signed, 18))


def _minors(signed: datetime.date) -> st.SearchStrategy[datetime.date]:
    # Born after the day 18 years before signing: still a minor on the day of the contract.
    return _date(_years_before(signed, 18) + datetime.timedelta(days=1), min(signed, TODAY))


optional_phones = st.one_of(st.just(""), mobiles)


# ---- amounts -----------------------------------------------------------------------------------

def _amount(lo: Decimal, hi: Decimal) -> st.SearchStrategy[str]:
    boundaries = [lo, hi, lo + Decimal("0.01"), hi - Decimal("0.01")]
    return st.one_of(
        st.sampled_from([format(b, "f") for b in boundaries] + [format(lo, ".2f"), format(hi, ".2f")]),
        st.decimals(lo, hi, places=2).map(lambda d: format(d, "f")),
        st.integers(int(lo), int(hi)).map(str),
    )


def shares(count: int) -> st.SearchStrategy[list[str]]:
    """``count`` positive percentages with at most two decimals that add up to exactly 100."""
    if count == 1:
        return st.sampled_from([["100"], ["100.00"]])
    cuts = st.lists(st.integers(1, 9999), min_size=count - 1, max_size=count - 1, unique=True)
    return cuts.map(lambda c: [format(Decimal(b - a) / 100, "f")
                               for a, b in zip([0, *sorted(c)], [*sorted(c), 10000], strict=True)])


# ---- the record --------------------------------------------------------------------------------

@st.composite
def certificates(draw: st.DrawFn, acquired: datetime.date) -> str:
    abbr = draw(st.text(st.sampled_from(CERT_ABBR), min_size=1, max_size=3))
    number = draw(st.from_regex(r"\A[0-9]{6,8}\Z"))
    year = draw(st.integers(1990, acquired.year))
    if draw(st.booleans()):
        left, right = draw(st.sampled_from([("(", ")"), ("（", "）")]))
        return f"沪{left}{year}{right}{abbr}字不动产权第{number}号"
    return f"沪房地{abbr}字({year})第{number}号"


@st.composite
def transactions(draw: st.DrawFn, *, max_parties: int = MAX_PARTIES,
                 max_children: int = MAX_CHILDREN) -> Transaction:
    """Any record the current rules accept (see the module docstring)."""
    signed = draw(_date(datetime.date(2017, 1, 1), TODAY))
    acquired = draw(_date(datetime.date(1990, 1, 1), signed))
    district = draw(st.sampled_from(DISTRICTS))
    prop = Property(
        certificate_no=draw(certificates(acquired)),
        address=draw(st.text(st.sampled_from(ADDRESS), min_size=1, max_size=60).filter(str.strip)),
        district_code=district,
        street_code=draw(st.one_of(st.just(""), st.integers(0, 999).map(lambda n: f"{district}{n:03d}"))),
        area=draw(_amount(RULESET.min_area, RULESET.max_area)),
        use=draw(st.sampled_from([HousingUse.RESIDENTIAL, HousingUse.OTHER])),
        housing_class=draw(st.sampled_from([HousingClass.ORDINARY, HousingClass.NON_ORDINARY])),
        acquired_on=acquired.isoformat(),
        original_price=draw(st.one_of(st.just(""), _amount(Decimal("1"), RULESET.max_price))),
    )
    contract = Contract(
        price=draw(_amount(RULESET.min_price, RULESET.max_price)),
        signed_on=signed.isoformat(),
        agency_name=draw(st.one_of(st.just(""), st.text(st.sampled_from(CJK + "房地产经纪有限公司"), min_size=1,
                                                        max_size=30))),
        agency_credit_code=draw(st.one_of(st.just(""), credit_codes)),
        agent_name=draw(st.one_of(st.just(""), names)),
    )
    adult = _person_kwargs(_adults(signed), legacy=True, phone=mobiles)
    n_sellers = draw(st.integers(1, max_parties))
    sellers = [Seller(**draw(adult), share=share, only_family_home=draw(st.booleans()))
               for share in draw(shares(n_sellers))]
    buyers = []
    for share in draw(shares(draw(st.integers(1, max_parties)))):
        spouse = draw(st.one_of(st.none(), _person_kwargs(_adults(signed), legacy=True, phone=optional_phones)))
        children = draw(st.lists(_person_kwargs(_minors(signed), legacy=False, phone=optional_phones),
                                 max_size=max_children))
        family = Family(spouse=Person(**spouse) if spouse else None, children=[Person(**c) for c in children],
                        homes_held=draw(st.integers(0, 20)))
        buyers.append(Buyer(**draw(adult), share=share, family=family))
    return Transaction(property=prop, contract=contract, sellers=sellers, buyers=buyers)
