"""The ``kycgraph`` command line."""

from __future__ import annotations

import logging
import sqlite3
from collections import Counter
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from api.permissions import ROLES
from api.state import STATE_FILE, PublishSummary, StateDB, StateError
from graph.model import Dataset
from graph.rules import RULES, rule_name, run_rules
from graph.rules.findings import Finding
from graph.rules.shared_contacts import ClusterResult, shared_contact_clusters
from graph.store import GraphCounts, GraphStore
from kycgraph.errors import ConfigError, KycgraphError
from kycgraph.i18n import Lang, t, vocabulary
from kycgraph.report import RunOutputs, write_outputs
from kycgraph.settings import Settings
from kycgraph.workdays import WorkingCalendar, problem_list_dates
from loaders.load import load_export
from loaders.mapping import Mapping
from loaders.rejects import LoadReport

app = typer.Typer(
    help="kycgraph: customer-information authenticity checks for life insurers / 寿险客户信息真实性检查",
    no_args_is_help=True,
    add_completion=False,
)
console = Console()
err_console = Console(stderr=True)

LangOption = Annotated[Lang | None, typer.Option("--lang", help="Output language: zh (default) or en / 输出语言")]
StoreOption = Annotated[
    str | None,
    typer.Option("--store", help="Graph store: networkx (embedded, default) or neo4j; env KYCGRAPH_STORE"),
]
MappingOption = Annotated[
    Path | None, typer.Option("--mapping", help="TOML mapping of files and headers / 列映射文件", exists=True)
]
LinkOption = Annotated[
    str | None,
    typer.Option("--link", help="Comma-separated identifier kinds that link customers, e.g. phone,bank_account,email"),
]
HubOption = Annotated[
    int | None, typer.Option("--hub-threshold", help="Identifiers on more customers than this are hub values", min=2)
]
NoPublishOption = Annotated[
    bool,
    typer.Option("--no-publish", help="Do not publish the results to the HTTP API's results registry "
                 "(KYCGRAPH_STATE_DIR) / 不发布到结果登记库"),
]
AsOfOption = Annotated[
    datetime | None,
    typer.Option(
        "--as-of", formats=["%Y-%m-%d"],
        help="Date, YYYY-MM-DD, against which payer-exception expiry and cooling-off periods are checked; "
        "default today / 检查基准日",
    ),
]


def open_store(settings: Settings) -> GraphStore:
    """Open the store that the settings choose."""
    if settings.store == "neo4j":
        from graph.neo4j_store import Neo4jStore

        return Neo4jStore.from_settings(settings)
    from graph.networkx_store import NetworkxStore

    return NetworkxStore()


def _settings(lang: Lang | None, store: str | None) -> Settings:
    overrides: dict[str, Any] = {}
    if lang is not None:
        overrides["lang"] = lang
    if store is not None:
        overrides["store"] = store
    try:
        return Settings(**overrides)
    except ValueError as exc:
        err_console.print(f"[red]{escape(str(exc))}[/red]")
        raise typer.Exit(2) from exc


def _progress() -> Progress:
    return Progress(
        SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
        console=console, transient=False,
    )


def _print_files(report: LoadReport, lang: Lang) -> bool:
    table = Table(title=t("summary.files", lang))
    for column in ("file", "table", "rows_read", "rows_loaded", "rows_rejected", "fields_ignored", "encoding"):
        table.add_column(t(f"col.{column}", lang), justify="right" if column.startswith(("rows", "fields")) else "left")
    balanced = True
    for f in report.files:
        table.add_row(f.file, f.table, str(f.rows_read), str(f.rows_loaded), str(f.rows_rejected),
                      str(f.fields_ignored), f.encoding or "-")
        if not f.is_balanced:
            balanced = False
            err_console.print(t("summary.balance_bad", lang, file=f.file, read=f.rows_read,
                                loaded=f.rows_loaded, rejected=f.rows_rejected))
    console.print(table)
    if balanced:
        console.print(t("summary.balance_ok", lang))
    return balanced


def _read_export(
    progress: Progress, input_path: Path, mapping: Path | None, settings: Settings
) -> tuple[Dataset, LoadReport, Mapping]:
    """Read, map and validate an export under a progress line, with the settings' region and denylist."""
    task = progress.add_task(t("step.read", settings.lang), total=None)
    loaded = load_export(
        input_path, mapping, default_region=settings.default_region, phone_denylist=settings.phone_denylist,
    )
    progress.update(task, total=1, completed=1)
    return loaded


def _link_kinds(option: str | None, default: tuple[str, ...]) -> tuple[str, ...]:
    """Return the link kinds of a comma-separated ``--link`` option, or ``default`` when it is not given."""
    if not option:
        return default
    return tuple(kind.strip() for kind in option.split(",") if kind.strip())


