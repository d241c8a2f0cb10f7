"""Generate a deterministic sample insurer export with planted cases, and link tables for benchmarks.

``generate_export`` writes the six canonical tables the way a core business
system exports them: Chinese headers (the first Chinese alias of each column in
``loaders.schema``), Chinese vocabulary, mixed encodings and an Excel agents
file. It also writes ``payer_exceptions.csv`` (approved third-party-payer
exceptions) and ``planted.json``, which lists every deliberately planted case
with the rule codes it must trigger. Every other record is clean background,
and no detection rule may report it.

``generate_links`` builds a large customer-to-identifier link table with numpy
for clustering benchmarks.

Both are deterministic: the same seed gives the same output, because every
random choice comes from a seeded generator and every date is fixed in 2026.
``python -m kycgraph.generate --out sample`` regenerates the committed sample.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import logging
import random
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal, get_args

import numpy as np
import numpy.typing as npt
import pandas as pd
from openpyxl import Workbook
from openpyxl.writer.excel import ExcelWriter
from stdnum import luhn
from stdnum.cn import ric

from kycgraph.settings import DEFAULT_PHONE_DENYLIST
from loaders.schema import (
    AGENT_CONTACTS,
    AGENTS,
    COMPLAINTS,
    CUSTOMERS,
    PAYER_EXCEPTIONS,
    POLICIES,
    POLICY_ROLES,
    Table,
)

logger = logging.getLogger(__name__)

RuleCode = Literal[
    "shared_contact_cluster",
    "incomplete_key_fields",
    "invalid_resident_id",
    "id_gender_mismatch",
    "id_birth_date_mismatch",
    "id_truncated_by_spreadsheet",
    "id_lowercase_x",
    "agent_substituted_details",
    "agent_is_policyholder",
    "third_party_payer",
    "repeat_offender_recheck",
]
RULE_CODES: tuple[RuleCode, ...] = get_args(RuleCode)

DEFAULT_SEED = 20261204
DEFAULT_CUSTOMERS = 400
# The export date: cooling-off periods and complaint windows are measured against it.
AS_OF = date(2026, 12, 4)

CUSTOMERS_FILE = "customers.csv"
POLICIES_FILE = "policies.csv"
POLICY_ROLES_FILE = "policy_roles.csv"
AGENTS_FILE = "agents.xlsx"
AGENT_CONTACTS_FILE = "agent_contacts.csv"
COMPLAINTS_FILE = "complaints.csv"
PAYER_EXCEPTIONS_FILE = "payer_exceptions.csv"
PLANTED_FILE = "planted.json"

# Background customers required next to the planted ones.
_MIN_BACKGROUND_CUSTOMERS = 40
# Customers carrying the all-zero placeholder phone: more than the default hub threshold of 20.
_PLACEHOLDER_CARRIERS = 24
_DENYLISTED_CARRIERS = 4
_ZIP_TIMESTAMP = (2026, 12, 4, 0, 0, 0)

_SURNAMES: dict[str, str] = {
    "王": "wang", "李": "li", "张": "zhang", "刘": "liu", "陈": "chen", "杨": "yang", "黄": "huang",
    "赵": "zhao", "吴": "wu", "周": "zhou", "徐": "xu", "孙": "sun", "马": "ma", "朱": "zhu", "胡": "hu",
    "郭": "guo", "何": "he", "林": "lin", "罗": "luo", "高": "gao", "梁": "liang", "郑": "zheng",
    "谢": "xie", "宋": "song", "唐": "tang", "许": "xu", "邓": "deng", "冯": "feng", "韩": "han",
    "曹": "cao",
}  # fmt: skip
_GIVEN_MALE = "伟强磊军勇杰涛明超华建国俊浩宇鹏辉斌志峰"
_GIVEN_FEMALE = "芳娜敏静丽艳娟霞燕玲婷雪慧琳颖洁萍红梅倩"
_GIVEN_ANY = "文晓佳欣子思嘉海春安"

# (region code, first birth year accepted). python-stdnum 2.2 rejects an ID whose county code
# did not exist in the birth year, and its table starts most Guangdong codes in 1983 or later,
# so older customers carry codes from the open-ended entries.
_REGIONS: tuple[tuple[str, int], ...] = (
    ("110105", 0), ("110108", 0), ("310104", 0), ("310105", 0), ("120103", 0), ("350121", 0),
    ("360121", 0), ("430121", 0), ("510121", 0), ("440103", 1983), ("440104", 1983),
    ("440105", 1983), ("440303", 1983), ("440304", 1983), ("440305", 1983), ("420106", 1983),
    ("330106", 1983), ("440106", 1985), ("510107", 1990), ("440113", 2000),
)  # fmt: skip
_OPEN_ENDED_REGIONS = tuple(code for code, first_year in _REGIONS if first_year == 0)

_MOBILE_PREFIXES = (
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "150", "151", "152",
    "153", "155", "156", "157", "158", "159", "180", "181", "182", "183", "184", "185", "186",
    "187", "188", "189",
)  # fmt: skip
# (issuer identification number, account length) of common debit cards.
_CARD_BINS: tuple[tuple[str, int], ...] = (
    ("622202", 19), ("622848", 19), ("621700", 19), ("622700", 19), ("622588", 16), ("621483", 16),
    ("622609", 17), ("621226", 19),
)  # fmt: skip
_HOME_AREAS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("广东省广州市天河区", ("体育西路", "天河北路", "黄埔大道西", "林和西路", "中山大道西")),
    ("广东省广州市越秀区", ("东风中路", "解放北路", "环市东路", "越华路")),
    ("广东省广州市海珠区", ("江南大道中", "新港中路", "工业大道北", "昌岗中路")),
    ("广东省广州市番禺区", ("光明北路", "兴南大道", "桥南路")),
    ("广东省深圳市南山区", ("南海大道", "科技南路", "桂庙路", "南山大道")),
    ("广东省深圳市福田区", ("深南中路", "福华路", "彩田路", "益田路")),
    ("广东省深圳市罗湖区", ("人民南路", "东门中路", "宝安南路")),
    ("广东省佛山市禅城区", ("汾江中路", "季华五路", "岭南大道")),
    ("上海市徐汇区", ("漕溪北路", "宜山路")),
)
_ESTATES = ("锦绣花园", "翠苑小区", "阳光家园", "丽景苑", "碧桂苑", "华庭", "新村", "雅居")
_OFFICE_TOWERS = ("商务大厦", "金融中心", "国际大厦", "时代广场", "财富中心")
_EMAIL_DOMAINS = ("example.com", "example.cn", "example.net")
# Product code, product name, allowed terms in years. All are individual policies of one year or more.
_PRODUCTS: tuple[tuple[str, str, tuple[int, ...]], ...] = (
    ("EN01", "鑫享年年两全保险（分红型）", (10, 15, 20)),
    ("TL02", "安康定期寿险", (20, 30)),
    ("UL03", "金账户年金保险（万能型）", (10, 20)),
    ("IL04", "稳健投资连结保险", (10,)),
    ("AC05", "安心意外伤害保险", (1,)),
    ("HE06", "康乐重大疾病保险", (20, 30)),
)
_NULL_MARKERS = ("", "NA", "无")
_FULL_WIDTH_DIGITS = str.maketrans("0123456789", "０１２３４５６７８９")

# Vocabulary as the sample writes it (the loaders also accept the English spellings).
MALE, FEMALE = "男", "女"
POLICYHOLDER, INSURED, BENEFICIARY = "投保人", "被保险人", "受益人"
RESIDENT_ID, PASSPORT, HK_MACAU_PERMIT = "居民身份证", "护照", "港澳居民来往内地通行证"
AGENT, BANCASSURANCE_SPECIALIST, AGENCY = "营销员", "银保专管员", "代理机构"
AGENCY_CHANNEL, BANCASSURANCE_CHANNEL, INTERMEDIARY_CHANNEL = "个险", "银保", "中介"
RELATIVE, AGENCY_OFFICE, AGENCY_EMPLOYEE = "亲属", "机构办公", "机构员工"
MISLEADING_SALES = "销售误导"


@dataclass(frozen=True)
class PlantedCase:
    """One deliberately planted case and the findings it must produce.

    ``rule_codes`` lists the rules that must report the case with the default link kinds,
    phone and bank account. An empty tuple means that no rule may report it.
    ``rule_codes_with_address_links`` is that list when address is a link kind too.
    ``customer_ids``, ``policy_nos`` and ``agent_ids`` are the records the finding is about.
    ``value`` is the identifier the case turns on, in normalised form (E.164 phone,
    account digits, address), or None.
    """

    case_id: str
    rule_codes: tuple[RuleCode, ...]
    rule_codes_with_address_links: tuple[RuleCode, ...]
    description: str
    customer_ids: tuple[str, ...] = ()
    policy_nos: tuple[str, ...] = ()
    agent_ids: tuple[str, ...] = ()
    value: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "case_id": self.case_id,
            "rule_codes": list(self.rule_codes),
            "rule_codes_with_address_links": list(self.rule_codes_with_address_links),
            "description": self.description,
            "customer_ids": list(self.customer_ids),
            "policy_nos": list(self.policy_nos),
            "agent_ids": list(self.agent_ids),
            "value": self.value,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PlantedCase:
        return cls(
            case_id=data["case_id"],
            rule_codes=tuple(_rule_code(code) for code in data["rule_codes"]),
            rule_codes_with_address_links=tuple(
                _rule_code(code) for code in data["rule_codes_with_address_links"]
            ),
            description=data["description"],
            customer_ids=tuple(data["customer_ids"]),
            policy_nos=tuple(data["policy_nos"]),
            agent_ids=tuple(data["agent_ids"]),
            value=data["value"],
        )


@dataclass(frozen=True)
class Planted:
    """The planted cases of one generated export, as written to ``planted.json``."""

    seed: int
    as_of: date
    customers: int
    cases: tuple[PlantedCase, ...]

    def case(self, case_id: str) -> PlantedCase:
        """Return the case with this id, or raise KeyError when there is none."""
        for case in self.cases:
            if case.case_id == case_id:
                return case
        raise KeyError(case_id)

    def planted_customer_ids(self) -> set[str]:
        """Return the ids of all customers that a case names. Every other customer is background."""
        return {customer_id for case in self.cases for customer_id in case.customer_ids}

    def to_json(self) -> str:
        document = {
            "seed": self.seed,
            "as_of": self.as_of.isoformat(),
            "customers": self.customers,
            "link_kinds": ["phone", "bank_account"],
            "cases": [case.to_dict() for case in self.cases],
        }
        return json.dumps(document, ensure_ascii=False, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Planted:
        document = json.loads(text)
        return cls(
            seed=document["seed"],
            as_of=date.fromisoformat(document["as_of"]),
            customers=document["customers"],
            cases=tuple(PlantedCase.from_dict(case) for case in document["cases"]),
        )


def _rule_code(value: str) -> RuleCode:
    for code in RULE_CODES:
        if code == value:
            return code
    raise ValueError(f"unknown rule code {value!r}; expected one of {', '.join(RULE_CODES)}")


def _row_of(record: object, table: Table) -> dict[str, str]:
    """Return the record's attributes named like the columns of ``table``, as written to a file."""
    row: dict[str, str] = {}
    for column in table.columns:
        value = getattr(record, column.name)
        row[column.name] = value.isoformat() if isinstance(value, date) else str(value)
    return row


