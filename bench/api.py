"""Measure the HTTP API under load against a bare FastAPI route, and the entry-time check on a large graph.

Three kinds of process take part, each started by this script:

- The kycgraph API: ``create_app`` over a store loaded with
  ``kycgraph.generate.generate_links(--customers)``, which gives one phone
  and one bank account per customer, rings of 2 to 5 customers and two hub
  phones. The store is a ``NetworkxStore``, or with ``--store neo4j`` the
  Neo4j server at ``NEO4J_URI``. Clusters are detected and published into a
  temporary state database at start-up, and uvicorn serves the app on
  127.0.0.1 with the settings of ``kycgraph serve``.
- A bare FastAPI app with one route, ``GET /bare``, returning
  ``{"status": "ok"}``, served by uvicorn with the same settings.
- A load generator per run: ``--concurrency`` asyncio clients, each on
  one keep-alive HTTP/1.1 connection of its own, a warm-up that is not
  recorded, then a fixed number of requests. It records each request's
  latency, the wall time, and the CPU time the server process used during
  the measured requests (from /proc, so Linux only). The clients write
  requests and read responses on asyncio streams, because an httpx client
  used about 3 ms of CPU per request here, so the bare server sat idle
  waiting for it.

Steps:

1. Create the admin key, start both servers (each pinned to CPU 0 when the
   machine has two or more, the load generator to CPU 1) and wait until they
   answer.
2. Pick the clusters for the detail requests: ``--detail-clusters`` drawn at
   random (seeded) from every published cluster. Build ``--entry-forms``
   proposal forms whose phones and bank accounts are a mix of values on
   record, new values and the switchboard hub phone. Send one detail and
   one entry-check request, so the store builds its lookup indexes before
   the load starts.
3. Each round runs bare, cluster list, cluster detail and the entry-time
   check at each ``--entry-concurrency``, in that order, so the API and bare
   runs alternate (A B A B ...). A run with any non-2xx response fails the
   benchmark.
4. Print medians and min-max over the rounds. The ratios compare medians
   with the bare route of the same rounds, so that 1.0 means as fast as the
   bare route: throughput API / bare, and p99 latency bare / API.

Run ``.venv/bin/python bench/api.py`` for the full benchmark (one million
customers, about 20 minutes on two cores with the networkx store, plus about
6 minutes to load Neo4j); ``--customers 10000 --rounds 1
--requests 500`` is a quick smoke run. Servers and load generators only ever
use 127.0.0.1, and every run stops after its fixed number of requests.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

Target = Literal["bare", "list", "detail", "entry"]
StoreName = Literal["networkx", "neo4j"]
HOST = "127.0.0.1"
# Targets of the benchmark's requirement: list and detail at least half as fast as the bare route (both
# ratios), and the entry-time check's p95 on a million customers at most 20 ms.
MIN_RATIO = 0.5
MAX_ENTRY_P95_MS = 20.0
SWITCHBOARD_PHONE = "+862083888888"
# Seconds to wait for a server to respond after it starts; building a million-customer store takes about a minute.
STARTUP_TIMEOUT_SECONDS = 900
REQUEST_TIMEOUT_SECONDS = 60.0
SERVER_CPU = 0
LOAD_CPU = 1


@dataclass(frozen=True)
class RunResult:
    """One load run: its latencies summarised, its throughput, and the server's CPU use."""

    target: str
    concurrency: int
    requests: int
    seconds: float
    throughput: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    server_cpu_share: float
    errors: int
    statuses: dict[str, int]


@dataclass
class Report:
    """Every run of the benchmark, with the machine and the settings it ran with."""

    store: str
    customers: int
    clusters: int
    rounds: int
    requests: int
    warmup: int
    concurrency: int
    machine: dict[str, Any]
    runs: list[RunResult] = field(default_factory=list)


# --- Servers ---------------------------------------------------------------------------------------------


