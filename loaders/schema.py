"""Canonical input model: the tables kycgraph reads and the columns of each.

Every insurer export is mapped onto these tables, either through the built-in
header aliases (English canonical names and common Chinese headers) or through
a mapping file. ``docs/input-model.md`` documents the same model for users.

Column kinds decide how a value is read and normalised:

- ``text``: free text, NFKC-normalised and trimmed.
- ``key``: a record key (customer number, policy number); text, never a float.
- ``date``: a calendar date in ISO or common Chinese forms.
- ``gender``, ``role``, ``channel``, ``agent_type``, ``contact_type``,
  ``id_type``, ``flag``: small vocabularies with Chinese and English spellings.
- ``id_number``, ``phone``, ``bank_account``, ``address``, ``email``: identifiers,
  read as text and normalised into a link key next to the original value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ColumnKind = Literal[
    "text",
    "key",
    "date",
    "int",
    "gender",
    "role",
    "channel",
    "agent_type",
    "contact_type",
    "id_type",
    "flag",
    "id_number",
    "phone",
    "bank_account",
    "address",
    "email",
    "identifier",
]

# Identifier kinds that become graph nodes. Mapping files may declare more
# (device_id, ip_address, ...), which are read as case-folded text.
CONTACT_KINDS: tuple[str, ...] = ("phone", "bank_account", "address", "email")


@dataclass(frozen=True)
class Column:
    """One canonical column: its name, kind, whether a row needs it, and header aliases."""

    name: str
    kind: ColumnKind
    required: bool = False
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Table:
    """One canonical table and the columns that identify a row of it."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    required_table: bool = True  # False: the table may be absent from an export
    description: str = ""
    by_name: dict[str, Column] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {c.name: c for c in self.columns})


CUSTOMERS = Table(
    name="customers",
    key=("customer_id",),
    description="One row per customer (a person who is a policyholder, insured or beneficiary).",
    columns=(
        Column("customer_id", "key", True, ("客户号", "客户编号", "客户ID", "客户代码")),
        Column("name", "text", False, ("客户姓名", "姓名", "名称")),
        Column("gender", "gender", False, ("性别",)),
        Column("birth_date", "date", False, ("出生日期", "生日")),
        Column("id_type", "id_type", False, ("证件类型",)),
        Column("id_number", "id_number", False, ("证件号码", "证件号", "身份证号", "身份证号码")),
        Column("phone", "phone", False, ("联系电话", "手机号", "手机号码", "电话")),
        Column("address", "address", False, ("联系地址", "地址", "通讯地址")),
        Column("email", "email", False, ("电子邮箱", "邮箱", "电子邮件")),
        Column("bank_account", "bank_account", False, ("银行账号", "银行卡号", "账号")),
    ),
)

POLICIES = Table(
    required_table=False,
    name="policies",
    key=("policy_no",),
    description="One row per policy, with its selling agent, channel and premium payer account.",
    columns=(
        Column("policy_no", "key", True, ("保单号", "保单号码")),
        Column("product_code", "text", False, ("险种代码", "产品代码")),
        Column("product_name", "text", False, ("险种名称", "产品名称")),
        Column("term_years", "int", False, ("保险期间", "保险期间(年)", "保障年期")),
        Column("application_date", "date", False, ("投保日期", "投保单日期")),
        Column("signed_date", "date", False, ("回执签收日期", "签收日期", "保单签收日期")),
        Column("agent_id", "key", False, ("营销员代码", "业务员代码", "销售人员代码", "代理人代码")),
        Column("channel", "channel", False, ("销售渠道", "渠道")),
        Column("premium_account", "bank_account", False, ("缴费账号", "扣款账号", "续期缴费账号")),
        Column("payer_name", "text", False, ("缴费账户户名", "账户户名", "户名")),
        Column("payer_id_number", "id_number", False, ("账户持有人证件号码", "户主证件号码")),
    ),
)