@dataclass
class _Customer:
    """A customer row as written to the file: phones and accounts keep their written form."""

    customer_id: str
    name: str
    gender: str
    birth_date: date
    id_type: str = ""
    id_number: str = ""
    phone: str = ""
    address: str = ""
    email: str = ""
    bank_account: str = ""
    # Written in place of birth_date when set (a mismatching or unreadable 出生日期).
    birth_date_text: str | None = None

    def to_row(self) -> dict[str, str]:
        row = _row_of(self, CUSTOMERS)
        if self.birth_date_text is not None:
            row["birth_date"] = self.birth_date_text
        return row


@dataclass
class _Policy:
    policy_no: str
    product_code: str
    product_name: str
    term_years: int
    application_date: date
    signed_date: date
    agent_id: str
    channel: str
    premium_account: str
    payer_name: str
    payer_id_number: str
    roles: list[tuple[str, str]] = field(default_factory=list)

    def to_row(self) -> dict[str, str]:
        return _row_of(self, POLICIES)


@dataclass
class _Agent:
    agent_id: str
    name: str
    agent_type: str
    channel: str
    agency_id: str = ""
    branch: str = ""
    team: str = ""
    id_number: str = ""
    phone: str = ""
    address: str = ""
    bank_account: str = ""
    gender: str = ""
    birth_date: date | None = None

    def to_row(self) -> dict[str, str]:
        return _row_of(self, AGENTS)


@dataclass(frozen=True)
class _Payer:
    """A premium payer who is not a customer: a name, an ID number and an account."""

    name: str
    id_number: str
    account: str


def _digits(value: str) -> str:
    return "".join(character for character in value if character.isdigit())


def _e164(mobile: str) -> str:
    return "+86" + mobile


def _payer_id_of(holder: _Customer) -> str:
    """Return the policyholder's ID number for the payer column, or "" when it is no valid resident ID.

    The payer column has no document type, so a passport, a permit or a broken resident
    ID written there would only repeat a problem the customers file already shows.
    """
    if holder.id_type == RESIDENT_ID and ric.is_valid(holder.id_number):
        return holder.id_number
    return ""


def _age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


