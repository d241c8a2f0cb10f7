"""Store behaviour that every rule relies on, run on every store through the ``store`` fixture.

A reloaded row replaces the row with the same key. A policy loaded again
with another agent or premium account is sold by the new agent and paid from
the new account only. A complaint loaded again against another agent is
against the new agent only.
"""

from __future__ import annotations

from collections.abc import Callable

from graph.store import GraphStore

LoadTables = Callable[[dict[str, list[str]]], GraphStore]

HOLDER_ID = "310104198511231258"
HOLDER_PHONE = "13912345678"
OLD_ACCOUNT = "6222021234567890123"
NEW_ACCOUNT = "6222029876543210987"
OTHER_ACCOUNT = "6222020000111122223"


def export(p1: str, p2: str) -> dict[str, list[str]]:
    """Return an export where C1 is the policyholder of P1 and C2 of P2.

    Agent A1 has C1's ID number and phone, so the store reports C1's
    policies that A1 sold as the agent's own.
    """
    return {
        "customers": [
            f"C1,王伟,男,1985-11-23,居民身份证,{HOLDER_ID},{HOLDER_PHONE},,",
            "C2,赵敏,女,1985-11-23,居民身份证,31010419851123124X,13912345679,,",
        ],
        "agents": [f"A1,王伟,营销员,,{HOLDER_ID},{HOLDER_PHONE},,", "A2,陈静,营销员,,,,,"],
        "policies": [p1, p2],
        "policy_roles": ["P1,C1,投保人", "P2,C2,投保人"],
    }


def policy(policy_no: str, agent_id: str, account: str) -> str:
    return f"{policy_no},安康定期寿险,2026-03-16,2026-03-20,{agent_id},个险,{account},刘洋,110105198002021024"


def sales(store: GraphStore) -> list[tuple[str, str]]:
    """Return (agent_id, policy_no) of every policy that A1 or A2 sold."""
    rows = store.agent_sales(["A1", "A2"])
    return list(zip(rows["agent_id"], rows["policy_no"], strict=True))


def payer_accounts(store: GraphStore) -> list[tuple[str, str, str]]:
    """Return (policy_no, agent_id, premium_account) of every policy with a premium account."""
    rows = store.premium_payers()
    return list(zip(rows["policy_no"], rows["agent_id"], rows["premium_account"], strict=True))


def test_store_reload_replaces_agent(load_tables: LoadTables) -> None:
    load_tables(export(policy("P1", "A1", OLD_ACCOUNT), policy("P2", "A1", OTHER_ACCOUNT)))
    store = load_tables(export(policy("P1", "A2", OLD_ACCOUNT), policy("P2", "A1", OTHER_ACCOUNT)))
    assert sales(store) == [("A1", "P2"), ("A2", "P1")]
    assert store.agent_policyholders().empty
    matches = store.agent_identifier_matches(["phone"])
    assert list(zip(matches["customer_id"], matches["agent_id"], matches["sold_to_customer"], strict=True)) == [
        ("C1", "A1", False),
    ]
    assert store.counts().relationships["SOLD"] == 2


def test_store_reload_replaces_premium_account(load_tables: LoadTables) -> None:
    load_tables(export(policy("P1", "A1", OLD_ACCOUNT), policy("P2", "A1", OTHER_ACCOUNT)))
    store = load_tables(export(policy("P1", "A1", NEW_ACCOUNT), policy("P2", "A1", OTHER_ACCOUNT)))
    assert payer_accounts(store) == [("P1", "A1", NEW_ACCOUNT), ("P2", "A1", OTHER_ACCOUNT)]
    counts = store.counts()
    assert counts.relationships["PAID_FROM"] == 2
    assert counts.nodes["BankAccount"] == 2  # the old account is on no row any more


def test_store_reload_without_agent_or_account(load_tables: LoadTables) -> None:
    load_tables(export(policy("P1", "A1", OLD_ACCOUNT), policy("P2", "A1", OTHER_ACCOUNT)))
    store = load_tables(export(policy("P1", "", ""), policy("P2", "A1", OTHER_ACCOUNT)))
    assert sales(store) == [("A1", "P2")]
    assert store.agent_policyholders().empty
    assert payer_accounts(store) == [("P2", "A1", OTHER_ACCOUNT)]
    counts = store.counts()
    assert counts.relationships["SOLD"] == 1
    assert counts.relationships["PAID_FROM"] == 1
    assert counts.nodes["BankAccount"] == 1


def test_store_reload_swaps_premium_accounts(load_tables: LoadTables) -> None:
    load_tables(export(policy("P1", "A1", OLD_ACCOUNT), policy("P2", "A2", NEW_ACCOUNT)))
    store = load_tables(export(policy("P1", "A2", NEW_ACCOUNT), policy("P2", "A1", OLD_ACCOUNT)))
    assert sales(store) == [("A1", "P2"), ("A2", "P1")]
    assert payer_accounts(store) == [("P1", "A2", NEW_ACCOUNT), ("P2", "A1", OLD_ACCOUNT)]
    counts = store.counts()
    assert counts.relationships["SOLD"] == 2
    assert counts.relationships["PAID_FROM"] == 2
    assert counts.nodes["BankAccount"] == 2


def test_store_reload_keeps_customer_account(load_tables: LoadTables) -> None:
    tables = export(policy("P1", "A1", OLD_ACCOUNT), policy("P2", "A1", OTHER_ACCOUNT))
    tables["customers"][0] = f"C1,王伟,男,1985-11-23,居民身份证,{HOLDER_ID},{HOLDER_PHONE},,{OLD_ACCOUNT}"
    load_tables(tables)
    tables["policies"][0] = policy("P1", "A1", NEW_ACCOUNT)
    store = load_tables(tables)
    counts = store.counts()
    assert counts.relationships["PAID_FROM"] == 2
    assert counts.relationships["HAS_BANK_ACCOUNT"] == 1
    assert counts.nodes["BankAccount"] == 3  # C1 still carries the old account


def complaint(agent_id: str) -> str:
    return f"T1,{agent_id},P1,2026-05-02,销售误导,是,2026-06-01"


def test_store_reload_replaces_complaint_agent(load_tables: LoadTables) -> None:
    tables = export(policy("P1", "A1", OLD_ACCOUNT), policy("P2", "A1", OTHER_ACCOUNT))
    load_tables({**tables, "complaints": [complaint("A1")]})
    store = load_tables({**tables, "complaints": [complaint("A2")]})
    complaints = store.verified_complaints()
    assert list(zip(complaints["complaint_id"], complaints["agent_id"], strict=True)) == [("T1", "A2")]