POLICY_ROLES = Table(
    required_table=False,
    name="policy_roles",
    key=("policy_no", "customer_id", "role"),
    description="Who holds which role on a policy: policyholder, insured or beneficiary.",
    columns=(
        Column("policy_no", "key", True, ("保单号", "保单号码")),
        Column("customer_id", "key", True, ("客户号", "客户编号")),
        Column("role", "role", True, ("角色", "客户角色")),
    ),
)

AGENTS = Table(
    required_table=False,
    name="agents",
    key=("agent_id",),
    description="Sales staff and agencies: individual agents, bancassurance specialists, agencies.",
    columns=(
        Column("agent_id", "key", True, ("营销员代码", "业务员代码", "人员代码", "代理人代码")),
        Column("name", "text", False, ("姓名", "营销员姓名", "名称")),
        Column("agent_type", "agent_type", False, ("人员类型", "类型")),
        Column("agency_id", "key", False, ("所属代理机构", "代理机构代码")),
        Column("branch", "text", False, ("分支机构", "机构", "所属机构")),
        Column("team", "text", False, ("团队", "营业组", "所属团队")),
        Column("id_number", "id_number", False, ("证件号码", "身份证号")),
        Column("phone", "phone", False, ("联系电话", "手机号", "手机号码")),
        Column("address", "address", False, ("联系地址", "地址")),
        Column("bank_account", "bank_account", False, ("银行账号", "工资账号")),
    ),
)

AGENT_CONTACTS = Table(
    name="agent_contacts",
    key=("agent_id", "contact_type", "name"),
    required_table=False,
    description="Contacts linked to an agent: registered relatives, agency offices, agency staff.",
    columns=(
        Column("agent_id", "key", True, ("营销员代码", "业务员代码", "人员代码")),
        Column("contact_type", "contact_type", True, ("关系类型", "联系人类型", "类型")),
        Column("name", "text", False, ("姓名", "名称", "联系人姓名")),
        Column("phone", "phone", False, ("联系电话", "手机号", "电话")),
        Column("address", "address", False, ("联系地址", "地址")),
        Column("bank_account", "bank_account", False, ("银行账号",)),
    ),
)

COMPLAINTS = Table(
    name="complaints",
    key=("complaint_id",),
    required_table=False,
    description="Complaints against sales staff, with their category and verification outcome.",
    columns=(
        Column("complaint_id", "key", True, ("投诉编号", "投诉单号")),
        Column("agent_id", "key", True, ("营销员代码", "被投诉人员代码", "业务员代码")),
        Column("policy_no", "key", False, ("保单号",)),
        Column("received_date", "date", False, ("投诉日期", "受理日期")),
        Column("category", "text", False, ("投诉类别", "投诉类型")),
        Column("verified", "flag", False, ("是否查实", "查实")),
        Column("verified_date", "date", False, ("查实日期", "结案日期")),
    ),
)

PAYER_EXCEPTIONS = Table(
    name="payer_exceptions",
    key=("policy_no", "premium_account"),
    required_table=False,
    description="Approved exceptions that allow premiums from an account not held by the policyholder.",
    columns=(
        Column("policy_no", "key", True, ("保单号",)),
        Column("premium_account", "bank_account", True, ("缴费账号", "扣款账号")),
        Column("approver", "text", True, ("审批人",)),
        Column("reason", "text", False, ("例外原因", "原因")),
        Column("expiry_date", "date", True, ("有效期至", "失效日期")),
    ),
)

TABLES: dict[str, Table] = {
    t.name: t
    for t in (CUSTOMERS, POLICIES, POLICY_ROLES, AGENTS, AGENT_CONTACTS, COMPLAINTS, PAYER_EXCEPTIONS)
}

# File stems looked for in an input folder when no mapping file names the files.
DEFAULT_FILE_STEMS: dict[str, tuple[str, ...]] = {
    "customers": ("customers", "客户", "客户信息"),
    "policies": ("policies", "保单", "保单信息"),
    "policy_roles": ("policy_roles", "保单角色", "保单客户关系"),
    "agents": ("agents", "营销员", "销售人员"),
    "agent_contacts": ("agent_contacts", "营销员关系人", "销售人员关系人"),
    "complaints": ("complaints", "投诉"),
    "payer_exceptions": ("payer_exceptions", "缴费账户例外"),
}