class _ExportBuilder:
    """Builds the records of one export from a seeded random generator.

    Every identifier handed out (ID number, phone, account, address, email, key) is
    recorded, so background values never repeat and only planted cases share one.
    """

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.customers: list[_Customer] = []
        self.policies: list[_Policy] = []
        self.agents: list[_Agent] = []
        self.contacts: list[dict[str, str]] = []
        self.complaints: list[dict[str, str]] = []
        self.exceptions: list[dict[str, str]] = []
        self.cases: list[PlantedCase] = []
        self.plain_agents: list[_Agent] = []
        self._used: set[tuple[str, str]] = set()

    # -- unique values -------------------------------------------------------------------

    def unique(self, kind: str, make: Callable[[], str]) -> str:
        """Return the first value from ``make`` not handed out before as ``kind``, and record it."""
        while True:
            value = make()
            if (kind, value) not in self._used:
                self._used.add((kind, value))
                return value

    def new_customer_id(self) -> str:
        # Leading zeros: a loader that reads keys as numbers loses them.
        return self.unique("customer_id", lambda: f"{self.rng.randrange(10_000_000, 100_000_000):010d}")

    def new_policy_no(self, city: str) -> str:
        # Sixteen digits: more than the 15 significant digits a spreadsheet keeps.
        return self.unique("policy_no", lambda: f"2026{city}{self.rng.randrange(10**8):08d}")

    def new_mobile(self, prefix: str | None = None) -> str:
        def make() -> str:
            number = (prefix or self.rng.choice(_MOBILE_PREFIXES)) + f"{self.rng.randrange(10**8):08d}"
            if number in DEFAULT_PHONE_DENYLIST or len(set(number)) == 1:
                return ""
            return number

        while True:
            number = self.unique("phone", make)
            if number:
                return number

    def new_landline(self, area_code: str) -> str:
        return self.unique(
            "phone", lambda: f"{area_code}-{self.rng.randrange(3, 9)}{self.rng.randrange(10**7):07d}"
        )

    def new_account(self) -> str:
        def make() -> str:
            issuer, length = self.rng.choice(_CARD_BINS)
            body = issuer + "".join(str(self.rng.randrange(10)) for _ in range(length - len(issuer) - 1))
            return body + luhn.calc_check_digit(body)

        return self.unique("bank_account", make)

    def new_home_address(self) -> str:
        def make() -> str:
            area, streets = self.rng.choice(_HOME_AREAS)
            floor, unit = self.rng.randrange(1, 34), self.rng.randrange(1, 7)
            return (
                f"{area}{self.rng.choice(streets)}{self.rng.randrange(1, 400)}号"
                f"{self.rng.choice(_ESTATES)}{self.rng.randrange(1, 31)}栋{floor}{unit:02d}房"
            )

        return self.unique("address", make)

    def new_office_address(self) -> str:
        def make() -> str:
            area, streets = self.rng.choice(_HOME_AREAS[:7])
            return (
                f"{area}{self.rng.choice(streets)}{self.rng.randrange(1, 400)}号"
                f"{self.rng.choice(_OFFICE_TOWERS)}{self.rng.randrange(2, 40)}楼"
            )

        return self.unique("address", make)

    def new_email(self, surname: str, birth: date) -> str:
        pinyin = _SURNAMES[surname]
        return self.unique(
            "email",
            lambda: f"{pinyin}{birth:%y}{self.rng.randrange(100, 1000)}@{self.rng.choice(_EMAIL_DOMAINS)}",
        )

    def new_resident_id(self, birth: date, gender: str, *, check: str | None = None) -> str:
        """Return an unused valid 18-digit resident ID for this birth date and gender.

        ``check``, when given, is the required check character. IDs ending in 000 are never issued
        here, so a truncated number cannot be mistaken for a background one.
        """
        regions = [code for code, first_year in _REGIONS if first_year <= birth.year]

        def make() -> str:
            sequence = self.rng.randrange(0, 1000, 2) + (1 if gender == MALE else 0)
            body = f"{self.rng.choice(regions)}{birth:%Y%m%d}{sequence:03d}"
            number = body + ric.calc_check_digit(body + "0")
            if number.endswith("000") or (check is not None and number[-1] != check):
                return ""
            return number

        while True:
            number = self.unique("id_number", make)
            if number:
                return number

    def new_document(self, prefix: str) -> str:
        return self.unique("id_number", lambda: f"{prefix}{self.rng.randrange(10**8):08d}")

    def new_name(self, gender: str, surname: str | None = None) -> str:
        chosen = surname or self.rng.choice(list(_SURNAMES))
        pool = (_GIVEN_MALE if gender == MALE else _GIVEN_FEMALE) + _GIVEN_ANY
        length = self.rng.choice((1, 2, 2))
        return chosen + "".join(self.rng.choice(pool) for _ in range(length))

    def random_date(self, first: date, last: date) -> date:
        return first + timedelta(days=self.rng.randrange((last - first).days + 1))

    def random_gender(self) -> str:
        return self.rng.choice((MALE, FEMALE))

    def null_marker(self) -> str:
        return self.rng.choice(_NULL_MARKERS)

    # -- people --------------------------------------------------------------------------

    def adult(
        self, *, gender: str | None = None, surname: str | None = None, born: date | None = None
    ) -> _Customer:
        """Add a complete adult customer fit to be a policyholder: every key field, own phone and account."""
        gender = gender or self.random_gender()
        name = self.new_name(gender, surname)
        birth = born or self.random_date(date(1956, 1, 1), date(2000, 12, 31))
        customer = _Customer(
            customer_id=self.new_customer_id(),
            name=name,
            gender=gender,
            birth_date=birth,
            id_type=RESIDENT_ID,
            id_number=self.new_resident_id(birth, gender),
            phone=self.new_mobile(),
            address=self.new_home_address(),
            email=self.new_email(name[0], birth) if self.rng.random() < 0.7 else self.null_marker(),
            bank_account=self.new_account(),
        )
        self.customers.append(customer)
        return customer

    def insured_adult(self, *, gender: str | None = None, phone: str | None = None) -> _Customer:
        """Add an adult who is only insured: identity complete, contact details optional."""
        gender = gender or self.random_gender()
        birth = self.random_date(date(1950, 1, 1), date(2003, 12, 31))
        if phone is None:
            phone = self.new_mobile() if self.rng.random() < 0.7 else ""
        customer = _Customer(
            customer_id=self.new_customer_id(),
            name=self.new_name(gender),
            gender=gender,
            birth_date=birth,
            id_type=RESIDENT_ID,
            id_number=self.new_resident_id(birth, gender),
            phone=phone,
            address="",
            email=self.null_marker(),
            bank_account=self.new_account() if self.rng.random() < 0.4 else self.rng.choice(("", "NA")),
        )
        self.customers.append(customer)
        return customer

    def child(self, parent: _Customer, *, born: date | None = None, with_id: bool = True) -> _Customer:
        """Add a child of ``parent`` (same surname) with no contact details of its own."""
        gender = self.random_gender()
        birth = born or self.random_date(date(2009, 1, 1), date(2024, 12, 31))
        customer = _Customer(
            customer_id=self.new_customer_id(),
            name=self.new_name(gender, parent.name[0]),
            gender=gender,
            birth_date=birth,
            id_type=RESIDENT_ID if with_id else "",
            id_number=self.new_resident_id(birth, gender) if with_id else "",
            phone=self.rng.choice(("", "无")),
            email=self.rng.choice(("", "NA")),
        )
        self.customers.append(customer)
        return customer

    def outside_payer(self) -> _Payer:
        """Return a premium payer who is not a customer, with an ID and account of their own."""
        gender = self.random_gender()
        birth = self.random_date(date(1960, 1, 1), date(1995, 12, 31))
        return _Payer(self.new_name(gender), self.new_resident_id(birth, gender), self.new_account())

    # -- agents --------------------------------------------------------------------------

    def build_agents(self) -> None:
        """Add 25 sales staff: agents, bancassurance specialists, two agencies and their staff."""
        teams = (
            ("广州分公司", "天河一部", "020"),
            ("广州分公司", "越秀二部", "020"),
            ("广州分公司", "海珠三部", "020"),
            ("深圳分公司", "南山一部", "0755"),
            ("深圳分公司", "福田二部", "0755"),
        )
        offices = {team: (self.new_office_address(), self.new_landline(area)) for _, team, area in teams}
        for index in range(15):
            branch, team, _ = teams[index % len(teams)]
            agent = self._person_agent(AGENT, AGENCY_CHANNEL, branch=branch, team=team)
            address, phone = offices[team]
            self._add_contact(agent, AGENCY_OFFICE, f"{branch}{team}职场", phone=phone, address=address)
        for index in range(5):
            branch = ("广州分公司", "深圳分公司")[index % 2]
            self._person_agent(BANCASSURANCE_SPECIALIST, BANCASSURANCE_CHANNEL, branch=branch, team="银保部")
        for agency_name, branch, area in (
            ("广州穗安保险代理有限公司", "广州分公司", "020"),
            ("深圳鹏程保险代理有限公司", "深圳分公司", "0755"),
        ):
            agency = _Agent(
                agent_id=self.unique("agent_id", lambda: f"DL{self.rng.randrange(10**6):06d}"),
                name=agency_name,
                agent_type=AGENCY,
                channel=INTERMEDIARY_CHANNEL,
                branch=branch,
                phone=self.new_landline(area),
                address=self.new_office_address(),
                bank_account=self.new_account(),
            )
            self.agents.append(agency)
            self._add_contact(
                agency, AGENCY_OFFICE, f"{agency_name}办公室", phone=agency.phone, address=agency.address
            )
            for _ in range(2):
                gender = self.random_gender()
                self._add_contact(agency, AGENCY_EMPLOYEE, self.new_name(gender), phone=self.new_mobile())
        for agency in (self.agents[-2], self.agents[-1], self.agents[-2]):
            self._person_agent(AGENT, INTERMEDIARY_CHANNEL, branch=agency.branch, agency_id=agency.agent_id)
        for agent in self.rng.sample([a for a in self.agents if a.agent_type != AGENCY], 8):
            self.add_relative(agent)

    def _person_agent(
        self, agent_type: str, channel: str, *, branch: str, team: str = "", agency_id: str = ""
    ) -> _Agent:
        gender = self.random_gender()
        birth = self.random_date(date(1970, 1, 1), date(1998, 12, 31))
        agent = _Agent(
            agent_id=self.unique("agent_id", lambda: f"44{self.rng.randrange(10**8):08d}"),
            name=self.new_name(gender),
            agent_type=agent_type,
            channel=channel,
            agency_id=agency_id,
            branch=branch,
            team=team,
            id_number=self.new_resident_id(birth, gender),
            phone=self.new_mobile(),
            address=self.new_home_address(),
            bank_account=self.new_account(),
            gender=gender,
            birth_date=birth,
        )
        self.agents.append(agent)
        return agent

    def add_relative(self, agent: _Agent) -> dict[str, str]:
        gender = self.random_gender()
        return self._add_contact(
            agent, RELATIVE, self.new_name(gender), phone=self.new_mobile(), address=self.new_home_address()
        )

    def _add_contact(
        self, agent: _Agent, contact_type: str, name: str, *, phone: str = "", address: str = ""
    ) -> dict[str, str]:
        contact = {
            "agent_id": agent.agent_id,
            "contact_type": contact_type,
            "name": name,
            "phone": phone,
            "address": address,
            "bank_account": "",
        }
        self.contacts.append(contact)
        return contact

    # -- policies ------------------------------------------------------------------------

    def add_policy(
        self,
        holder: _Customer,
        insured: _Customer,
        *,
        beneficiary: _Customer | None = None,
        agent: _Agent | None = None,
        applied: date | None = None,
        payer: _Payer | None = None,
    ) -> _Policy:
        """Add a policy whose premiums come from the policyholder's own account, or from ``payer``."""
        agent = agent or self.rng.choice(self.plain_agents)
        if applied is None:
            recent = self.rng.random() < 0.1
            applied = self.random_date(
                date(2026, 11, 14) if recent else date(2026, 1, 5),
                date(2026, 11, 26) if recent else date(2026, 11, 10),
            )
        code, product, terms = self.rng.choice(_PRODUCTS)
        city = "4403" if agent.branch == "深圳分公司" else "4401"
        policy = _Policy(
            policy_no=self.new_policy_no(city),
            product_code=code,
            product_name=product,
            term_years=self.rng.choice(terms),
            application_date=applied,
            signed_date=applied + timedelta(days=self.rng.randrange(3, 8)),
            agent_id=agent.agent_id,
            channel=agent.channel,
            premium_account=payer.account if payer else _digits(holder.bank_account),
            payer_name=payer.name if payer else holder.name,
            payer_id_number=payer.id_number if payer else _payer_id_of(holder),
        )
        policy.roles.append((holder.customer_id, POLICYHOLDER))
        policy.roles.append((insured.customer_id, INSURED))
        if beneficiary is not None:
            policy.roles.append((beneficiary.customer_id, BENEFICIARY))
        self.policies.append(policy)
        return policy

    def own_policy(self, holder: _Customer, **kwargs: Any) -> _Policy:
        """Add a policy on which ``holder`` is both policyholder and insured."""
        return self.add_policy(holder, holder, **kwargs)

    def plant(
        self,
        case_id: str,
        rule_codes: Sequence[RuleCode],
        description: str,
        *,
        customers: Iterable[_Customer] = (),
        policies: Iterable[_Policy] = (),
        agents: Iterable[_Agent] = (),
        value: str | None = None,
        rule_codes_with_address_links: Sequence[RuleCode] | None = None,
    ) -> None:
        self.cases.append(
            PlantedCase(
                case_id=case_id,
                rule_codes=tuple(rule_codes),
                rule_codes_with_address_links=tuple(
                    rule_codes if rule_codes_with_address_links is None else rule_codes_with_address_links
                ),
                description=description,
                customer_ids=tuple(customer.customer_id for customer in customers),
                policy_nos=tuple(policy.policy_no for policy in policies),
                agent_ids=tuple(agent.agent_id for agent in agents),
                value=value,
            )
        )


