"""User-facing text in Simplified Chinese and English.

Every message shown to users (CLI output, report headers, API errors) is a
key into ``MESSAGES`` with a Chinese and an English form; ``zh`` is the
default language.
"""

from __future__ import annotations

from typing import Literal

Lang = Literal["zh", "en"]

MESSAGES: dict[str, tuple[str, str]] = {
    # CLI steps and summaries
    "step.read": ("读取并校验导出文件", "Reading and validating export files"),
    "step.load": ("载入图存储", "Loading the graph store"),
    "step.detect": ("检测共用联系方式客户群", "Detecting shared-contact clusters"),
    "step.write": ("写出结果文件", "Writing output files"),
    "step.rules": ("运行客户信息真实性检查规则", "Running the customer-information authenticity rules"),
    "summary.files": ("文件统计", "Files"),
    "summary.clusters": (
        "发现 {clusters} 个共用联系方式客户群，涉及 {customers} 名客户；高频标识 {hubs} 个",
        "Found {clusters} shared-contact clusters covering {customers} customers; {hubs} hub values",
    ),
    "summary.outputs": ("结果已写入 {out}", "Results written to {out}"),
    "summary.balance_ok": (
        "每个文件均满足：读取行数 = 载入行数 + 拒收行数",
        "Every file balances: rows read = rows loaded + rows rejected",
    ),
    "summary.balance_bad": (
        "文件 {file} 行数不平衡：读取 {read}，载入 {loaded}，拒收 {rejected}",
        "File {file} does not balance: read {read}, loaded {loaded}, rejected {rejected}",
    ),
    "summary.rejects": (
        "拒收 {rows} 行，忽略 {fields} 个字段，明细见 rejects.csv",
        "{rows} rows rejected and {fields} fields ignored; see rejects.csv",
    ),
    "summary.store_counts": (
        "图存储（{store}）：节点 {nodes} 个，关系 {rels} 条",
        "Graph store ({store}): {nodes} nodes, {rels} relationships",
    ),
    "summary.count_change": (
        "图存储（{store}）：节点 {nodes_before} → {nodes_after}，关系 {rels_before} → {rels_after}",
        "Graph store ({store}): nodes {nodes_before} → {nodes_after}, relationships {rels_before} → {rels_after}",
    ),
    "summary.networkx_not_kept": (
        "内嵌存储只存在于本次进程中；如需保留数据，请使用 --store neo4j",
        "The embedded store lives only for this process; use --store neo4j to keep the data",
    ),
    "summary.findings": (
        "真实性检查发现 {findings} 个问题（检查基准日 {as_of}），明细见 findings.csv",
        "The authenticity rules reported {findings} findings (as of {as_of}); see findings.csv",
    ),
    "summary.findings_by_rule": ("各规则问题数", "Findings by rule"),
    "summary.published": (
        "结果已发布到 {path}：新增 {new}，变更 {changed}，已解决 {resolved}",
        "Results published to {path}: {new} new, {changed} changed, {resolved} resolved",
    ),
    "summary.problem_list": (
        "可疑客户资料问题件清单下发日（T+1 工作日）：{issue}；渠道排查截止日（3 个工作日）：{due}",
        "Problem list issued on {issue} (next working day, T+1); investigations due by {due} (3 working days)",
    ),
    "summary.weekends_only": (
        "警告：{year} 年的节假日安排未知（chinesecalendar 和节假日文件均未提供），已按周一至周五计算工作日；"
        "请用 KYCGRAPH_HOLIDAY_FILE 提供节假日文件",
        "Warning: the {year} holiday schedule is unknown to chinesecalendar and the holiday file, so Monday to "
        "Friday count as working days; give a holiday file with KYCGRAPH_HOLIDAY_FILE",
    ),
    "error.prefix": ("错误", "Error"),
    "error.empty_store": (
        "图存储（{store}）为空，未运行检测，也未发布结果（否则结果登记库中的每个条目都会被标为已解决）。"
        "内嵌存储只存在于单个进程中：请用 kycgraph run <导出文件夹> 在同一进程中载入并检测，"
        "或先 kycgraph load <导出文件夹> --store neo4j，再 kycgraph detect --store neo4j",
        "The graph store ({store}) is empty, so nothing was detected or published (publishing would mark every "
        "item of the results registry resolved). The embedded store lives in one process only: run kycgraph run "
        "<export folder> to load and detect in one process, or kycgraph load <export folder> --store neo4j and "
        "then kycgraph detect --store neo4j",
    ),
    # Table headers
    "col.file": ("文件", "File"),
    "col.table": ("数据表", "Table"),
    "col.rows_read": ("读取行数", "Rows read"),
    "col.rows_loaded": ("载入行数", "Rows loaded"),
    "col.rows_rejected": ("拒收行数", "Rows rejected"),
    "col.fields_ignored": ("忽略字段数", "Fields ignored"),
    "col.encoding": ("编码", "Encoding"),
    "col.cluster_id": ("客户群编号", "Cluster id"),
    "col.size": ("客户数", "Customers"),
    "col.customer_id": ("客户号", "Customer id"),
    "col.name": ("客户姓名", "Name"),
    "col.roles": ("角色", "Roles"),
    "col.policies": ("保单号", "Policies"),
    "col.agents": ("营销员代码", "Agents"),
    "col.channels": ("销售渠道", "Sales channels"),
    "col.link_kinds": ("关联方式", "Linked by"),
    "col.evidence": ("共用联系方式（已脱敏）", "Shared identifiers (masked)"),
    "col.kind": ("类型", "Kind"),
    "col.key": ("值（已脱敏）", "Value (masked)"),
    "col.customer_count": ("客户数", "Customers"),
    "col.reason": ("原因", "Reason"),
    "col.row": ("行号", "Row"),
    "col.column": ("列", "Column"),
    "col.problem": ("问题代码", "Problem"),
    "col.message": ("说明", "Message"),
    "col.value": ("原值（已脱敏）", "Value (masked)"),
    "col.action": ("处理", "Action"),
    "col.finding_id": ("问题编号", "Finding id"),
    "col.rule_name": ("规则", "Rule"),
    "col.severity": ("严重程度", "Severity"),
    "col.policy_no": ("保单号", "Policy"),
    "col.agent_id": ("营销员代码", "Agent"),
    "col.channel": ("销售渠道", "Sales channel"),
    "col.finding_evidence": ("证据（已脱敏）", "Evidence (masked)"),
    "col.finding_count": ("问题数", "Findings"),
    # Sheet names
    "sheet.summary": ("文件统计", "Files"),
    "sheet.clusters": ("共用联系方式客户群", "Shared-contact clusters"),
    "sheet.hubs": ("高频标识", "Hub values"),
    "sheet.rejects": ("拒收记录", "Rejects"),
    "sheet.findings": ("可疑客户资料问题件清单", "Findings"),
    # Vocabulary
    "kind.phone": ("联系电话", "phone"),
    "kind.bank_account": ("银行账号", "bank account"),
    "kind.address": ("联系地址", "address"),
    "kind.email": ("电子邮箱", "email"),
    "channel.agency": ("个险", "agency"),
    "channel.bancassurance": ("银保", "bancassurance"),
    "channel.intermediary": ("中介", "intermediary"),
    "role.policyholder": ("投保人", "policyholder"),
    "role.insured": ("被保险人", "insured"),
    "role.beneficiary": ("受益人", "beneficiary"),
    "reason.placeholder": ("占位号码（黑名单）", "placeholder (denylist)"),
    "reason.over_threshold": ("共用客户数超过阈值 {threshold}", "carried by more than {threshold} customers"),
    "action.row_rejected": ("整行拒收", "row rejected"),
    "action.field_ignored": ("字段忽略", "field ignored"),
    "severity.high": ("高", "high"),
    "severity.medium": ("中", "medium"),
    "severity.low": ("低", "low"),
    "severity.warning": ("提示", "warning"),
}


def t(key: str, lang: Lang = "zh", **fields: object) -> str:
    """Return the message for ``key`` in ``lang``, with ``fields`` filled in.

    An unknown key returns the key itself, so a missing translation shows up
    in the output instead of raising in the middle of a report.
    """
    pair = MESSAGES.get(key)
    if pair is None:
        return key
    text = pair[0] if lang == "zh" else pair[1]
    return text.format(**fields) if fields else text


def vocabulary(prefix: str, value: str, lang: Lang = "zh") -> str:
    """Return a vocabulary word (``role``, ``kind``, ...) in ``lang``; unknown values pass through."""
    key = f"{prefix}.{value}"
    return t(key, lang) if key in MESSAGES else value
