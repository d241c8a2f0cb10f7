"""Fixtures for rule tests: write a small export as CSV files and load it into the store under test."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from graph.store import GraphStore
from loaders.load import load_export

# Headers in the Chinese form insurers export, one line per table.
CUSTOMERS = "客户号,客户姓名,性别,出生日期,证件类型,证件号码,联系电话,联系地址,银行账号"
POLICIES = "保单号,险种名称,投保日期,回执签收日期,营销员代码,销售渠道,缴费账号,缴费账户户名,账户持有人证件号码"
POLICY_ROLES = "保单号,客户号,角色"
AGENTS = "营销员代码,姓名,人员类型,所属代理机构,证件号码,联系电话,联系地址,银行账号"
AGENT_CONTACTS = "营销员代码,关系类型,姓名,联系电话,联系地址"
COMPLAINTS = "投诉编号,营销员代码,保单号,投诉日期,投诉类别,是否查实,查实日期"
PAYER_EXCEPTIONS = "保单号,缴费账号,审批人,例外原因,有效期至"

HEADERS = {
    "customers": CUSTOMERS,
    "policies": POLICIES,
    "policy_roles": POLICY_ROLES,
    "agents": AGENTS,
    "agent_contacts": AGENT_CONTACTS,
    "complaints": COMPLAINTS,
    "payer_exceptions": PAYER_EXCEPTIONS,
}

# Takes table name -> data lines (without header) and returns the loaded store.
LoadTables = Callable[[dict[str, list[str]]], GraphStore]


@pytest.fixture
def load_tables(store: GraphStore, tmp_path: Path) -> LoadTables:
    """Return a function that writes the given tables as CSV and loads them into ``store``.

    The load must reject nothing, so that a test never runs on less data than it wrote.
    """

    def load(tables: dict[str, list[str]]) -> GraphStore:
        for name, lines in tables.items():
            text = "\n".join([HEADERS[name], *lines]) + "\n"
            (tmp_path / f"{name}.csv").write_text(text, encoding="utf-8")
        dataset, report, _ = load_export(tmp_path)
        rejects = report.rejects_frame()
        assert rejects.empty, rejects.to_dict("records")
        store.load(dataset)
        return store

    return load