# -- planted cases ---------------------------------------------------------------------------
# Each case gets customers of its own, and its policies are sold by agents that no case names,
# so a case triggers exactly the rule codes it lists.


def _plant_shared_contacts(builder: _ExportBuilder) -> None:
    """Plant phone and bank-account rings, a chained cluster and a family sharing an address."""
    number = builder.new_mobile("139")
    spaced = f"{number[:3]} {number[3:7]} {number[7:]}"
    forms = (f"+86 {spaced}", "0086" + number, number.translate(_FULL_WIDTH_DIGITS), spaced)
    ring = [builder.adult() for _ in forms]
    for customer, form in zip(ring, forms, strict=True):
        customer.phone = form
    builder.plant(
        "phone_ring_formats",
        ["shared_contact_cluster"],
        "Four customers carry one mobile, written as +86 with spaces, 0086, full-width digits and spaced.",
        customers=ring,
        policies=[builder.own_policy(customer) for customer in ring],
        value=_e164(number),
    )

    for case_id, size in (("phone_ring_three", 3), ("phone_ring_two", 2)):
        number = builder.new_mobile()
        ring = [builder.adult() for _ in range(size)]
        for customer in ring:
            customer.phone = number
        builder.plant(
            case_id,
            ["shared_contact_cluster"],
            f"{size} unrelated customers carry the same mobile.",
            customers=ring,
            policies=[builder.own_policy(customer) for customer in ring],
            value=_e164(number),
        )

    account = builder.new_account()
    ring = [builder.adult(), builder.adult()]
    for customer in ring:
        customer.bank_account = account
    builder.plant(
        "account_ring_two",
        ["shared_contact_cluster"],
        "Two unrelated customers carry the same bank account, and each pays premiums from it.",
        customers=ring,
        policies=[builder.own_policy(customer) for customer in ring],
        value=account,
    )

    first, middle, last = builder.adult(), builder.adult(), builder.adult()
    middle.phone = first.phone
    last.bank_account = middle.bank_account
    builder.plant(
        "chained_phone_account",
        ["shared_contact_cluster"],
        "A and B share a mobile, B and C share a bank account: one cluster of three customers.",
        customers=[first, middle, last],
        policies=[builder.own_policy(customer) for customer in (first, middle, last)],
    )

    father = builder.adult(gender=MALE, born=builder.random_date(date(1966, 1, 1), date(1975, 12, 31)))
    mother = builder.adult(gender=FEMALE, born=builder.random_date(date(1966, 1, 1), date(1975, 12, 31)))
    son = builder.adult(gender=MALE, surname=father.name[0], born=date(1999, 6, 12))
    grandmother = builder.adult(gender=FEMALE, surname=father.name[0], born=date(1948, 2, 3))
    family = [father, mother, son, grandmother]
    for member in family[1:]:
        member.address = father.address
    builder.plant(
        "family_shared_address",
        [],
        "A family of four at one address, each with their own mobile and account. "
        "They cluster only when address is a link kind.",
        customers=family,
        policies=[
            builder.own_policy(father, beneficiary=mother),
            builder.add_policy(mother, son, beneficiary=mother),
            builder.add_policy(father, grandmother, beneficiary=father),
        ],
        value=father.address,
        rule_codes_with_address_links=["shared_contact_cluster"],
    )


