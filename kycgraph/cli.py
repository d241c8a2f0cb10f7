"""The ``kycgraph`` command line."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from graph.rules import RULES, rule_name, run_rules
from graph.rules.findings import Finding
from graph.rules.shared_contacts import ClusterResult, shared_contact_clusters
from graph.store import GraphStore
from kycgraph.errors import KycgraphError
from kycgraph.i18n import Lang, t, vocabulary
from kycgraph.report import write_outputs
from kycgraph.settings import Settings
from loaders.load import load_export
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
        err_console.print(f"[red]{exc}[/red]")
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


def _print_findings(findings: list[Finding], lang: Lang, as_of: date) -> None:
    counts = Counter(f.rule for f in findings)
    table = Table(title=t("summary.findings_by_rule", lang))
    table.add_column(t("col.rule_name", lang))
    table.add_column(t("col.finding_count", lang), justify="right")
    for rule in RULES:
        if counts[rule.code]:
            table.add_row(rule_name(rule.code, lang), str(counts[rule.code]))
    console.print(table)
    console.print(t("summary.findings", lang, findings=len(findings), as_of=as_of.isoformat()))


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
) -> None:
    """Load an export, run every detection rule and write the reports / 载入、检测并输出报告."""
    if verbose:
        logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    settings = _settings(lang, store)
    language: Lang = settings.lang
    as_of_date = as_of.date() if as_of else date.today()
    try:
        with _progress() as progress:
            task = progress.add_task(t("step.read", language), total=None)
            dataset, report, resolved = load_export(
                input_path, mapping, default_region=settings.default_region,
                phone_denylist=settings.phone_denylist,
            )
            progress.update(task, total=1, completed=1)

            link_kinds = tuple(k.strip() for k in link.split(",") if k.strip()) if link else (
                resolved.link_kinds or settings.link_kinds
            )
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
            outputs = write_outputs(
                out, result, report,
                settings_used={"store": settings.store, "link_kinds": list(link_kinds), "hub_threshold": threshold,
                               "as_of": as_of_date.isoformat(), "cooling_off_days": settings.cooling_off_days},
                lang=language,
                findings=findings,
            )
            progress.update(task, total=1, completed=1)
    except KycgraphError as exc:
        err_console.print(f"[red]{t('error.prefix', language)}:[/red] {exc}")
        raise typer.Exit(1) from exc

    balanced = _print_files(report, language)
    rows_rejected = sum(f.rows_rejected for f in report.files)
    fields = sum(f.fields_ignored for f in report.files)
    console.print(t("summary.rejects", language, rows=rows_rejected, fields=fields))
    console.print(t("summary.store_counts", language, store=settings.store, nodes=counts.total_nodes,
                    rels=counts.total_relationships))
    _print_clusters(result, language)
    console.print(t("summary.clusters", language, clusters=len(result.clusters),
                    customers=result.customers_in_clusters, hubs=len(result.hub_values)))
    _print_findings(findings, language, as_of_date)
    console.print(t("summary.outputs", language, out=out))
    for path in outputs.all():
        console.print(f"  {path}")
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
            task = progress.add_task(t("step.read", language), total=None)
            dataset, report, _ = load_export(
                input_path, mapping, default_region=settings.default_region,
                phone_denylist=settings.phone_denylist,
            )
            progress.update(task, total=1, completed=1)
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
        err_console.print(f"[red]{t('error.prefix', language)}:[/red] {exc}")
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
) -> None:
    """Run detection on the data already in the graph store (Neo4j) / 在已载入的图存储上运行检测."""
    settings = _settings(lang, store)
    language: Lang = settings.lang
    as_of_date = as_of.date() if as_of else date.today()
    link_kinds = tuple(k.strip() for k in link.split(",") if k.strip()) if link else settings.link_kinds
    threshold = hub_threshold or settings.hub_threshold
    try:
        graph_store = open_store(settings)
        try:
            counts = graph_store.counts()
            result = shared_contact_clusters(graph_store, link_kinds=link_kinds, hub_threshold=threshold)
            findings = run_rules(graph_store, settings, as_of_date)
        finally:
            graph_store.close()
        outputs = write_outputs(
            out, result, LoadReport(),
            settings_used={"store": settings.store, "link_kinds": list(link_kinds), "hub_threshold": threshold,
                           "as_of": as_of_date.isoformat(), "cooling_off_days": settings.cooling_off_days},
            lang=language,
            findings=findings,
        )
    except KycgraphError as exc:
        err_console.print(f"[red]{t('error.prefix', language)}:[/red] {exc}")
        raise typer.Exit(1) from exc
    console.print(t("summary.store_counts", language, store=settings.store, nodes=counts.total_nodes,
                    rels=counts.total_relationships))
    _print_clusters(result, language)
    console.print(t("summary.clusters", language, clusters=len(result.clusters),
                    customers=result.customers_in_clusters, hubs=len(result.hub_values)))
    _print_findings(findings, language, as_of_date)
    console.print(t("summary.outputs", language, out=out))
    for path in outputs.all():
        console.print(f"  {path}")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