def _run_settings(
    settings: Settings, link_kinds: tuple[str, ...], hub_threshold: int, as_of: date
) -> dict[str, Any]:
    """Return the settings a detection run used, with its problem-list dates, as written to the JSON outputs.

    Raises:
        ConfigError: the holiday file is invalid.
    """
    calendar = WorkingCalendar.from_file(Path(settings.holiday_file) if settings.holiday_file else None)
    return {
        "store": settings.store,
        "link_kinds": list(link_kinds),
        "hub_threshold": hub_threshold,
        "as_of": as_of.isoformat(),
        "cooling_off_days": settings.cooling_off_days,
        "problem_list": problem_list_dates(as_of, calendar).to_dict(),
    }


def _print_findings(findings: list[Finding], lang: Lang, as_of: date, problem_list: dict[str, Any]) -> None:
    counts = Counter(f.rule for f in findings)
    table = Table(title=t("summary.findings_by_rule", lang))
    table.add_column(t("col.rule_name", lang))
    table.add_column(t("col.finding_count", lang), justify="right")
    for rule in RULES:
        if counts[rule.code]:
            table.add_row(rule_name(rule.code, lang), str(counts[rule.code]))
    console.print(table)
    console.print(t("summary.findings", lang, findings=len(findings), as_of=as_of.isoformat()))
    console.print(t("summary.problem_list", lang, issue=problem_list["issue_date"],
                    due=problem_list["investigation_due"]))
    for year in problem_list["weekends_only_years"]:
        err_console.print(t("summary.weekends_only", lang, year=year))


def _print_clusters(result: ClusterResult, lang: Lang, limit: int = 20) -> None:
    table = Table(title=t("sheet.clusters", lang))
    for column in ("cluster_id", "size", "link_kinds", "customer_id", "evidence"):
        table.add_column(t(f"col.{column}", lang))
    for cluster in result.clusters[:limit]:
        table.add_row(
            cluster.cluster_id,
            str(cluster.size),
            ", ".join(vocabulary("kind", k, lang) for k in cluster.link_kinds),
            ", ".join(m.customer_id for m in cluster.members),
            "; ".join(f"{vocabulary('kind', e.kind, lang)} {e.key_masked}" for e in cluster.evidence),
        )
    console.print(table)
    if len(result.clusters) > limit:
        console.print(f"… +{len(result.clusters) - limit}")


@app.callback()
def _main() -> None:
    """kycgraph: customer-information authenticity checks for life insurers / 寿险客户信息真实性检查."""


@app.command()
def run(
    input_path: Annotated[Path, typer.Argument(help="Export folder, or one customers file / 导出文件夹或客户文件")],
    out: Annotated[Path, typer.Option("--out", help="Output folder / 输出文件夹")] = Path("kycgraph-out"),
    mapping: MappingOption = None,
    lang: LangOption = None,
    store: StoreOption = None,
    link: LinkOption = None,
    hub_threshold: HubOption = None,
    as_of: AsOfOption = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log progress details")] = False,
    no_publish: NoPublishOption = False,
) -> None:
    """Load an export, run every detection rule and write the reports / 载入、检测并输出报告."""
    if verbose:
        logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    settings = _settings(lang, store)
    language: Lang = settings.lang
    as_of_date = as_of.date() if as_of else date.today()
    try:
        with _progress() as progress:
            dataset, report, resolved = _read_export(progress, input_path, mapping, settings)
            link_kinds = _link_kinds(link, resolved.link_kinds or settings.link_kinds)
            threshold = hub_threshold or resolved.hub_threshold or settings.hub_threshold

            task = progress.add_task(t("step.load", language), total=None)
            graph_store = open_store(settings)
            try:
                graph_store.load(dataset, progress=lambda _s, done, total: progress.update(
                    task, completed=done, total=total))
                counts = graph_store.counts()
                task = progress.add_task(t("step.detect", language), total=None)
                result = shared_contact_clusters(graph_store, link_kinds=link_kinds, hub_threshold=threshold)
                progress.update(task, total=1, completed=1)
                task = progress.add_task(t("step.rules", language), total=None)
                findings = run_rules(graph_store, settings, as_of_date)
                progress.update(task, total=1, completed=1)
            finally:
                graph_store.close()

            task = progress.add_task(t("step.write", language), total=None)
            run_settings = _run_settings(settings, link_kinds, threshold, as_of_date)
            outputs = write_outputs(
                out, result, report,
                settings_used=run_settings,
                lang=language,
                findings=findings,
            )
            progress.update(task, total=1, completed=1)
        published = None if no_publish else _publish(settings, result, findings)
    except KycgraphError as exc:
        err_console.print(f"[red]{t('error.prefix', language)}:[/red] {escape(str(exc))}")
        raise typer.Exit(1) from exc

    balanced = _print_files(report, language)
    rows_rejected = sum(f.rows_rejected for f in report.files)
    fields = sum(f.fields_ignored for f in report.files)
    console.print(t("summary.rejects", language, rows=rows_rejected, fields=fields))
    _print_detection(settings, counts, result, findings, as_of_date, run_settings, outputs, published, language)
    if not balanced:
        raise typer.Exit(3)