def _plant_hub_phones(builder: _ExportBuilder) -> None:
    """Plant placeholder phones on many insured spouses and a landline without an area code."""
    for case_id, phone, count, description in (
        (
            "placeholder_phone_hub",
            "00000000000",
            _PLACEHOLDER_CARRIERS,
            f"{_PLACEHOLDER_CARRIERS} insured customers carry the placeholder 00000000000: "
            "a hub value, reported as such and never a cluster.",
        ),
        (
            "denylisted_phone",
            "13800138000",
            _DENYLISTED_CARRIERS,
            f"{_DENYLISTED_CARRIERS} insured customers carry 13800138000, a denylisted placeholder: "
            "never a cluster.",
        ),
        (
            "landline_without_area_code",
            "83561234",
            2,
            "Two insured customers carry one landline written without its area code: "
            "the value is kept but links nothing.",
        ),
    ):
        carriers: list[_Customer] = []
        policies: list[_Policy] = []
        for _ in range(count):
            holder = builder.adult()
            spouse = builder.insured_adult(gender=FEMALE if holder.gender == MALE else MALE, phone=phone)
            carriers.append(spouse)
            policies.append(builder.add_policy(holder, spouse, beneficiary=holder))
        value = _e164(phone) if phone.startswith("1") else phone
        builder.plant(case_id, [], description, customers=carriers, policies=policies, value=value)


def _plant_key_fields(builder: _ExportBuilder) -> None:
    """Plant missing key fields: a policyholder without contacts, insured children without IDs."""
    holder = builder.adult()
    holder.phone = ""
    holder.address = ""
    builder.plant(
        "policyholder_missing_phone_address",
        ["incomplete_key_fields"],
        "A policyholder with neither phone nor contact address.",
        customers=[holder],
        policies=[builder.own_policy(holder)],
    )

    parent = builder.adult(born=date(1980, 4, 2))
    minor = builder.child(parent, born=date(2008, 9, 20), with_id=False)
    applied = date(2026, 3, 16)
    assert _age_on(minor.birth_date, applied) == 17
    builder.plant(
        "minor_insured_without_id",
        [],
        "An insured aged 17 on the application date without an ID number: complete for a minor.",
        customers=[minor],
        policies=[builder.add_policy(parent, minor, beneficiary=parent, applied=applied)],
    )

    parent = builder.adult(born=date(1979, 11, 8))
    young_adult = builder.child(parent, born=date(2008, 1, 5), with_id=False)
    applied = date(2026, 2, 10)
    assert _age_on(young_adult.birth_date, applied) == 18
    builder.plant(
        "adult_insured_without_id",
        ["incomplete_key_fields"],
        "An insured who turned 18 a month before the application date, without an ID number.",
        customers=[young_adult],
        policies=[builder.add_policy(parent, young_adult, beneficiary=parent, applied=applied)],
    )


def _plant_identity_documents(builder: _ExportBuilder) -> None:
    """Plant resident IDs that break one GB 11643 check each, plus documents that need no check."""
    customer = builder.adult()
    # Any other check character, except one that would make the ID end in 000 (a truncation).
    wrong = [
        c for c in "0123456789X" if c != customer.id_number[-1] and customer.id_number[-3:-1] + c != "000"
    ]
    customer.id_number = customer.id_number[:-1] + builder.rng.choice(wrong)
    builder.plant(
        "id_wrong_check_character",
        ["invalid_resident_id"],
        "A resident ID whose check character does not match; gender and birth date agree with it.",
        customers=[customer],
        policies=[builder.own_policy(customer)],
    )

    customer = builder.adult(gender=MALE)
    customer.gender = FEMALE
    builder.plant(
        "id_gender_mismatch",
        ["id_gender_mismatch"],
        "A valid male resident ID on a customer whose 性别 says 女.",
        customers=[customer],
        policies=[builder.own_policy(customer)],
    )

    customer = builder.adult()
    customer.birth_date_text = (customer.birth_date + timedelta(days=41)).isoformat()
    builder.plant(
        "id_birth_date_mismatch",
        ["id_birth_date_mismatch"],
        "A valid resident ID whose birth date differs from 出生日期 by 41 days.",
        customers=[customer],
        policies=[builder.own_policy(customer)],
    )

    customer = builder.adult(gender=FEMALE)
    while ric.calc_check_digit(customer.id_number[:15] + "000") == "0":
        customer.id_number = builder.new_resident_id(customer.birth_date, FEMALE)
    customer.id_number = customer.id_number[:15] + "000"
    builder.plant(
        "id_truncated_by_spreadsheet",
        ["id_truncated_by_spreadsheet"],
        "A resident ID whose last three digits a spreadsheet replaced with 000 "
        "(15 significant digits kept); the check character no longer matches.",
        customers=[customer],
        policies=[builder.own_policy(customer)],
    )

    customer = builder.adult()
    customer.id_number = builder.new_resident_id(customer.birth_date, customer.gender, check="X").lower()
    builder.plant(
        "id_lowercase_x",
        ["id_lowercase_x"],
        "A valid resident ID with check character X written in lower case.",
        customers=[customer],
        policies=[builder.own_policy(customer)],
    )

    customer = builder.adult(born=builder.random_date(date(1950, 1, 1), date(1975, 12, 31)))
    parity = 1 if customer.gender == MALE else 0
    customer.id_number = builder.unique(
        "id_number",
        lambda: (
            f"{builder.rng.choice(_OPEN_ENDED_REGIONS)}{customer.birth_date:%y%m%d}"
            f"{builder.rng.randrange(0, 1000, 2) + parity:03d}"
        ),
    )
    builder.plant(
        "legacy_15_digit_id",
        [],
        "A valid legacy 15-digit resident ID that converts to 18 digits: no finding.",
        customers=[customer],
        policies=[builder.own_policy(customer)],
    )

    customer = builder.adult()
    customer.id_type = PASSPORT
    customer.id_number = builder.new_document("E")
    builder.plant(
        "passport_holder",
        [],
        "A policyholder identified by passport: not checked as a resident ID.",
        customers=[customer],
        policies=[builder.own_policy(customer)],
    )


