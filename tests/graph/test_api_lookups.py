"""The store lookups the HTTP API makes per request: who carries an identifier, and a customer's identifiers.

Run on every store with the same export and the same expected tuples.
"""

from __future__ import annotations

from collections.abc import Callable

from graph.store import CustomerIdentifier, GraphStore, IdentifierOwner

LoadTables = Callable[[dict[str, list[str]]], GraphStore]

SHARED_PHONE = "+8613700002222"
ACCOUNT = "6222020200112233445"


def tables() -> dict[str, list[str]]:
    """C1 and C2 share a phone with agent A1's relative (contact A1/2, its file row); C2 also has a bank account."""
    return {
        "customers": [
            "C2,李娜,女,1990-05-06,居民身份证,110105199005061025,13700002222,,6222 0202 0011 2233 445",
            "C1,王伟,男,1985-11-23,居民身份证,310104198511231258,137-0000-2222,,",
            "C3,张敏,女,1979-01-15,居民身份证,11010519790115102X,13900009999,,",
        ],
        "agents": ["A1,李强,营销员,,110105197001011014,13800001111,,"],
        "agent_contacts": ["A1,亲属,李芳,13700002222,"],
    }


def test_identifier_owners_customers_and_contacts(load_tables: LoadTables) -> None:
    store = load_tables(tables())
    assert store.identifier_owners("phone", SHARED_PHONE) == [
        IdentifierOwner("agent_contact", "A1/2", "A1", "relative", True, ""),
        IdentifierOwner("customer", "C1", None, None, True, ""),
        IdentifierOwner("customer", "C2", None, None, True, ""),
    ]
    assert store.identifier_owners("phone", "+8613800001111") == [
        IdentifierOwner("agent", "A1", "A1", None, True, ""),
    ]


def test_identifier_owners_unknown_empty(load_tables: LoadTables) -> None:
    store = load_tables(tables())
    assert store.identifier_owners("phone", "+8613500000000") == []
    assert store.identifier_owners("bank_account", SHARED_PHONE) == []


def test_customer_identifiers_sorted_as_read(load_tables: LoadTables) -> None:
    store = load_tables(tables())
    # Unknown ids are skipped and repeated ids read once.
    assert store.customer_identifiers(["C2", "C9", "C1", "C2"]) == [
        CustomerIdentifier("C1", "phone", SHARED_PHONE, "137-0000-2222", True, ""),
        CustomerIdentifier("C2", "bank_account", ACCOUNT, "6222 0202 0011 2233 445", True, ""),
        CustomerIdentifier("C2", "phone", SHARED_PHONE, "13700002222", True, ""),
    ]
    assert store.customer_identifiers([]) == []