@app.command()
def load(
    input_path: Annotated[Path, typer.Argument(help="Export folder, or one customers file / 导出文件夹或客户文件")],
    mapping: MappingOption = None,
    lang: LangOption = None,
    store: StoreOption = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log progress details")] = False,
) -> None:
    """Validate an export and merge it into the graph store / 校验导出数据并载入图存储.

    Loading is idempotent: loading the same export again changes no counts,
    and a load that failed part-way can simply be run again.
    """
    if verbose:
        logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    settings = _settings(lang, store)
    language: Lang = settings.lang
    try:
        with _progress() as progress:
            dataset, report, _ = _read_export(progress, input_path, mapping, settings)
            task = progress.add_task(t("step.load", language), total=None)
            graph_store = open_store(settings)
            try:
                before = graph_store.counts()
                graph_store.load(dataset, progress=lambda _s, done, total: progress.update(
                    task, completed=done, total=total))
                after = graph_store.counts()
            finally:
                graph_store.close()
    except KycgraphError as exc:
        err_console.print(f"[red]{t('error.prefix', language)}:[/red] {escape(str(exc))}")
        raise typer.Exit(1) from exc
    balanced = _print_files(report, language)
    console.print(t("summary.count_change", language, store=settings.store,
                    nodes_before=before.total_nodes, nodes_after=after.total_nodes,
                    rels_before=before.total_relationships, rels_after=after.total_relationships))
    if settings.store == "networkx":
        console.print(t("summary.networkx_not_kept", language))
    if not balanced:
        raise typer.Exit(3)


@app.command()
def detect(
    out: Annotated[Path, typer.Option("--out", help="Output folder / 输出文件夹")] = Path("kycgraph-out"),
    lang: LangOption = None,
    store: StoreOption = None,
    link: LinkOption = None,
    hub_threshold: HubOption = None,
    as_of: AsOfOption = None,
    no_publish: NoPublishOption = False,
) -> None:
    """Run detection on the data already in the graph store (Neo4j) / 在已载入的图存储上运行检测."""
    settings = _settings(lang, store)
    language: Lang = settings.lang
    as_of_date = as_of.date() if as_of else date.today()
    link_kinds = _link_kinds(link, settings.link_kinds)
    threshold = hub_threshold or settings.hub_threshold
    try:
        graph_store = open_store(settings)
        try:
            counts = graph_store.counts()
            if counts.total_nodes == 0:
                raise ConfigError(t("error.empty_store", language, store=settings.store))
            result = shared_contact_clusters(graph_store, link_kinds=link_kinds, hub_threshold=threshold)
            findings = run_rules(graph_store, settings, as_of_date)
        finally:
            graph_store.close()
        run_settings = _run_settings(settings, link_kinds, threshold, as_of_date)
        outputs = write_outputs(
            out, result, LoadReport(),
            settings_used=run_settings,
            lang=language,
            findings=findings,
        )
        published = None if no_publish else _publish(settings, result, findings)
    except KycgraphError as exc:
        err_console.print(f"[red]{t('error.prefix', language)}:[/red] {escape(str(exc))}")
        raise typer.Exit(1) from exc
    _print_detection(settings, counts, result, findings, as_of_date, run_settings, outputs, published, language)


def _print_detection(
    settings: Settings,
    counts: GraphCounts,
    result: ClusterResult,
    findings: list[Finding],
    as_of: date,
    run_settings: dict[str, Any],
    outputs: RunOutputs,
    published: PublishSummary | None,
    lang: Lang,
) -> None:
    """Print what a detection run found and wrote: store counts, clusters, findings, files, registry."""
    console.print(t("summary.store_counts", lang, store=settings.store, nodes=counts.total_nodes,
                    rels=counts.total_relationships))
    _print_clusters(result, lang)
    console.print(t("summary.clusters", lang, clusters=len(result.clusters),
                    customers=result.customers_in_clusters, hubs=len(result.hub_values)))
    _print_findings(findings, lang, as_of, run_settings["problem_list"])
    console.print(t("summary.outputs", lang, out=outputs.clusters_json.parent))
    for path in outputs.all():
        console.print(f"  {path}")
    _print_published(published, settings, lang)