def _plant_agent_cases(builder: _ExportBuilder, special: dict[str, _Agent]) -> None:
    """Plant agent-substituted details and an agent who is the policyholder on their own sale."""
    agent = special["own_phone"]
    customer = builder.adult()
    customer.phone = agent.phone
    builder.plant(
        "agent_own_phone",
        ["agent_substituted_details"],
        "A policyholder carries the mobile of the agent who sold the policy.",
        customers=[customer],
        policies=[builder.own_policy(customer, agent=agent)],
        agents=[agent],
        value=_e164(agent.phone),
    )

    agent = special["relative_phone"]
    relative = builder.add_relative(agent)
    customer = builder.adult()
    customer.phone = relative["phone"]
    builder.plant(
        "agent_relative_phone",
        ["agent_substituted_details"],
        "A policyholder carries the mobile of a registered relative of the agent who sold the policy.",
        customers=[customer],
        policies=[builder.own_policy(customer, agent=agent)],
        agents=[agent],
        value=_e164(relative["phone"]),
    )

    seller, agency = special["office_seller"], special["office_owner"]
    customer = builder.adult()
    customer.address = agency.address
    builder.plant(
        "agency_office_address",
        ["agent_substituted_details"],
        "A policyholder carries the office address registered for an agency (the second agent id); "
        "the policy was sold by a member of that agency's staff (the first).",
        customers=[customer],
        policies=[builder.own_policy(customer, agent=seller)],
        agents=[seller, agency],
        value=agency.address,
    )

    agent = special["self_seller"]
    assert agent.birth_date is not None
    customer = _Customer(
        customer_id=builder.new_customer_id(),
        name=agent.name,
        gender=agent.gender,
        birth_date=agent.birth_date,
        id_type=RESIDENT_ID,
        id_number=agent.id_number,
        phone=builder.new_mobile(),
        address=builder.new_home_address(),
        email=builder.new_email(agent.name[0], agent.birth_date),
        bank_account=builder.new_account(),
    )
    builder.customers.append(customer)
    builder.plant(
        "agent_is_policyholder",
        ["agent_is_policyholder"],
        "An agent sold a policy to themselves: the policyholder's ID number is the agent's. "
        "Phone, address and account differ from the agent record.",
        customers=[customer],
        policies=[builder.own_policy(customer, agent=agent)],
        agents=[agent],
    )


def _plant_third_party_payers(builder: _ExportBuilder, special: dict[str, _Agent]) -> None:
    """Plant premiums paid from other people's accounts, with and without an approved exception."""
    holder = builder.adult()
    payer = builder.outside_payer()
    builder.plant(
        "third_party_payer_single",
        ["third_party_payer"],
        "Premiums come from an account of someone who is not the policyholder.",
        customers=[holder],
        policies=[builder.own_policy(holder, payer=payer)],
        value=payer.account,
    )

    exception_cases: tuple[tuple[str, tuple[RuleCode, ...], date, date | None, str], ...] = (
        (
            "third_party_payer_with_exception",
            (),
            date(2027, 6, 30),
            None,
            "A third-party payer covered by an approved exception valid until 2027-06-30: no finding.",
        ),
        (
            "third_party_payer_expired_exception",
            ("third_party_payer",),
            date(2026, 6, 30),
            date(2026, 8, 18),
            "A third-party payer whose exception expired on 2026-06-30, before the application date.",
        ),
    )
    for case_id, rule_codes, valid_until, applied, description in exception_cases:
        holder = builder.adult()
        payer = builder.outside_payer()
        policy = builder.own_policy(holder, payer=payer, applied=applied)
        builder.exceptions.append(
            {
                "policy_no": policy.policy_no,
                "premium_account": payer.account,
                "approver": builder.new_name(builder.random_gender()),
                "reason": "投保人委托配偶账户代缴保费，已提供结婚证明",
                "expiry_date": valid_until.isoformat(),
            }
        )
        builder.plant(
            case_id,
            rule_codes,
            description,
            customers=[holder],
            policies=[policy],
            value=payer.account,
        )

    agent = special["shared_payer"]
    payer = builder.outside_payer()
    holders = [builder.adult() for _ in range(3)]
    builder.plant(
        "payer_account_three_policyholders",
        ["third_party_payer"],
        "One outside account pays for three policyholders, all sold by the same agent; "
        "each policy is a third-party payer finding.",
        customers=holders,
        policies=[builder.own_policy(holder, agent=agent, payer=payer) for holder in holders],
        agents=[agent],
        value=payer.account,
    )


def _plant_bad_birth_date_row(builder: _ExportBuilder) -> None:
    holder = builder.adult()
    beneficiary = builder.adult(born=date(1985, 3, 14))
    beneficiary.birth_date_text = "1985-13-45"
    builder.plant(
        "unreadable_birth_date",
        [],
        "A beneficiary whose 出生日期 is 1985-13-45: the loader reports it as a reject.",
        customers=[beneficiary],
        policies=[builder.own_policy(holder, beneficiary=beneficiary)],
    )


def _fill_background(builder: _ExportBuilder, target: int) -> None:
    """Add clean households until the export has ``target`` customers.

    The first background policyholders carry other written forms that still normalise
    to distinct identifiers: full-width digits, +86 with spaces, an account in groups of
    four, and Hong Kong and Macau permits in place of a resident ID.
    """
    households = 0
    while len(builder.customers) < target:
        holder = builder.adult()
        _restyle_background_holder(builder, holder, households)
        households += 1

        remaining = target - len(builder.customers)
        shape = builder.rng.choices(
            ("single", "spouse", "child", "child_beneficiary"), weights=(40, 20, 25, 15)
        )
        if remaining == 0 or shape[0] == "single":
            builder.own_policy(holder)
        elif shape[0] == "spouse":
            spouse = builder.insured_adult(gender=FEMALE if holder.gender == MALE else MALE)
            builder.add_policy(holder, spouse, beneficiary=holder)
        elif shape[0] == "child":
            # A minor or a young adult, born when the policyholder was at least 22.
            earliest = max(holder.birth_date + timedelta(days=365 * 22), date(2001, 1, 1))
            young = builder.child(holder, born=builder.random_date(earliest, date(2025, 6, 30)))
            builder.add_policy(holder, young, beneficiary=holder)
        else:
            builder.own_policy(holder, beneficiary=builder.child(holder))
        if builder.rng.random() < 0.25:
            builder.own_policy(holder)


def _restyle_background_holder(builder: _ExportBuilder, holder: _Customer, index: int) -> None:
    digits = holder.phone
    if index < 3:
        holder.phone = digits.translate(_FULL_WIDTH_DIGITS)
    elif index < 6:
        holder.phone = f"+86 {digits[:3]} {digits[3:7]} {digits[7:]}"
    elif index < 9:
        account = holder.bank_account
        holder.bank_account = " ".join(account[i : i + 4] for i in range(0, len(account), 4))
    elif index < 11:
        holder.id_type = HK_MACAU_PERMIT
        holder.id_number = builder.new_document("H")


