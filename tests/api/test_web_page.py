"""Browser tests of the investigators' web page, in Debian's Chromium driven by Playwright.

``kycgraph serve`` runs in a child process on a free 127.0.0.1 port over the
sample export (networkx store), with an investigator key created in its state
database as ``kycgraph apikey create`` does. Each test opens the page in a
fresh browser context and compares what it shows with what the API returns.

Without ``/usr/bin/chromium`` or the playwright package the tests are
skipped, except when ``KYCGRAPH_REQUIRE_BROWSER=1`` or ``CI=true``: then they
fail. Install the browser with ``apt-get install -y chromium``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from api.state import StateDB

try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:
    sync_playwright = None

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "sample"
# The sample export's date, so that the planted findings come out as in the other API tests.
AS_OF = "2026-12-04"
CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
SERVER_START_SECONDS = 90
TIMEOUT_MS = 15_000
# Every digit of the phone that the sample's largest cluster shares; investigators see it masked.
RING_PHONE_DIGITS = "13982206610"
INVALID_KEY = "kg_000000000000_" + "x" * 43


def _browser_required() -> bool:
    return os.environ.get("KYCGRAPH_REQUIRE_BROWSER") == "1" or os.environ.get("CI", "").lower() == "true"


def _missing_browser_reason() -> str | None:
    if sync_playwright is None:
        return "the playwright package is missing; run `pip install -e '.[dev]'`"
    if not CHROMIUM.is_file():
        return f"no Chromium at {CHROMIUM}; install it with `apt-get install -y chromium`"
    return None


@dataclass(frozen=True)
class LiveServer:
    """The API and page served by ``kycgraph serve``, with an investigator's token."""

    base_url: str
    token: str

    def get(self, path: str, **params: Any) -> Any:
        """Return the JSON body of a GET as the investigator, in Chinese."""
        response = httpx.get(
            self.base_url + path, params=params, headers={"X-API-Key": self.token, "Accept-Language": "zh-CN"},
            timeout=30,
        )
        response.raise_for_status()
        return response.json()