def _publish(settings: Settings, result: ClusterResult, findings: list[Finding]) -> PublishSummary:
    """Publish a run's results to the registry in the state directory, for the HTTP API."""
    try:
        return StateDB(settings.state_dir).publish_results(result.clusters, findings, result.hub_values)
    except sqlite3.Error as exc:
        raise ConfigError(
            f"Publishing to {settings.state_dir / STATE_FILE} failed: {exc}. Check that KYCGRAPH_STATE_DIR "
            "is a writable folder, or pass --no-publish."
        ) from exc


def _print_published(published: PublishSummary | None, settings: Settings, lang: Lang) -> None:
    if published is not None:
        console.print(t("summary.published", lang, new=published.new, changed=published.changed,
                        resolved=published.resolved, path=settings.state_dir / STATE_FILE))


@app.command()
def serve(
    host: Annotated[str, typer.Option("--host", help="Address to listen on; keep 127.0.0.1 behind a proxy")]
    = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port", min=1, max=65535)] = 8000,
    store: StoreOption = None,
    input_path: Annotated[
        Path, typer.Option("--input", help="Export loaded at start-up by the networkx store / 启动时载入的导出数据")
    ] = Path("sample"),
    mapping: MappingOption = None,
    as_of: AsOfOption = None,
    lang: LangOption = None,
) -> None:
    """Serve the HTTP API / 启动 HTTP API 服务.

    With the networkx store, the export is loaded, detected and published at
    start-up. With Neo4j, the API serves the graph as it is and the results
    that `kycgraph detect` last published.
    """
    import uvicorn

    from api.app import create_app, open_api_store
    from api.publish import detect_and_publish

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    settings = _settings(lang, store)
    graph_store = open_api_store(settings)
    try:
        if settings.store == "networkx":
            dataset, _, resolved = load_export(
                input_path, mapping, default_region=settings.default_region, phone_denylist=settings.phone_denylist,
            )
            graph_store.load(dataset)
            published = detect_and_publish(
                graph_store, settings, StateDB(settings.state_dir), as_of=as_of.date() if as_of else None,
                link_kinds=resolved.link_kinds or None, hub_threshold=resolved.hub_threshold,
            )
            _print_published(published, settings, settings.lang)
        uvicorn.run(create_app(settings, graph_store), host=host, port=port, log_level="info")
    except KycgraphError as exc:
        err_console.print(f"[red]{t('error.prefix', settings.lang)}:[/red] {escape(str(exc))}")
        raise typer.Exit(1) from exc
    finally:
        graph_store.close()


apikey_app = typer.Typer(help="Create, list and revoke API keys / 管理 API 密钥", no_args_is_help=True)
app.add_typer(apikey_app, name="apikey")


@apikey_app.command("create")
def apikey_create(
    role: Annotated[str, typer.Option("--role", help=f"One of: {', '.join(ROLES)}")],
    name: Annotated[str, typer.Option("--name", help="Who uses the key, e.g. case-system-prod")],
) -> None:
    """Create a key and print its token once; only its hash is stored / 创建密钥（令牌只显示一次）."""
    settings = _settings(None, None)
    try:
        key, token = StateDB(settings.state_dir).create_api_key(role, name)
    except StateError as exc:
        err_console.print(f"[red]{escape(str(exc))}[/red]")
        raise typer.Exit(2) from exc
    err_console.print(f"key id {key.key_id}, role {key.role}, name {key.name}. "
                      "Store the token now; it cannot be shown again. / 请立即保存令牌，之后无法再次显示。")
    typer.echo(token)


@apikey_app.command("list")
def apikey_list() -> None:
    """List keys with their role and state; tokens are never shown / 列出密钥."""
    settings = _settings(None, None)
    table = Table()
    for column in ("key id", "name", "role", "created", "revoked"):
        table.add_column(column)
    for key in StateDB(settings.state_dir).list_api_keys():
        table.add_row(key.key_id, key.name, key.role, key.created_at, key.revoked_at or "-")
    console.print(table)


@apikey_app.command("revoke")
def apikey_revoke(key_id: Annotated[str, typer.Argument(help="Key id from `kycgraph apikey list`")]) -> None:
    """Revoke a key; requests with its token get 401 from then on / 吊销密钥."""
    settings = _settings(None, None)
    if not StateDB(settings.state_dir).revoke_api_key(key_id):
        err_console.print(f"[red]No active key with id {key_id!r}; see `kycgraph apikey list`.[/red]")
        raise typer.Exit(1)
    console.print(f"revoked {key_id}")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