def _plant_complaints(builder: _ExportBuilder, special: dict[str, _Agent]) -> None:
    """Plant complaint histories around the two-verified-complaints-in-a-year rule, plus background ones."""

    def policies_of(agent: _Agent) -> list[_Policy]:
        return sorted(
            (p for p in builder.policies if p.agent_id == agent.agent_id), key=lambda p: p.policy_no
        )

    def complain(agent: _Agent, received: date, category: str, verified: date | None, year: int) -> None:
        earlier = [p for p in policies_of(agent) if p.signed_date < received]
        builder.complaints.append(
            {
                "complaint_id": builder.unique(
                    "complaint_id", lambda: f"TS{year}{builder.rng.randrange(10**6):06d}"
                ),
                "agent_id": agent.agent_id,
                "policy_no": builder.rng.choice(earlier).policy_no if earlier else "",
                "received_date": received.isoformat(),
                "category": category,
                "verified": "是" if verified else "否",
                "verified_date": verified.isoformat() if verified else builder.rng.choice(("", "NA")),
            }
        )

    agent = special["repeat_within_year"]
    complain(agent, date(2025, 12, 29), MISLEADING_SALES, date(2026, 1, 10), 2025)
    complain(agent, date(2026, 11, 5), MISLEADING_SALES, date(2026, 11, 20), 2026)
    builder.plant(
        "repeat_offender_within_year",
        ["repeat_offender_recheck"],
        "Verified misleading-sales complaints on 2026-01-10 and 2026-11-20 (314 days apart): "
        "every policy the agent sold is re-checked.",
        policies=policies_of(agent),
        agents=[agent],
    )

    agent = special["repeat_over_year"]
    complain(agent, date(2024, 12, 26), MISLEADING_SALES, date(2025, 1, 10), 2024)
    complain(agent, date(2026, 2, 14), MISLEADING_SALES, date(2026, 3, 1), 2026)
    builder.plant(
        "complaints_more_than_year_apart",
        [],
        "Verified misleading-sales complaints on 2025-01-10 and 2026-03-01, 415 days apart: no re-check.",
        agents=[agent],
    )

    agent = special["unverified_complaint"]
    complain(agent, date(2026, 4, 2), MISLEADING_SALES, date(2026, 4, 20), 2026)
    complain(agent, date(2026, 7, 8), MISLEADING_SALES, None, 2026)
    builder.plant(
        "complaint_not_verified",
        [],
        "Two misleading-sales complaints in 2026, one of them not verified: no re-check.",
        agents=[agent],
    )

    agent = special["other_category"]
    complain(agent, date(2026, 4, 28), MISLEADING_SALES, date(2026, 5, 10), 2026)
    complain(agent, date(2026, 8, 1), "服务态度", date(2026, 8, 15), 2026)
    builder.plant(
        "complaints_other_category",
        [],
        "Two verified complaints in 2026, but only one for misleading sales: no re-check.",
        agents=[agent],
    )

    # Background: at most one verified misleading-sales complaint per agent.
    categories = ("服务态度", "理赔时效", "保全服务", MISLEADING_SALES)
    for agent in builder.rng.sample(builder.plain_agents, 5):
        received = builder.random_date(date(2026, 2, 1), date(2026, 11, 15))
        verified = (
            received + timedelta(days=builder.rng.randrange(7, 20)) if builder.rng.random() < 0.6 else None
        )
        complain(agent, received, builder.rng.choice(categories), verified, 2026)


def _choose_special_agents(builder: _ExportBuilder) -> dict[str, _Agent]:
    """Pick the agents that planted cases name; the others sell the planted cases' policies."""
    individual = [a for a in builder.agents if a.agent_type == AGENT and not a.agency_id]
    specialists = [a for a in builder.agents if a.agent_type == BANCASSURANCE_SPECIALIST]
    agency = next(a for a in builder.agents if a.agent_type == AGENCY)
    agency_staff = next(a for a in builder.agents if a.agency_id == agency.agent_id)
    special = {
        "own_phone": individual[0],
        "relative_phone": individual[1],
        "self_seller": individual[2],
        "shared_payer": individual[3],
        "unverified_complaint": individual[4],
        "other_category": individual[5],
        "office_seller": agency_staff,
        "office_owner": agency,
        "repeat_within_year": specialists[0],
        "repeat_over_year": specialists[1],
    }
    builder.plain_agents = [a for a in builder.agents if a not in special.values()]
    return special


# -- writing -----------------------------------------------------------------------------------


def _write_table(path: Path, table: Table, rows: Iterable[Mapping[str, str]], encoding: str) -> None:
    """Write rows under the first Chinese alias of each column of ``table``."""
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow([column.aliases[0] for column in table.columns])
        for row in rows:
            writer.writerow([row.get(column.name, "") for column in table.columns])