@dataclass
class Tab:
    """A page in a fresh browser context, with the script errors it raised."""

    page: Page
    script_errors: list[str] = field(default_factory=list)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_until_healthy(process: subprocess.Popen[bytes], base_url: str, log_path: Path) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"kycgraph serve exited with {process.returncode}:\n{log_path.read_text(errors='replace')}")
        try:
            if httpx.get(base_url + "/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.25)
    pytest.fail(f"kycgraph serve did not respond on /health within {SERVER_START_SECONDS} s:\n"
                f"{log_path.read_text(errors='replace')}")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless; skipped when missing unless a browser is required."""
    reason = _missing_browser_reason()
    if reason is not None:
        if _browser_required():
            pytest.fail(f"a browser is required here (KYCGRAPH_REQUIRE_BROWSER=1 or CI=true) but {reason}")
        pytest.skip(reason)
    assert sync_playwright is not None
    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """``kycgraph serve`` over the sample export on a free loopback port, stopped after the module."""
    workdir = tmp_path_factory.mktemp("web-server")
    state_dir = workdir / "state"
    _, token = StateDB(state_dir).create_api_key("investigator", "web page test")
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    command = [
        sys.executable, "-m", "kycgraph.cli", "serve", "--input", str(SAMPLE), "--host", "127.0.0.1",
        "--port", str(port), "--store", "networkx", "--as-of", AS_OF,
    ]
    # The working directory is empty, so that no .env file of the checkout changes the settings.
    env = {
        **os.environ, "KYCGRAPH_STATE_DIR": str(state_dir), "KYCGRAPH_LANG": "zh",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
    }
    log_path = workdir / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_until_healthy(process, base_url, log_path)
        yield LiveServer(base_url, token)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


OpenTab = Callable[..., Tab]


@pytest.fixture
def open_tab(browser: Browser, live_server: LiveServer) -> Iterator[OpenTab]:
    """Return a function that opens a page path in a new context with a browser locale."""
    contexts = []

    def open_(path: str = "/", locale: str = "zh-CN") -> Tab:
        context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 900})
        contexts.append(context)
        page = context.new_page()
        tab = Tab(page)
        page.on("pageerror", lambda error: tab.script_errors.append(str(error)))
        page.goto(live_server.base_url + path)
        expect(page.locator("body")).to_have_attribute("data-ready", "true")
        return tab

    yield open_
    for context in contexts:
        context.close()


def _sign_in(page: Page, key: str) -> None:
    page.fill("#api-key", key)
    page.click("#key-form button[type=submit]")


def _signed_in(open_tab: OpenTab, live_server: LiveServer, path: str = "/", locale: str = "zh-CN") -> Tab:
    tab = open_tab(path, locale)
    _sign_in(tab.page, live_server.token)
    expect(tab.page.locator("#workspace")).to_be_visible()
    return tab


def test_web_page_cluster_detail_and_graph(open_tab: OpenTab, live_server: LiveServer, tmp_path: Path) -> None:
    tab = open_tab("/")
    page = tab.page
    assert page.url == live_server.base_url + "/ui/"
    _sign_in(page, live_server.token)

    # 1. The five sample clusters, as the API lists them.
    clusters = live_server.get("/v1/clusters")["items"]
    assert len(clusters) == 5
    rows = page.locator("#cluster-table tbody tr")
    expect(rows).to_have_count(5)
    shown_ids = [rows.nth(index).get_attribute("data-cluster-id") for index in range(5)]
    assert shown_ids == [cluster["cluster_id"] for cluster in clusters]
    sizes = sorted((cluster["size"] for cluster in clusters), reverse=True)
    assert sizes[0] > sizes[1], "the sample should have one largest cluster"
    largest = max(clusters, key=lambda cluster: cluster["size"])

    # 2. Its detail: members and a graph with the API's nodes and edges.
    page.get_by_role("button", name=largest["cluster_id"]).click()
    detail = live_server.get(f"/v1/clusters/{largest['cluster_id']}")
    expect(page.locator("#cluster-detail")).to_be_visible()
    expect(page.locator("#detail-heading")).to_have_text(f"客户群 {largest['cluster_id']}")
    members = page.locator("#member-table tbody tr")
    expect(members).to_have_count(len(detail["members"]))
    assert [members.nth(i).get_attribute("data-customer-id") for i in range(len(detail["members"]))] == [
        member["customer_id"] for member in detail["members"]
    ]
    nodes = page.locator("#graph svg g.node")
    expect(nodes).to_have_count(len(detail["graph"]["nodes"]))
    assert sorted(nodes.evaluate_all("(groups) => groups.map((group) => group.dataset.id)")) == sorted(
        node["id"] for node in detail["graph"]["nodes"]
    )
    for node_type in ("Customer", "Identifier", "Policy", "Agent"):
        expected = sum(1 for node in detail["graph"]["nodes"] if node["type"] == node_type)
        expect(page.locator(f"#graph svg g.node[data-type={node_type}]")).to_have_count(expected)
    expect(page.locator("#graph svg path.edge")).to_have_count(len(detail["graph"]["edges"]))

    # 3. Chinese labels, and the shared phone masked as the API returned it.
    expect(page.locator("#tab-clusters")).to_have_text("共用联系方式客户群")
    expect(page.locator("#graph-legend")).to_contain_text("共用标识")
    edge_labels = set(page.locator("#graph text.edge-label").all_text_contents())
    assert {"联系电话", "投保人", "被保险人", "销售"} <= edge_labels
    phone_key = page.locator("#evidence-table tr[data-kind=phone] .evidence-key")
    expect(phone_key).to_have_text(detail["evidence"][0]["key"])
    assert "****" in phone_key.inner_text()
    assert RING_PHONE_DIGITS not in page.locator("body").inner_text()
    page.screenshot(path=tmp_path / "cluster-detail-zh.png", full_page=True)

    # 4. The English switch relabels everything without reloading.
    page.click(".lang-switch button[data-lang=en]")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#tab-clusters")).to_have_text("Shared-contact clusters")
    expect(page.locator("#detail-heading")).to_have_text(f"Cluster {largest['cluster_id']}")
    for word in ("customer", "shared identifier", "policy", "agent"):
        expect(page.locator("#graph-legend")).to_contain_text(word)
    edge_labels = set(page.locator("#graph text.edge-label").all_text_contents())
    assert {"phone", "policyholder", "insured", "sold"} <= edge_labels
    expect(page.locator("#member-table thead")).to_contain_text("Customer id")
    expect(nodes).to_have_count(len(detail["graph"]["nodes"]))
    assert "****" in phone_key.inner_text()
    page.screenshot(path=tmp_path / "cluster-detail-en.png", full_page=True)
    assert tab.script_errors == []


def test_web_page_findings_tab_lists_findings(open_tab: OpenTab, live_server: LiveServer) -> None:
    page = _signed_in(open_tab, live_server).page
    findings = live_server.get("/v1/findings", limit=1000)["items"]
    assert findings

    page.click("#tab-findings")
    rows = page.locator("#finding-table tbody tr")
    expect(rows).to_have_count(len(findings))
    assert rows.evaluate_all("(rows) => rows.map((row) => row.dataset.findingId)") == [
        finding["finding_id"] for finding in findings
    ]
    expect(page.locator("#finding-table")).to_contain_text("非投保人账户缴费")

    payer_findings = live_server.get("/v1/findings", rule="third_party_payer")["items"]
    assert 0 < len(payer_findings) < len(findings)
    page.select_option("#filter-rule", "third_party_payer")
    page.click("#finding-filters button[type=submit]")
    expect(rows).to_have_count(len(payer_findings))
    assert set(rows.evaluate_all("(rows) => rows.map((row) => row.dataset.rule)")) == {"third_party_payer"}


def test_web_page_invalid_key_shows_api_error(open_tab: OpenTab) -> None:
    tab = open_tab("/", "zh-CN")
    page = tab.page
    _sign_in(page, INVALID_KEY)
    error = page.locator("#error")
    expect(error).to_have_text("API 密钥无效或已吊销")
    expect(page.locator("#workspace")).to_be_hidden()
    assert page.evaluate("() => sessionStorage.getItem('kycgraph.apiKey')") is None

    page.click(".lang-switch button[data-lang=en]")
    expect(error).to_have_text("API key invalid or revoked")
    assert tab.script_errors == []


@pytest.mark.parametrize(
    ("locale", "lang", "title"),
    [("zh-CN", "zh-CN", "kycgraph 可疑客户排查"), ("en-US", "en", "kycgraph investigations"),
     ("fr-FR", "zh-CN", "kycgraph 可疑客户排查")],
    ids=["chinese", "english", "other-is-chinese"],
)
def test_web_page_language_from_browser(open_tab: OpenTab, locale: str, lang: str, title: str) -> None:
    page = open_tab("/", locale).page
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.locator("h1")).to_have_text(title)
    pressed = "en" if lang == "en" else "zh"
    expect(page.locator(f".lang-switch button[data-lang={pressed}]")).to_have_attribute("aria-pressed", "true")


def test_web_page_load_more_pages(open_tab: OpenTab, live_server: LiveServer) -> None:
    page = _signed_in(open_tab, live_server, "/ui/?page_size=2").page
    rows = page.locator("#cluster-table tbody tr")
    more = page.locator("#clusters-more")
    expect(rows).to_have_count(2)
    more.click()
    expect(rows).to_have_count(4)
    more.click()
    expect(rows).to_have_count(5)
    expect(more).to_be_hidden()
    shown_ids = rows.evaluate_all("(rows) => rows.map((row) => row.dataset.clusterId)")
    assert shown_ids == [cluster["cluster_id"] for cluster in live_server.get("/v1/clusters")["items"]]


@pytest.mark.parametrize(
    ("link_kind", "min_size"), [("", "3"), ("bank_account", ""), ("phone", "3")],
    ids=["min-size", "bank-account", "phone-min-size"],
)
def test_web_page_cluster_filters(open_tab: OpenTab, live_server: LiveServer, link_kind: str, min_size: str) -> None:
    page = _signed_in(open_tab, live_server).page
    expect(page.locator("#cluster-table tbody tr")).to_have_count(5)
    params = {name: value for name, value in (("link_kind", link_kind), ("min_size", min_size)) if value}
    expected = [cluster["cluster_id"] for cluster in live_server.get("/v1/clusters", **params)["items"]]
    assert 0 < len(expected) < 5

    page.select_option("#filter-link-kind", link_kind)
    page.fill("#filter-min-size", min_size)
    page.click("#cluster-filters button[type=submit]")
    rows = page.locator("#cluster-table tbody tr")
    expect(rows).to_have_count(len(expected))
    assert rows.evaluate_all("(rows) => rows.map((row) => row.dataset.clusterId)") == expected


def test_web_page_hub_values_tab(open_tab: OpenTab, live_server: LiveServer) -> None:
    page = _signed_in(open_tab, live_server).page
    hubs = live_server.get("/v1/hub-values")["items"]
    assert hubs

    page.click("#tab-hubs")
    rows = page.locator("#hub-table tbody tr")
    expect(rows).to_have_count(len(hubs))
    for index, hub in enumerate(hubs):
        expect(rows.nth(index)).to_contain_text(hub["key"])
        assert "****" in hub["key"]
    expect(page.locator("#hub-table")).to_contain_text("占位号码（黑名单）")


def test_web_page_key_in_session_storage_only(open_tab: OpenTab, live_server: LiveServer) -> None:
    page = _signed_in(open_tab, live_server).page
    assert page.evaluate("() => sessionStorage.getItem('kycgraph.apiKey')") == live_server.token
    assert page.evaluate("() => localStorage.length") == 0
    assert page.context.cookies() == []
    assert page.input_value("#api-key") == ""

    page.reload()
    expect(page.locator("#workspace")).to_be_visible()
    expect(page.locator("#cluster-table tbody tr")).to_have_count(5)

    page.click("#sign-out")
    expect(page.locator("#sign-in")).to_be_visible()
    expect(page.locator("#workspace")).to_be_hidden()
    assert page.evaluate("() => sessionStorage.getItem('kycgraph.apiKey')") is None
