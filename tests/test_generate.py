"""Tests of the sample-data generator and of the committed sample export in ``sample/``."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections import defaultdict
from datetime import date
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from stdnum.cn import ric

from kycgraph.generate import (
    AGENT_CONTACTS_FILE,
    AGENTS_FILE,
    AS_OF,
    COMPLAINTS_FILE,
    CUSTOMERS_FILE,
    PAYER_EXCEPTIONS_FILE,
    PLACEHOLDER_PHONE,
    PLANTED_FILE,
    POLICIES_FILE,
    POLICY_ROLES_FILE,
    RULE_CODES,
    SWITCHBOARD_PHONE,
    Planted,
    generate_export,
    generate_links,
    main,
)
from loaders.schema import AGENT_CONTACTS, AGENTS, COMPLAINTS, CUSTOMERS, POLICIES, POLICY_ROLES, Table

SAMPLE = Path(__file__).resolve().parent.parent / "sample"
CSV_FILES = (
    CUSTOMERS_FILE,
    POLICIES_FILE,
    POLICY_ROLES_FILE,
    AGENT_CONTACTS_FILE,
    COMPLAINTS_FILE,
    PAYER_EXCEPTIONS_FILE,
)
ENCODINGS = {CUSTOMERS_FILE: "utf-8-sig", POLICIES_FILE: "gb18030"}
THIRD_PARTY_CASES = (
    "third_party_payer_single",
    "third_party_payer_with_exception",
    "third_party_payer_expired_exception",
    "payer_account_three_policyholders",
)


def read_rows(folder: Path, file: str) -> list[dict[str, str]]:
    text = (folder / file).read_bytes().decode(ENCODINGS.get(file, "utf-8"))
    return list(csv.DictReader(io.StringIO(text)))


def national_phone(written: str) -> str:
    """Return the national digits of a written phone: NFKC, separators and +86/0086 removed."""
    digits = re.sub(r"\D", "", unicodedata.normalize("NFKC", written))
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
            return digits[len(prefix) :]
    return digits


def account_digits(written: str) -> str:
    return re.sub(r"\D", "", written)


def is_null(value: str) -> bool:
    return value.strip() in ("", "NA", "无")


def headers_of(table: Table) -> list[str]:
    return [column.aliases[0] for column in table.columns]


def xlsx_values(path: Path) -> list[tuple[object, ...]]:
    workbook = openpyxl.load_workbook(path)
    return [tuple(row) for row in workbook.active.iter_rows(values_only=True)]


@pytest.fixture(scope="module")
def planted() -> Planted:
    return Planted.from_json((SAMPLE / PLANTED_FILE).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def customers() -> dict[str, dict[str, str]]:
    return {row["客户号"]: row for row in read_rows(SAMPLE, CUSTOMERS_FILE)}


@pytest.fixture(scope="module")
def policies() -> dict[str, dict[str, str]]:
    return {row["保单号"]: row for row in read_rows(SAMPLE, POLICIES_FILE)}


@pytest.fixture(scope="module")
def roles() -> list[dict[str, str]]:
    return read_rows(SAMPLE, POLICY_ROLES_FILE)


@pytest.fixture(scope="module")
def background(customers: dict[str, dict[str, str]], planted: Planted) -> dict[str, dict[str, str]]:
    planted_ids = planted.planted_customer_ids()
    return {key: row for key, row in customers.items() if key not in planted_ids}


# -- the committed sample ------------------------------------------------------------------------


def test_generate_export_reproduces_committed_sample(tmp_path: Path) -> None:
    returned = generate_export(tmp_path)

    for file in (*CSV_FILES, PLANTED_FILE):
        assert (tmp_path / file).read_bytes() == (SAMPLE / file).read_bytes(), file
    assert xlsx_values(tmp_path / AGENTS_FILE) == xlsx_values(SAMPLE / AGENTS_FILE)
    assert Planted.from_json((SAMPLE / PLANTED_FILE).read_text(encoding="utf-8")) == returned


def test_generate_export_same_seed_byte_identical(tmp_path: Path) -> None:
    generate_export(tmp_path / "first", seed=11, customers=200)
    generate_export(tmp_path / "second", seed=11, customers=200)

    for file in (*CSV_FILES, AGENTS_FILE, PLANTED_FILE):
        assert (tmp_path / "first" / file).read_bytes() == (tmp_path / "second" / file).read_bytes(), file


def test_generate_export_other_seed_differs(tmp_path: Path) -> None:
    generate_export(tmp_path / "first", seed=11, customers=200)
    generate_export(tmp_path / "second", seed=12, customers=200)

    first = (tmp_path / "first" / CUSTOMERS_FILE).read_bytes()
    assert first != (tmp_path / "second" / CUSTOMERS_FILE).read_bytes()


def test_generate_export_customer_count(tmp_path: Path) -> None:
    planted = generate_export(tmp_path, seed=3, customers=250)

    assert planted.customers == 250
    assert len(read_rows(tmp_path, CUSTOMERS_FILE)) == 250


def test_generate_export_rejects_too_few_customers(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="pass at least"):
        generate_export(tmp_path, customers=50)


def test_main_writes_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["--out", str(tmp_path / "out"), "--seed", "5", "--customers", "180"])

    assert status == 0
    assert len(read_rows(tmp_path / "out", CUSTOMERS_FILE)) == 180
    assert "180 customers" in capsys.readouterr().out


def test_sample_encodings_and_headers() -> None:
    customers_bytes = (SAMPLE / CUSTOMERS_FILE).read_bytes()
    policies_bytes = (SAMPLE / POLICIES_FILE).read_bytes()

    assert customers_bytes.startswith(b"\xef\xbb\xbf")
    with pytest.raises(UnicodeDecodeError):
        policies_bytes.decode("utf-8")
    for file, table in (
        (CUSTOMERS_FILE, CUSTOMERS),
        (POLICIES_FILE, POLICIES),
        (POLICY_ROLES_FILE, POLICY_ROLES),
        (AGENT_CONTACTS_FILE, AGENT_CONTACTS),
        (COMPLAINTS_FILE, COMPLAINTS),
    ):
        assert list(read_rows(SAMPLE, file)[0]) == headers_of(table), file
    assert not (SAMPLE / POLICY_ROLES_FILE).read_bytes().startswith(b"\xef\xbb\xbf")
    assert xlsx_values(SAMPLE / AGENTS_FILE)[0] == tuple(headers_of(AGENTS))


def test_sample_agents_workbook_cells_are_text() -> None:
    rows = xlsx_values(SAMPLE / AGENTS_FILE)[1:]

    assert len(rows) == 25
    assert all(value is None or isinstance(value, str) for row in rows for value in row)
    agent_types = {row[2] for row in rows}
    assert agent_types == {"营销员", "银保专管员", "代理机构"}


def test_sample_vocabulary_is_chinese(
    customers: dict[str, dict[str, str]], policies: dict[str, dict[str, str]], roles: list[dict[str, str]]
) -> None:
    assert {row["性别"] for row in customers.values()} == {"男", "女"}
    assert {row["证件类型"] for row in customers.values()} == {
        "",
        "居民身份证",
        "护照",
        "港澳居民来往内地通行证",
    }
    assert {row["角色"] for row in roles} == {"投保人", "被保险人", "受益人"}
    assert {row["销售渠道"] for row in policies.values()} == {"个险", "银保", "中介"}
    contact_types = {row["关系类型"] for row in read_rows(SAMPLE, AGENT_CONTACTS_FILE)}
    assert contact_types == {"亲属", "机构办公", "机构员工"}
    assert {row["是否查实"] for row in read_rows(SAMPLE, COMPLAINTS_FILE)} == {"是", "否"}


def test_sample_size(customers: dict[str, dict[str, str]], policies: dict[str, dict[str, str]]) -> None:
    assert len(customers) == 400
    assert 250 <= len(policies) <= 350


def test_sample_null_markers_and_full_width_phones(customers: dict[str, dict[str, str]]) -> None:
    emails = [row["电子邮箱"] for row in customers.values()]
    phones = [row["联系电话"] for row in customers.values()]

    assert {"", "NA", "无"} <= set(emails)
    assert sum(1 for phone in phones if "１" in phone) >= 3


def test_sample_dates_iso_and_in_2026(policies: dict[str, dict[str, str]]) -> None:
    for row in policies.values():
        applied = date.fromisoformat(row["投保日期"])
        signed = date.fromisoformat(row["回执签收日期"])
        assert applied.year == 2026
        assert 3 <= (signed - applied).days <= 7
        assert signed < AS_OF


def test_sample_has_policies_in_cooling_off(policies: dict[str, dict[str, str]]) -> None:
    recent = [row for row in policies.values() if (AS_OF - date.fromisoformat(row["回执签收日期"])).days < 15]

    assert len(recent) >= 5


def test_sample_one_unreadable_birth_date(customers: dict[str, dict[str, str]], planted: Planted) -> None:
    unreadable = []
    for customer_id, row in customers.items():
        try:
            date.fromisoformat(row["出生日期"])
        except ValueError:
            unreadable.append((customer_id, row["出生日期"]))

    assert unreadable == [(planted.case("unreadable_birth_date").customer_ids[0], "1985-13-45")]


# -- background is clean -------------------------------------------------------------------------


def test_background_resident_ids_valid(background: dict[str, dict[str, str]]) -> None:
    resident = [row for row in background.values() if row["证件类型"] == "居民身份证"]

    assert len(resident) > 250
    for row in resident:
        number = row["证件号码"]
        assert ric.is_valid(number), number
        assert number == number.upper()
        assert ric.get_birth_date(number).isoformat() == row["出生日期"], number
        assert (int(number[16]) % 2 == 1) == (row["性别"] == "男"), number


def test_background_contacts_not_shared(
    customers: dict[str, dict[str, str]], background: dict[str, dict[str, str]]
) -> None:
    carriers: dict[tuple[str, str], set[str]] = defaultdict(set)
    for customer_id, row in customers.items():
        if not is_null(row["联系电话"]):
            carriers["phone", national_phone(row["联系电话"])].add(customer_id)
        if not is_null(row["银行账号"]):
            carriers["account", account_digits(row["银行账号"])].add(customer_id)
        if not is_null(row["联系地址"]):
            carriers["address", row["联系地址"]].add(customer_id)

    shared_by_background = {
        key: ids for key, ids in carriers.items() if len(ids) > 1 and ids & background.keys()
    }
    assert shared_by_background == {}


def test_background_phones_are_mobiles(background: dict[str, dict[str, str]]) -> None:
    for row in background.values():
        if not is_null(row["联系电话"]):
            assert re.fullmatch(r"1[358]\d{9}", national_phone(row["联系电话"])), row["联系电话"]


def test_background_accounts_are_luhn_valid(background: dict[str, dict[str, str]]) -> None:
    from stdnum import luhn

    for row in background.values():
        if not is_null(row["银行账号"]):
            digits = account_digits(row["银行账号"])
            assert 16 <= len(digits) <= 19
            assert luhn.is_valid(digits), digits


def test_background_not_on_agent_details(background: dict[str, dict[str, str]]) -> None:
    agent_rows = xlsx_values(SAMPLE / AGENTS_FILE)[1:]
    agent_phones = {national_phone(str(row[7])) for row in agent_rows if row[7]}
    agent_addresses = {row[8] for row in agent_rows if row[8]}
    agent_ids = {row[6] for row in agent_rows if row[6]}
    for row in read_rows(SAMPLE, AGENT_CONTACTS_FILE):
        if row["联系电话"]:
            agent_phones.add(national_phone(row["联系电话"]))
        if row["联系地址"]:
            agent_addresses.add(row["联系地址"])

    assert len(agent_phones) > 25
    assert len(agent_addresses) > 25
    for row in background.values():
        assert is_null(row["联系电话"]) or national_phone(row["联系电话"]) not in agent_phones
        assert is_null(row["联系地址"]) or row["联系地址"] not in agent_addresses
        assert row["证件号码"] not in agent_ids


def test_background_key_fields_complete(
    background: dict[str, dict[str, str]], policies: dict[str, dict[str, str]], roles: list[dict[str, str]]
) -> None:
    for role in roles:
        row = background.get(role["客户号"])
        if row is None or role["角色"] == "受益人":
            continue
        assert row["客户姓名"], role
        assert row["性别"], role
        assert row["出生日期"], role
        assert row["证件号码"], role
        if role["角色"] == "投保人":
            assert not is_null(row["联系电话"]), role
            assert not is_null(row["联系地址"]), role


def test_background_premiums_from_own_account(
    customers: dict[str, dict[str, str]],
    policies: dict[str, dict[str, str]],
    roles: list[dict[str, str]],
    planted: Planted,
) -> None:
    third_party = {no for case_id in THIRD_PARTY_CASES for no in planted.case(case_id).policy_nos}
    holders = {role["保单号"]: role["客户号"] for role in roles if role["角色"] == "投保人"}

    assert len(holders) == len(policies)
    for policy_no, row in policies.items():
        holder = customers[holders[policy_no]]
        own = (
            row["缴费账号"] == account_digits(holder["银行账号"])
            and row["缴费账户户名"] == holder["客户姓名"]
        )
        assert own == (policy_no not in third_party), policy_no


# -- planted cases -------------------------------------------------------------------------------


def test_planted_rule_codes_known(planted: Planted) -> None:
    for case in planted.cases:
        assert set(case.rule_codes) <= set(RULE_CODES), case.case_id
    covered = {code for case in planted.cases for code in case.rule_codes}
    assert covered == set(RULE_CODES)


def test_planted_records_exist(
    planted: Planted,
    customers: dict[str, dict[str, str]],
    policies: dict[str, dict[str, str]],
) -> None:
    agent_ids = {row[0] for row in xlsx_values(SAMPLE / AGENTS_FILE)[1:]}
    for case in planted.cases:
        assert set(case.customer_ids) <= customers.keys(), case.case_id
        assert set(case.policy_nos) <= policies.keys(), case.case_id
        assert set(case.agent_ids) <= agent_ids, case.case_id


def test_planted_cases_use_disjoint_customers(planted: Planted) -> None:
    seen: dict[str, str] = {}
    for case in planted.cases:
        for customer_id in case.customer_ids:
            assert customer_id not in seen, (customer_id, case.case_id, seen.get(customer_id))
            seen[customer_id] = case.case_id


@pytest.mark.parametrize(
    ("case_id", "size"), [("phone_ring_formats", 4), ("phone_ring_three", 3), ("phone_ring_two", 2)]
)
def test_planted_phone_ring_in_file(
    planted: Planted, customers: dict[str, dict[str, str]], case_id: str, size: int
) -> None:
    case = planted.case(case_id)
    assert case.value is not None
    phones = [national_phone(customers[c]["联系电话"]) for c in case.customer_ids]

    assert len(case.customer_ids) == size
    assert phones == [case.value.removeprefix("+86")] * size
    holders = [row for row in customers.values() if national_phone(row["联系电话"]) == phones[0]]
    assert len(holders) == size


def test_planted_phone_ring_written_forms(planted: Planted, customers: dict[str, dict[str, str]]) -> None:
    written = [customers[c]["联系电话"] for c in planted.case("phone_ring_formats").customer_ids]

    assert written[0].startswith("+86 ")
    assert written[1].startswith("0086")
    assert written[2].startswith("１３９")
    assert written[3].startswith("139 ")
    assert len(set(written)) == 4


def test_planted_chained_cluster(planted: Planted, customers: dict[str, dict[str, str]]) -> None:
    first, middle, last = (customers[c] for c in planted.case("chained_phone_account").customer_ids)

    assert first["联系电话"] == middle["联系电话"] != last["联系电话"]
    assert middle["银行账号"] == last["银行账号"] != first["银行账号"]


def test_planted_family_shares_address_only(planted: Planted, customers: dict[str, dict[str, str]]) -> None:
    case = planted.case("family_shared_address")
    family = [customers[c] for c in case.customer_ids]

    assert case.rule_codes == ()
    assert case.rule_codes_with_address_links == ("shared_contact_cluster",)
    assert {row["联系地址"] for row in family} == {case.value}
    assert len({national_phone(row["联系电话"]) for row in family}) == len(family)
    assert len({row["银行账号"] for row in family}) == len(family)


def test_planted_hub_phones(planted: Planted, customers: dict[str, dict[str, str]]) -> None:
    placeholder = planted.case("placeholder_phone_hub").customer_ids
    denylisted = planted.case("denylisted_phone").customer_ids

    assert len(placeholder) > 20
    assert {customers[c]["联系电话"] for c in placeholder} == {"00000000000"}
    assert {customers[c]["联系电话"] for c in denylisted} == {"13800138000"}
    assert sum(1 for row in customers.values() if row["联系电话"] == "00000000000") == len(placeholder)


def test_planted_minor_and_adult_insured_ages(
    planted: Planted, customers: dict[str, dict[str, str]], policies: dict[str, dict[str, str]]
) -> None:
    for case_id, age in (("minor_insured_without_id", 17), ("adult_insured_without_id", 18)):
        case = planted.case(case_id)
        insured = customers[case.customer_ids[0]]
        applied = date.fromisoformat(policies[case.policy_nos[0]]["投保日期"])
        birth = date.fromisoformat(insured["出生日期"])
        years = applied.year - birth.year - ((applied.month, applied.day) < (birth.month, birth.day))
        assert years == age, case_id
        assert insured["证件号码"] == "", case_id


def test_planted_identity_documents(planted: Planted, customers: dict[str, dict[str, str]]) -> None:
    def customer(case_id: str) -> dict[str, str]:
        return customers[planted.case(case_id).customer_ids[0]]

    wrong = customer("id_wrong_check_character")["证件号码"]
    assert len(wrong) == 18
    assert not ric.is_valid(wrong)
    assert not wrong.endswith("000")
    gender = customer("id_gender_mismatch")
    assert ric.is_valid(gender["证件号码"])
    assert gender["性别"] == "女"
    assert int(gender["证件号码"][16]) % 2 == 1
    birth = customer("id_birth_date_mismatch")
    assert ric.is_valid(birth["证件号码"])
    assert ric.get_birth_date(birth["证件号码"]).isoformat() != birth["出生日期"]
    truncated = customer("id_truncated_by_spreadsheet")["证件号码"]
    assert truncated.endswith("000")
    assert not ric.is_valid(truncated)
    lower = customer("id_lowercase_x")["证件号码"]
    assert lower.endswith("x")
    assert ric.is_valid(lower.upper())
    legacy = customer("legacy_15_digit_id")
    assert len(legacy["证件号码"]) == 15
    assert legacy["证件号码"][6:12] == legacy["出生日期"][2:].replace("-", "")
    assert customer("passport_holder")["证件类型"] == "护照"


def test_planted_agent_details(planted: Planted, customers: dict[str, dict[str, str]]) -> None:
    agents = {row[0]: row for row in xlsx_values(SAMPLE / AGENTS_FILE)[1:]}
    contacts = read_rows(SAMPLE, AGENT_CONTACTS_FILE)

    own = planted.case("agent_own_phone")
    assert customers[own.customer_ids[0]]["联系电话"] == agents[own.agent_ids[0]][7]
    relative = planted.case("agent_relative_phone")
    relative_phones = {
        c["联系电话"]
        for c in contacts
        if c["营销员代码"] == relative.agent_ids[0] and c["关系类型"] == "亲属"
    }
    assert customers[relative.customer_ids[0]]["联系电话"] in relative_phones
    office = planted.case("agency_office_address")
    seller, agency = office.agent_ids
    assert agents[seller][3] == agency
    office_addresses = {
        c["联系地址"] for c in contacts if c["营销员代码"] == agency and c["关系类型"] == "机构办公"
    }
    assert customers[office.customer_ids[0]]["联系地址"] in office_addresses
    selling = planted.case("agent_is_policyholder")
    agent, customer = agents[selling.agent_ids[0]], customers[selling.customer_ids[0]]
    assert customer["证件号码"] == agent[6]
    assert customer["联系电话"] != agent[7]
    assert customer["联系地址"] != agent[8]


def test_planted_payer_exceptions(planted: Planted, policies: dict[str, dict[str, str]]) -> None:
    exceptions = {row["保单号"]: row for row in read_rows(SAMPLE, PAYER_EXCEPTIONS_FILE)}
    valid = planted.case("third_party_payer_with_exception").policy_nos[0]
    expired = planted.case("third_party_payer_expired_exception").policy_nos[0]

    assert set(exceptions) == {valid, expired}
    assert exceptions[valid]["有效期至"].startswith("2027")
    assert exceptions[valid]["缴费账号"] == policies[valid]["缴费账号"]
    assert date.fromisoformat(exceptions[expired]["有效期至"]) < date.fromisoformat(
        policies[expired]["投保日期"]
    )
    shared = planted.case("payer_account_three_policyholders")
    assert len({policies[no]["缴费账号"] for no in shared.policy_nos}) == 1
    assert {policies[no]["营销员代码"] for no in shared.policy_nos} == set(shared.agent_ids)


def test_planted_complaint_histories(planted: Planted) -> None:
    complaints = read_rows(SAMPLE, COMPLAINTS_FILE)

    def verified_misleading(case_id: str) -> list[str]:
        agent = planted.case(case_id).agent_ids[0]
        return sorted(
            row["查实日期"]
            for row in complaints
            if row["营销员代码"] == agent and row["是否查实"] == "是" and row["投诉类别"] == "销售误导"
        )

    assert verified_misleading("repeat_offender_within_year") == ["2026-01-10", "2026-11-20"]
    assert verified_misleading("complaints_more_than_year_apart") == ["2025-01-10", "2026-03-01"]
    assert len(verified_misleading("complaint_not_verified")) == 1
    assert len(verified_misleading("complaints_other_category")) == 1
    planted_agents = {agent for case in planted.cases for agent in case.agent_ids}
    for agent in {row["营销员代码"] for row in complaints} - planted_agents:
        rows = [r for r in complaints if r["营销员代码"] == agent]
        assert len(rows) == 1, agent


def test_sample_readme_names_every_case(planted: Planted) -> None:
    readme = (SAMPLE / "README.md").read_text(encoding="utf-8")

    for case in planted.cases:
        assert f"`{case.case_id}`" in readme, case.case_id


# -- benchmark link tables -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def links() -> pd.DataFrame:
    return generate_links(10_000)


def test_generate_links_two_per_customer(links: pd.DataFrame) -> None:
    assert list(links.columns) == ["customer_id", "kind", "key"]
    assert len(links) == 20_000
    per_customer = links.groupby(["customer_id", "kind"]).size()
    assert per_customer.eq(1).all()
    assert links["customer_id"].nunique() == 10_000


def test_generate_links_key_formats(links: pd.DataFrame) -> None:
    phones = links.loc[links["kind"] == "phone", "key"]
    accounts = links.loc[links["kind"] == "bank_account", "key"]

    assert phones.str.fullmatch(r"\+86(1[358]\d{9}|20\d{8})").all()
    assert accounts.str.fullmatch(r"62\d{17}").all()
    assert links["customer_id"].str.fullmatch(r"C\d{8}").all()


def test_generate_links_rings_and_hubs(links: pd.DataFrame) -> None:
    carriers = links.groupby(["kind", "key"])["customer_id"].nunique()
    hubs = carriers[carriers > 5]
    rings = carriers[(carriers > 1) & (carriers <= 5)]

    assert hubs.to_dict() == {
        ("phone", f"+86{PLACEHOLDER_PHONE}"): 50,
        ("phone", f"+86{SWITCHBOARD_PHONE}"): 25,
    }
    assert set(rings.unique()) == {2, 3, 4, 5}
    ring_keys = rings.reset_index()[["kind", "key"]]
    in_rings = links.merge(ring_keys, on=["kind", "key"])["customer_id"]
    assert 0.025 <= in_rings.nunique() / 10_000 <= 0.035
    # Chained rings: some customers share both a phone and an account with others.
    assert (in_rings.value_counts() == 2).any()


def test_generate_links_deterministic() -> None:
    first = generate_links(2_000, seed=3)

    pd.testing.assert_frame_equal(first, generate_links(2_000, seed=3))
    assert not first["key"].equals(generate_links(2_000, seed=4)["key"])


def test_generate_links_rejects_too_few_customers() -> None:
    with pytest.raises(ValueError, match="between 1,000"):
        generate_links(999)


def test_generate_links_shared_keys_are_rare() -> None:
    frame = generate_links(100_000, seed=1)
    counts = frame.groupby(["kind", "key"])["customer_id"].nunique().to_numpy()

    assert np.count_nonzero(counts == 1) > 0.95 * len(counts)
    assert counts.max() == 500