def _write_agents_workbook(path: Path, agents: Iterable[_Agent]) -> None:
    """Write the agents as an Excel workbook with every cell as text, byte-identical for equal input.

    openpyxl stamps the save time into docProps/core.xml and each zip entry, so the
    workbook is written with fixed document times and repacked with a fixed entry time.
    """
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "营销员清单"
    sheet.append([column.aliases[0] for column in AGENTS.columns])
    for agent in agents:
        row = agent.to_row()
        sheet.append([row[column.name] or None for column in AGENTS.columns])
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            cell.number_format = "@"
    fixed_time = datetime(*_ZIP_TIMESTAMP)
    workbook.properties.creator = "kycgraph"
    workbook.properties.created = fixed_time
    workbook.properties.modified = fixed_time

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(workbook, archive).write_data()
    with (
        zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as source,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for entry in source.infolist():
            fixed = zipfile.ZipInfo(entry.filename, date_time=_ZIP_TIMESTAMP)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = entry.external_attr
            target.writestr(fixed, source.read(entry.filename))


def generate_export(
    out_dir: Path, *, seed: int = DEFAULT_SEED, customers: int = DEFAULT_CUSTOMERS
) -> Planted:
    """Write a sample insurer export with planted cases into ``out_dir`` and return the cases.

    Files: customers.csv (UTF-8 with BOM), policies.csv (GB18030), policy_roles.csv,
    agent_contacts.csv, complaints.csv and payer_exceptions.csv (UTF-8), agents.xlsx,
    and planted.json. Existing files of those names are overwritten. The same seed and
    customer count give byte-identical files.

    Raises:
        ValueError: ``customers`` leaves too little room for background records
            next to the planted cases; the message names the minimum.
    """
    # 1. Sales staff first: planted cases need particular agents.
    builder = _ExportBuilder(seed)
    builder.build_agents()
    special = _choose_special_agents(builder)

    # 2. Planted cases, each on customers of its own.
    _plant_shared_contacts(builder)
    _plant_hub_phones(builder)
    _plant_key_fields(builder)
    _plant_identity_documents(builder)
    _plant_agent_cases(builder, special)
    _plant_third_party_payers(builder, special)
    _plant_bad_birth_date_row(builder)
    minimum = len(builder.customers) + _MIN_BACKGROUND_CUSTOMERS
    if customers < minimum:
        raise ValueError(
            f"customers={customers} is too small: the planted cases use {len(builder.customers)} "
            f"customers and the background needs {_MIN_BACKGROUND_CUSTOMERS} more; pass at least {minimum}."
        )

    # 3. Clean background households, sold by every agent, then complaints on top.
    builder.plain_agents = builder.agents
    _fill_background(builder, customers)
    builder.plain_agents = [a for a in builder.agents if a not in special.values()]
    _plant_complaints(builder, special)

    # 4. Files, in stable key order.
    out_dir.mkdir(parents=True, exist_ok=True)
    customer_rows = sorted((c.to_row() for c in builder.customers), key=lambda row: row["customer_id"])
    policies = sorted(builder.policies, key=lambda p: p.policy_no)
    _write_table(out_dir / CUSTOMERS_FILE, CUSTOMERS, customer_rows, "utf-8-sig")
    _write_table(out_dir / POLICIES_FILE, POLICIES, (p.to_row() for p in policies), "gb18030")
    role_rows = (
        {"policy_no": p.policy_no, "customer_id": customer_id, "role": role}
        for p in policies
        for customer_id, role in p.roles
    )
    _write_table(out_dir / POLICY_ROLES_FILE, POLICY_ROLES, role_rows, "utf-8")
    _write_agents_workbook(out_dir / AGENTS_FILE, sorted(builder.agents, key=lambda a: a.agent_id))
    contacts = sorted(builder.contacts, key=lambda c: (c["agent_id"], c["contact_type"], c["name"]))
    _write_table(out_dir / AGENT_CONTACTS_FILE, AGENT_CONTACTS, contacts, "utf-8")
    complaints = sorted(builder.complaints, key=lambda c: c["complaint_id"])
    _write_table(out_dir / COMPLAINTS_FILE, COMPLAINTS, complaints, "utf-8")
    _write_table(out_dir / PAYER_EXCEPTIONS_FILE, PAYER_EXCEPTIONS, builder.exceptions, "utf-8")
    planted = Planted(seed=seed, as_of=AS_OF, customers=len(builder.customers), cases=tuple(builder.cases))
    (out_dir / PLANTED_FILE).write_text(planted.to_json(), encoding="utf-8")
    logger.info(
        "wrote %d customers, %d policies, %d agents and %d planted cases to %s",
        len(builder.customers),
        len(builder.policies),
        len(builder.agents),
        len(builder.cases),
        out_dir,
    )
    return planted


# -- benchmark link tables ---------------------------------------------------------------------

# Share of customers in rings that share a phone or an account.
RING_SHARE = 0.03
# Share of neighbouring same-kind rings joined by one shared identifier of the other kind.
CHAIN_SHARE = 0.2
PLACEHOLDER_PHONE = 13800138000
SWITCHBOARD_PHONE = 2083888888
_LINK_MOBILE_PREFIXES = np.array([int(p) for p in _MOBILE_PREFIXES if p != "138"], dtype=np.int64)
_LINK_CARD_BINS = np.array([int(b) for b, length in _CARD_BINS if length == 19], dtype=np.int64)


def _scramble(serials: npt.NDArray[np.int64], rng: np.random.Generator) -> npt.NDArray[np.int64]:
    """Map serials below 10**8 one-to-one onto 8-digit numbers that look random."""
    multiplier = int(rng.integers(10**6, 10**7)) * 10 + 7  # ends in 7: coprime with 10**8
    offset = int(rng.integers(10**8))
    return (serials * multiplier + offset) % 10**8


def generate_links(customers: int, *, seed: int = 7) -> pd.DataFrame:
    """Return a benchmark link table: one phone and one bank account per customer.

    Most identifiers belong to one customer. About 3% of customers are in rings of 2 to 5
    sharing a phone or an account, and about a fifth of neighbouring same-kind rings are
    chained by one member of each sharing an identifier of the other kind. Two hub phones
    are carried by many customers: the placeholder +8613800138000 by 0.5% of customers and
    the switchboard +862083888888 by 0.1%, each by at least 25.

    Columns: ``customer_id`` (``C`` and 8 digits), ``kind`` (``phone`` or
    ``bank_account``) and ``key`` (E.164 phone or 19 account digits). Rows are all
    phones, then all accounts. Built with numpy, so a million customers take a few
    seconds.

    Raises:
        ValueError: ``customers`` is below 1,000 or above 10**7.
    """
    if not 1_000 <= customers <= 10**7:
        raise ValueError(f"customers must be between 1,000 and 10,000,000, got {customers:,}")
    rng = np.random.default_rng(seed)
    n = customers

    # 1. Every customer owns serial i of each kind; shared identifiers get serials from n upwards.
    phone_serial = np.arange(n, dtype=np.int64)
    account_serial = np.arange(n, dtype=np.int64)
    order = rng.permutation(n)

    # 2. Rings: consecutive blocks of the shuffled customers, each sharing one new identifier.
    sizes = rng.integers(2, 6, size=max(1, int(n * RING_SHARE)))
    ring_count = int(np.searchsorted(np.cumsum(sizes), n * RING_SHARE)) + 1
    sizes = sizes[:ring_count]
    ends = np.cumsum(sizes)
    starts = ends - sizes
    members = order[: ends[-1]]
    ring_of_member = np.repeat(np.arange(ring_count, dtype=np.int64), sizes)
    ring_is_phone = rng.random(ring_count) < 0.5
    member_is_phone = ring_is_phone[ring_of_member]
    phone_serial[members[member_is_phone]] = n + ring_of_member[member_is_phone]
    account_serial[members[~member_is_phone]] = n + ring_of_member[~member_is_phone]

    # 3. Chains: the last member of ring r and the first of ring r + 1 share the other kind.
    candidates = np.flatnonzero(
        (ring_is_phone[:-1] == ring_is_phone[1:]) & (rng.random(ring_count - 1) < CHAIN_SHARE)
    )
    chain_serials = n + ring_count + np.arange(candidates.size, dtype=np.int64)
    for side in (order[ends[candidates] - 1], order[starts[candidates + 1]]):
        by_phone_ring = ring_is_phone[candidates]
        account_serial[side[by_phone_ring]] = chain_serials[by_phone_ring]
        phone_serial[side[~by_phone_ring]] = chain_serials[~by_phone_ring]

    # 4. Hub phones on customers outside every ring.
    placeholder_count = max(25, n // 200)
    switchboard_count = max(25, n // 1000)
    hub_start = int(ends[-1])
    placeholder_members = order[hub_start : hub_start + placeholder_count]
    switchboard_members = order[
        hub_start + placeholder_count : hub_start + placeholder_count + switchboard_count
    ]

    # 5. Serials to numbers, then to text.
    serial_count = n + ring_count + candidates.size
    prefixes = rng.choice(_LINK_MOBILE_PREFIXES, size=serial_count)
    phone_numbers = prefixes[phone_serial] * 10**8 + _scramble(phone_serial, rng)
    phone_numbers[placeholder_members] = PLACEHOLDER_PHONE
    phone_numbers[switchboard_members] = SWITCHBOARD_PHONE
    bins = rng.choice(_LINK_CARD_BINS, size=serial_count)
    middles = rng.integers(0, 10**5, size=serial_count, dtype=np.int64)
    account_numbers = bins[account_serial] * 10**13 + middles[account_serial] * 10**8
    account_numbers += _scramble(account_serial, rng)

    customer_ids = "C" + pd.Series(np.arange(n, dtype=np.int64)).astype(str).str.zfill(8)
    phones = "+86" + pd.Series(phone_numbers).astype(str)
    accounts = pd.Series(account_numbers).astype(str)
    return pd.DataFrame(
        {
            "customer_id": pd.concat([customer_ids, customer_ids], ignore_index=True),
            "kind": np.repeat(np.array(["phone", "bank_account"]), n),
            "key": pd.concat([phones, accounts], ignore_index=True),
        }
    )


def main(argv: list[str] | None = None) -> int:
    """Run ``generate_export`` from the command line; return the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m kycgraph.generate",
        description="Write a deterministic sample insurer export with planted cases (see planted.json).",
    )
    parser.add_argument(
        "--out", type=Path, required=True, help="directory to write the files into; created if missing"
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=DEFAULT_SEED,
        help="random seed; equal seeds give byte-identical files (default: %(default)s)",
    )
    parser.add_argument(
        "--customers",
        type=int,
        default=DEFAULT_CUSTOMERS,
        help="number of customer rows (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    try:
        planted = generate_export(args.out, seed=args.seed, customers=args.customers)
    except ValueError as error:
        parser.error(str(error))
    print(f"wrote {planted.customers} customers and {len(planted.cases)} planted cases to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