def _pin_to_cpu(cpu: int) -> None:
    """Run this process on one CPU when the machine has more than one, so server and load do not share a core."""
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {cpu})


def _run_uvicorn(app: Any, port: int) -> None:
    import uvicorn

    # The settings of `kycgraph serve`: one process, the default event loop and HTTP parser, access log on.
    uvicorn.run(app, host=HOST, port=port, log_level="info")


def serve_bare(port: int) -> None:
    """Serve the bare FastAPI app: one route that returns a small JSON object."""
    from fastapi import FastAPI

    _pin_to_cpu(SERVER_CPU)
    app = FastAPI(title="bare")

    @app.get("/bare")
    def bare() -> dict[str, str]:
        return {"status": "ok"}

    _run_uvicorn(app, port)


def link_dataset(customers: int) -> Any:
    """Return the Dataset of ``bench/neo4j_load.py`` for ``generate_links(customers)``, with customer names.

    Names are two random characters, so that cluster members have a name to mask.
    """
    import numpy as np

    from bench.neo4j_load import build_dataset
    from kycgraph.generate import generate_links

    dataset = build_dataset(generate_links(customers))
    rng = np.random.default_rng(11)
    surnames = np.array(list("王李张刘陈杨黄赵吴周"), dtype=object)
    given = np.array(list("伟芳娜敏静丽强磊军洋"), dtype=object)
    count = len(dataset.customers)
    dataset.customers["name"] = (surnames[rng.integers(0, len(surnames), count)]
                                 + given[rng.integers(0, len(given), count)])
    return dataset


def serve_api(port: int, customers: int, state_dir: Path, store_name: StoreName, clear: bool) -> None:
    """Build the store, detect and publish its clusters, then serve the kycgraph API.

    Neo4j is the server at ``NEO4J_URI``, opened as ``kycgraph serve`` opens it.

    Raises:
        RuntimeError: the Neo4j database contains data and ``clear`` is false.
    """
    import logging

    from api.app import create_app, open_api_store
    from api.state import StateDB
    from graph.rules.shared_contacts import shared_contact_clusters
    from kycgraph.settings import Settings

    _pin_to_cpu(SERVER_CPU)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    settings = Settings(state_dir=state_dir, store=store_name)
    store = open_api_store(settings)
    if store_name == "neo4j" and store.counts().total_nodes:
        if not clear:
            raise RuntimeError(f"the Neo4j database at {settings.neo4j_uri} is not empty; pass --clear to empty it")
        store.clear()
    store.load(link_dataset(customers))
    result = shared_contact_clusters(store, link_kinds=settings.link_kinds, hub_threshold=settings.hub_threshold)
    StateDB(state_dir).publish_results(result.clusters, [], result.hub_values)
    _run_uvicorn(create_app(settings, store), port)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@contextmanager
def _server(arguments: Sequence[str], log_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Start ``bench/api.py <arguments>`` in a subprocess, and stop it (SIGINT, then SIGKILL) on exit."""
    with log_path.open("wb") as log:
        process = subprocess.Popen([sys.executable, __file__, *arguments], stdout=log, stderr=subprocess.STDOUT)
        try:
            yield process
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    import httpx

    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server for {url} exited with {process.returncode}; see {log_path}")
        try:
            if httpx.get(url, timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"no response from {url} within {STARTUP_TIMEOUT_SECONDS} s; see {log_path}")


# --- Load generator -----------------------------------------------------------------------------------


def _cpu_seconds(pid: int) -> float:
    """Return the user and system CPU seconds of a process and its threads so far (Linux /proc)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2:].split()
    # Fields 14 and 15 of proc(5), utime and stime, counted from the state field (3) after the name.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _percentile(sorted_values: Sequence[float], percent: float) -> float:
    """Return the nearest-rank percentile of sorted values."""
    rank = max(1, -(-len(sorted_values) * percent // 100))
    return sorted_values[int(rank) - 1]


def _encode_request(base_url: str, token: str, request: dict[str, Any]) -> bytes:
    """Return one HTTP/1.1 keep-alive request as bytes."""
    host = base_url.removeprefix("http://")
    body = b"" if request.get("json") is None else json.dumps(request["json"], ensure_ascii=False).encode()
    lines = [f"{request['method']} {request['path']} HTTP/1.1", f"Host: {host}", f"Authorization: Bearer {token}",
             "Accept: application/json"]
    if body:
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _read_response(reader: asyncio.StreamReader) -> int:
    """Read one response with a Content-Length body and return its status code."""
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("the server closed the connection")
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
        elif name.strip().lower() == "transfer-encoding":
            raise ValueError("chunked responses are not supported by this load generator")
    await reader.readexactly(length)
    return int(status_line.split()[1])


async def _load(
    base_url: str, token: str, target: Target, plan: Sequence[dict[str, Any]], concurrency: int,
    warmup: int, requests: int, server_pid: int,
) -> RunResult:
    host, port = base_url.removeprefix("http://").split(":")
    encoded = [_encode_request(base_url, token, request) for request in plan]
    connections = [await asyncio.open_connection(host, int(port)) for _ in range(concurrency)]

    async def phase(count: int, latencies: list[float], statuses: dict[str, int]) -> None:
        next_index = 0

        async def client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            nonlocal next_index
            while next_index < count:
                request = encoded[next_index % len(encoded)]
                next_index += 1
                started = time.perf_counter()
                writer.write(request)
                status = await asyncio.wait_for(_read_response(reader), REQUEST_TIMEOUT_SECONDS)
                latencies.append(time.perf_counter() - started)
                statuses[str(status)] = statuses.get(str(status), 0) + 1

        await asyncio.gather(*(client(reader, writer) for reader, writer in connections))

    await phase(warmup, [], {})
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    cpu_before = _cpu_seconds(server_pid)
    started = time.perf_counter()
    await phase(requests, latencies, statuses)
    seconds = time.perf_counter() - started
    server_cpu = _cpu_seconds(server_pid) - cpu_before
    for _, writer in connections:
        writer.close()

    ordered = sorted(latencies)
    return RunResult(
        target=target, concurrency=concurrency, requests=len(ordered), seconds=seconds,
        throughput=len(ordered) / seconds,
        p50_ms=_percentile(ordered, 50) * 1000, p95_ms=_percentile(ordered, 95) * 1000,
        p99_ms=_percentile(ordered, 99) * 1000, max_ms=ordered[-1] * 1000,
        server_cpu_share=server_cpu / seconds,
        errors=sum(count for status, count in statuses.items() if not status.startswith("2")),
        statuses=statuses,
    )


def run_load(plan_path: Path) -> None:
    """Run one load from a plan file and print its result as one JSON line; the token comes from the environment."""
    _pin_to_cpu(LOAD_CPU)
    plan = json.loads(plan_path.read_text())
    result = asyncio.run(_load(
        plan["base_url"], os.environ["KYCGRAPH_BENCH_TOKEN"], plan["target"], plan["requests_plan"],
        plan["concurrency"], plan["warmup"], plan["requests"], plan["server_pid"],
    ))
    print(json.dumps(asdict(result)))


# --- Plans ------------------------------------------------------------------------------------------------


def _resident_id(rng: random.Random) -> tuple[str, str, str]:
    """Return a valid resident ID number with its gender (男 or 女) and birth date."""
    from stdnum.cn import ric

    birth = f"{rng.randint(1950, 2000)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    sequence = rng.randint(0, 999)
    body = f"110101{birth}{sequence:03d}"
    gender = "男" if sequence % 2 else "女"
    return body + ric.calc_check_digit(body), gender, f"{birth[:4]}-{birth[4:6]}-{birth[6:]}"


def entry_forms(links_sample: Sequence[tuple[str, str]], count: int, seed: int = 5) -> list[dict[str, Any]]:
    """Return proposal forms whose phones and bank accounts are on record, new, or the switchboard hub phone.

    ``links_sample`` contains (kind, key) pairs on record. Of every ten forms,
    six carry a phone and an account on record, three new ones, and one the
    switchboard phone that about 0.1% of customers carry.
    """
    rng = random.Random(seed)
    phones = [key for kind, key in links_sample if kind == "phone" and key != SWITCHBOARD_PHONE]
    accounts = [key for kind, key in links_sample if kind == "bank_account"]
    forms = []
    for number in range(count):
        id_number, gender, birth_date = _resident_id(rng)
        slot = number % 10
        if slot < 6:
            phone, account = rng.choice(phones)[3:], rng.choice(accounts)
        elif slot < 9:
            phone = f"1{rng.choice('3589')}{rng.randint(0, 999_999_999):09d}"
            account = f"6{rng.randint(0, 10**18 - 1):018d}"
        else:
            phone, account = SWITCHBOARD_PHONE[3:], rng.choice(accounts)
        forms.append({
            "application_date": "2026-12-01",
            "policyholder": {
                "name": "陈明", "gender": gender, "birth_date": birth_date, "id_type": "居民身份证",
                "id_number": id_number, "phone": phone, "address": f"广东省广州市天河区体育西路{number}号",
                "bank_account": account,
            },
        })
    return forms


def _plans(state_dir: Path, customers: int, detail_clusters: int, forms: int) -> dict[str, list[dict[str, Any]]]:
    from api.state import ClusterFilters, StateDB

    # Every published cluster; the registry serves them largest first.
    clusters = StateDB(state_dir).list_clusters(ClusterFilters(), limit=10**9).items
    rng = random.Random(3)
    chosen = rng.sample(clusters, min(detail_clusters, len(clusters)))
    from kycgraph.generate import generate_links

    links = generate_links(customers)
    sample = links.sample(n=min(20_000, len(links)), random_state=4)
    pairs = list(zip(sample["kind"].tolist(), sample["key"].tolist(), strict=True))
    return {
        "bare": [{"method": "GET", "path": "/bare"}],
        "list": [{"method": "GET", "path": "/v1/clusters"}],
        "detail": [{"method": "GET", "path": f"/v1/clusters/{item.item_id}"} for item in chosen],
        "entry": [{"method": "POST", "path": "/v1/checks/entry", "json": form}
                  for form in entry_forms(pairs, forms)],
        "clusters": [{"count": len(clusters)}],
    }


def _warm_store(base_url: str, token: str, plans: dict[str, list[dict[str, Any]]]) -> None:
    import httpx

    headers = {"Authorization": f"Bearer {token}"}
    for target in ("detail", "entry"):
        request = plans[target][0]
        response = httpx.request(request["method"], base_url + request["path"], json=request.get("json"),
                                 headers=headers, timeout=STARTUP_TIMEOUT_SECONDS)
        response.raise_for_status()


def _run_once(
    work: Path, base_url: str, token: str, target: Target, plan: list[dict[str, Any]], concurrency: int,
    warmup: int, requests: int, server_pid: int,
) -> RunResult:
    plan_path = work / f"plan-{target}.json"
    plan_path.write_text(json.dumps({
        "base_url": base_url, "target": target, "requests_plan": plan, "concurrency": concurrency,
        "warmup": warmup, "requests": requests, "server_pid": server_pid,
    }, ensure_ascii=False))
    completed = subprocess.run(
        [sys.executable, __file__, "load", "--plan", str(plan_path)],
        env={**os.environ, "KYCGRAPH_BENCH_TOKEN": token}, capture_output=True, text=True,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"the {target} load generator failed:\n{completed.stderr}")
    result = RunResult(**json.loads(completed.stdout.strip().splitlines()[-1]))
    if result.errors:
        raise RuntimeError(f"{target} run got non-2xx responses: {result.statuses}")
    return result


# --- Report -----------------------------------------------------------------------------------------------


def _spread(values: Sequence[float], digits: int) -> str:
    return f"{statistics.median(values):.{digits}f} ({min(values):.{digits}f}-{max(values):.{digits}f})"


def summarise(report: Report) -> list[str]:
    """Return the report's lines: per target and concurrency, medians with min-max, then the ratios."""
    groups: dict[tuple[str, int], list[RunResult]] = {}
    for run in report.runs:
        groups.setdefault((run.target, run.concurrency), []).append(run)
    lines = [f"{'target':<8} {'clients':>7} {'req/s':>24} {'p95 ms':>22} {'p99 ms':>22} {'server CPU':>10}"]
    for (target, concurrency), runs in groups.items():
        lines.append(
            f"{target:<8} {concurrency:>7} {_spread([r.throughput for r in runs], 0):>24} "
            f"{_spread([r.p95_ms for r in runs], 1):>22} {_spread([r.p99_ms for r in runs], 1):>22} "
            f"{statistics.median([r.server_cpu_share for r in runs]):>10.0%}"
        )
    bare = groups[("bare", report.concurrency)]
    bare_throughput = statistics.median([r.throughput for r in bare])
    bare_p99 = statistics.median([r.p99_ms for r in bare])
    for target in ("list", "detail"):
        runs = groups[(target, report.concurrency)]
        throughput_ratio = statistics.median([r.throughput for r in runs]) / bare_throughput
        latency_ratio = bare_p99 / statistics.median([r.p99_ms for r in runs])
        verdict = "met" if min(throughput_ratio, latency_ratio) >= MIN_RATIO else "missed"
        lines.append(f"{target}: throughput ratio {throughput_ratio:.2f}, p99 ratio {latency_ratio:.2f} "
                     f"(target {MIN_RATIO} each: {verdict})")
    for (target, concurrency), runs in groups.items():
        if target == "entry":
            p95 = statistics.median([r.p95_ms for r in runs])
            verdict = "met" if p95 <= MAX_ENTRY_P95_MS else "missed"
            lines.append(f"entry check at {concurrency} client(s): p95 {p95:.1f} ms "
                         f"(target at most {MAX_ENTRY_P95_MS:.0f} ms: {verdict})")
    return lines


def benchmark(arguments: argparse.Namespace) -> Report:
    """Run steps 1 to 3 of the module docstring and return every run."""
    from api.state import StateDB

    with tempfile.TemporaryDirectory(prefix="kycgraph-api-bench-") as folder:
        work = Path(folder)
        state_dir = work / "state"

        # 1. Key and servers.
        _, token = StateDB(state_dir).create_api_key("admin", "api benchmark")
        api_port, bare_port = _free_port(), _free_port()
        api_url, bare_url = f"http://{HOST}:{api_port}", f"http://{HOST}:{bare_port}"
        api_args = ["serve-api", "--port", str(api_port), "--customers", str(arguments.customers),
                    "--state-dir", str(state_dir), "--store", arguments.store]
        if arguments.clear:
            api_args.append("--clear")
        with _server(api_args, work / "api.log") as api_server, \
                _server(["serve-bare", "--port", str(bare_port)], work / "bare.log") as bare_server:
            _wait_until_up(f"{bare_url}/bare", bare_server, work / "bare.log")
            _wait_until_up(f"{api_url}/health", api_server, work / "api.log")

            # 2. Clusters for the detail requests, the entry forms, and one request of each to warm the store.
            plans = _plans(state_dir, arguments.customers, arguments.detail_clusters, arguments.entry_forms)
            # NOTE: NetworkxStore builds its identifier indexes on first use without a lock, so 50 concurrent
            # first requests on a million customers each built a copy and the server ran out of memory.
            _warm_store(api_url, token, plans)
            report = Report(
                store=arguments.store, customers=arguments.customers, clusters=int(plans["clusters"][0]["count"]),
                rounds=arguments.rounds,
                requests=arguments.requests, warmup=arguments.warmup, concurrency=arguments.concurrency,
                machine={"cpus": os.cpu_count(), "python": sys.version.split()[0], "platform": sys.platform,
                         "load_average_before": os.getloadavg()[0]},
            )

            # 3. Rounds of alternating runs.
            for round_number in range(1, arguments.rounds + 1):
                schedule: list[tuple[Target, int, str, int]] = [
                    ("bare", arguments.concurrency, bare_url, bare_server.pid),
                    ("list", arguments.concurrency, api_url, api_server.pid),
                    ("detail", arguments.concurrency, api_url, api_server.pid),
                    *[("entry", c, api_url, api_server.pid) for c in arguments.entry_concurrency],
                ]
                for target, concurrency, base_url, pid in schedule:
                    result = _run_once(work, base_url, token, target, plans[target], concurrency,
                                       arguments.warmup, arguments.requests, pid)
                    report.runs.append(result)
                    print(f"round {round_number}: {target} x{concurrency}: {result.throughput:.0f} req/s, "
                          f"p95 {result.p95_ms:.1f} ms, p99 {result.p99_ms:.1f} ms, "
                          f"server CPU {result.server_cpu_share:.0%}, load average {os.getloadavg()[0]:.1f}",
                          flush=True)
            report.machine["load_average_after"] = os.getloadavg()[0]
    return report


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run the benchmark, a server or a load generator; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    commands = parser.add_subparsers(dest="command")
    bare = commands.add_parser("serve-bare", help="serve the bare FastAPI app (started by the benchmark)")
    bare.add_argument("--port", type=int, required=True)
    api = commands.add_parser("serve-api", help="serve the kycgraph API on a link graph (started by the benchmark)")
    api.add_argument("--port", type=int, required=True)
    api.add_argument("--customers", type=int, required=True)
    api.add_argument("--state-dir", type=Path, required=True)
    api.add_argument("--store", choices=["networkx", "neo4j"], default="networkx")
    api.add_argument("--clear", action="store_true")
    load = commands.add_parser("load", help="run one load from a plan file (started by the benchmark)")
    load.add_argument("--plan", type=Path, required=True)
    parser.add_argument("--customers", type=int, default=1_000_000,
                        help="customers in the graph (default: %(default)s)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of alternating runs (default: %(default)s)")
    parser.add_argument("--requests", type=int, default=5_000, help="measured requests per run (default: %(default)s)")
    parser.add_argument("--warmup", type=int, default=500,
                        help="unrecorded requests before each run (default: %(default)s)")
    parser.add_argument("--concurrency", type=int, default=50,
                        help="concurrent clients of the bare, list and detail runs (default: %(default)s)")
    parser.add_argument("--entry-concurrency", type=int, nargs="+", default=[1, 50],
                        help="concurrent clients of the entry-check runs, one run each (default: 1 50)")
    parser.add_argument("--detail-clusters", type=int, default=1_000,
                        help="clusters drawn for the detail requests (default: %(default)s)")
    parser.add_argument("--entry-forms", type=int, default=1_000,
                        help="distinct proposal forms for the entry-check requests (default: %(default)s)")
    parser.add_argument("--store", choices=["networkx", "neo4j"], default="networkx",
                        help="graph store of the API; neo4j uses the server at NEO4J_URI (default: %(default)s)")
    parser.add_argument("--clear", action="store_true",
                        help="empty the Neo4j database first; without it a non-empty database is an error")
    parser.add_argument("--json", type=Path, help="also write every run to this JSON file")
    arguments = parser.parse_args(argv)

    if arguments.command == "serve-bare":
        serve_bare(arguments.port)
        return 0
    if arguments.command == "serve-api":
        serve_api(arguments.port, arguments.customers, arguments.state_dir, arguments.store, arguments.clear)
        return 0
    if arguments.command == "load":
        run_load(arguments.plan)
        return 0

    report = benchmark(arguments)
    for line in summarise(report):
        print(line)
    if arguments.json is not None:
        arguments.json.write_text(json.dumps(asdict(report), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
