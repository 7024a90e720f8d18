"""Petitions benchmark: see run.sh, bench/README.md and docs/petitions.md.

1. A fresh database (migrated) and topic prefix; N verified citizens seeded in the
   read model; one open petition on the ``open-petition`` channel; N access tokens
   minted (one per citizen) and a JWKS served over HTTP.
2. The service under uvicorn (2 workers, outbox relay and folder running) driven by
   wrk: every request signs the petition with its own token. Signatures per second,
   p50 and p99; then checks that the stored signatures equal the 201 answers and
   that the folded count catches up.
3. Baselines on the same machine: pgbench one-row inserts into the same table, and
   the bare FastAPI + asyncpg endpoint of ``bare_app.py`` (insert + outbox row).
4. The ratios, printed and written to ``bench/results/``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from aiokafka.admin import AIOKafkaAdminClient
from joserfc.jwk import RSAKey

from petitions.channels.rules import ChannelRules
from petitions.lifecycle import repository as lifecycle
from petitions.lifecycle.rules import Petition, State
from sawt_shared.kafka import all_topics, ensure_topics
from sawt_shared.migrations import upgrade_to_head
from sawt_shared.testing import load_stack_env
from sawt_shared.testing.tokens import TokenFactory

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
REGIONS = ("casablanca-settat", "rabat-sale-kenitra", "fes-meknes", "souss-massa", "oriental")
ISSUER = "https://identity.bench.sawt"


def say(text: str) -> None:
    print(f"bench: {text}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


# --------------------------------------------------------------------------- tokens

_FACTORY: TokenFactory | None = None


def _init_minter(jwk: dict[str, Any]) -> None:
    global _FACTORY
    _FACTORY = TokenFactory(key=RSAKey.import_key(jwk), issuer=ISSUER, lifetime=4 * 3600)


def _mint(ids: list[str]) -> list[str]:
    assert _FACTORY is not None
    return [_FACTORY.mint(subject=i, scopes=["petitions:sign"]) for i in ids]


def mint_tokens(key: RSAKey, ids: list[uuid.UUID], path: Path) -> None:
    """One RS256 access token per citizen, minted on every core, one per line."""
    chunks = [[str(i) for i in ids[k : k + 2000]] for k in range(0, len(ids), 2000)]
    jwk = key.as_dict(private=True)
    with (
        ProcessPoolExecutor(os.cpu_count() or 2, initializer=_init_minter, initargs=(jwk,)) as pool,
        path.open("w") as out,
    ):
        for tokens in pool.map(_mint, chunks):
            out.write("\n".join(tokens) + "\n")


@contextlib.contextmanager
def jwks_server(document: dict[str, Any]) -> Iterator[str]:
    body = json.dumps(document).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json"
    finally:
        server.shutdown()


# --------------------------------------------------------------------------- database


async def seed(
    url: str, citizens: list[uuid.UUID], petitions: int
) -> tuple[uuid.UUID, list[uuid.UUID]]:
    """Citizens in the read model, a public body, and open petitions (warm-up, rounds)."""
    conn = await asyncpg.connect(url)
    try:
        await conn.set_type_codec(
            "jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog"
        )
        await conn.copy_records_to_table(
            "citizens",
            records=[
                (c, REGIONS[n % len(REGIONS)], "email", f"Citizen {n}")
                for n, c in enumerate(citizens)
            ],
            columns=["user_id", "region", "assurance", "display_name"],
        )
        body = uuid.uuid4()
        await conn.execute(
            "INSERT INTO organizations (organization_id, name, kind, verified)"
            " VALUES ($1, 'Chef du gouvernement', 'public_body', true)",
            body,
        )
        row = await conn.fetchrow("SELECT * FROM channels WHERE slug = 'open-petition'")
        assert row is not None
        rules = ChannelRules.from_json(
            {**dict(row), "target_organization_id": None}  # the columns hold the rules
        )
        ids = []
        now = datetime.now(UTC)
        for number in range(petitions):
            title = "Échauffement" if number == 0 else f"Pétition virale {number}"
            p = Petition(
                id=uuid.uuid4(),
                channel="open-petition",
                rules=rules,
                creator_id=uuid.uuid4(),
                target_organization_id=body,
                state=State.DRAFT,
                language="fr",
                title={"fr": title, "ar": "عريضة"},
                body={"fr": "Banc d'essai.", "ar": "اختبار"},
                subject="bench",
                region=None,
                created_at=now,
            )
            await lifecycle.insert_petition(conn, p)
            await conn.execute(
                "UPDATE petitions SET state = 'open', opened_at = now(),"
                " closes_at = now() + interval '30 days' WHERE id = $1",
                p.id,
            )
            ids.append(p.id)
        await conn.execute("CREATE TABLE bare_outbox (LIKE outbox INCLUDING ALL)")
        await conn.execute("ANALYZE")
        return body, ids
    finally:
        await conn.close()


async def scalar(url: str, sql: str, *args: Any) -> Any:
    conn = await asyncpg.connect(url)
    try:
        return await conn.fetchval(sql, *args)
    finally:
        await conn.close()


async def drop_database(admin: str, name: str) -> None:
    conn = await asyncpg.connect(admin)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def delete_topics(bootstrap: str, prefix: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        topics = [t for t in await admin.list_topics() if t.startswith(prefix)]
        if topics:
            await admin.delete_topics(topics)
    finally:
        await admin.close()


# --------------------------------------------------------------------------- processes


@contextlib.contextmanager
def uvicorn(
    target: str, port: int, env: dict[str, str], workers: int, app_dir: Path | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    argv = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        target,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--no-access-log",
        "--log-level",
        "warning",
        "--backlog",
        "4096",
        "--no-proxy-headers",  # as the services run (see sawt_stack.services)
    ]
    if app_dir is not None:
        argv += ["--app-dir", str(app_dir)]
    with tempfile.TemporaryFile() as log:
        yield from _serve(target, port, argv, env, log)


def _serve(
    target: str, port: int, argv: list[str], env: dict[str, str], log: Any
) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(
        argv, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                log.seek(0)
                raise RuntimeError(f"{target} exited:\n{log.read().decode()[-3000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"{target} did not start")
            time.sleep(0.3)
        yield proc
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.seek(0)
        errors = [
            line
            for line in log.read().decode(errors="replace").splitlines()
            if '"level": "error"' in line or "Traceback" in line
        ]
        if errors:
            say(f"{target} logged {len(errors)} errors; first: {errors[0][:300]}")


def worker_pids(master: int) -> list[int]:
    """uvicorn's worker processes (not multiprocessing's resource tracker)."""
    out = subprocess.run(
        ["ps", "-o", "pid=,args=", "--ppid", str(master)],
        capture_output=True,
        text=True,
        check=False,
    )
    return [int(line.split()[0]) for line in out.stdout.splitlines() if "spawn_main" in line]


def connections_per_process(url: str, pids: list[int]) -> list[int]:
    """How the kernel spread wrk's connections over the server's processes (``ss``).

    uvicorn's workers accept from one shared socket: a worker that accepted more of
    the (long-lived) connections answers each of them more slowly.
    """
    port = url.rsplit(":", 1)[1].split("/")[0]
    out = subprocess.run(
        ["ss", "-tnpH", "state", "established", "sport", "=", f":{port}"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    owners = re.findall(r"pid=(\d+)", out)
    return sorted((owners.count(str(pid)) for pid in pids if str(pid) in owners), reverse=True)


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time the processes used so far (from /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def run_wrk(
    script: Path,
    url: str,
    env: dict[str, str],
    *,
    threads: int,
    connections: int,
    timeout: float,
    db_url: str,
    petition: uuid.UUID,
    expected: int,
    server: subprocess.Popen[bytes] | None = None,
) -> dict[str, Any]:
    """Run wrk until every request of the script was answered; its BENCH line, parsed.

    With ``server``, also the CPU time its processes (master and workers) used.
    """
    pids = [server.pid, *worker_pids(server.pid)] if server is not None else []
    cpu_before = cpu_seconds(pids)
    argv = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{int(timeout)}s",
        "--timeout",
        "10s",
        "--latency",
        "-s",
        str(script),
        url,
    ]
    started = time.monotonic()
    proc = subprocess.Popen(
        argv, env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )

    split: list[int] = []

    async def watch() -> None:
        # wrk waits for its full -d even when every thread stopped: interrupt it once
        # the database holds every signature we expect (or wrk ended by itself).
        while proc.poll() is None:
            if not split and time.monotonic() - started > 1.0 and pids:
                split.extend(connections_per_process(url, pids))
            n = await scalar(
                db_url, "SELECT count(*) FROM signatures WHERE petition_id = $1", petition
            )
            if n >= expected:
                await asyncio.sleep(0.5)  # the last answers travel back
                proc.send_signal(signal.SIGINT)
                return
            await asyncio.sleep(0.25)

    asyncio.run(watch())
    out, _ = proc.communicate(timeout=60)
    text = out.decode()
    match = re.search(r"^BENCH (\{.*\})$", text, re.MULTILINE)
    if match is None:
        raise RuntimeError(f"wrk said:\n{text}")
    result: dict[str, Any] = json.loads(match.group(1))
    result["wall_s"] = time.monotonic() - started
    result["connections_per_worker"] = split
    if pids:
        result["server_cpu_s"] = cpu_seconds(pids) - cpu_before
        result["cpu_us_per_request"] = (
            result["server_cpu_s"] / result["answered"] * 1e6 if result["answered"] else 0.0
        )
    return result


def pgbench(db_url: str, petition: uuid.UUID, *, clients: int, seconds: int) -> dict[str, float]:
    argv = [
        "pgbench",
        "-n",
        "-M",
        "prepared",
        "-c",
        str(clients),
        "-j",
        "2",
        "-T",
        str(seconds),
        "-f",
        str(HERE / "insert.sql"),
        "-D",
        f"petition={petition}",
        "-r",
        db_url,
    ]
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    tps = re.search(r"tps = ([\d.]+) \(without initial connection time\)", out)
    latency = re.search(r"latency average = ([\d.]+) ms", out)
    assert tps is not None, out
    return {"tps": float(tps.group(1)), "latency_ms": float(latency.group(1)) if latency else 0.0}


# --------------------------------------------------------------------------- the run


async def signing_window(db_url: str, petition: uuid.UUID) -> tuple[int, float]:
    conn = await asyncpg.connect(db_url)
    try:
        row = await conn.fetchrow(
            "SELECT count(*) AS n, extract(epoch FROM max(signed_at) - min(signed_at)) AS s"
            " FROM signatures WHERE petition_id = $1",
            petition,
        )
        assert row is not None
        return int(row["n"]), float(row["s"] or 0.0)
    finally:
        await conn.close()


async def wait_folded(db_url: str, petition: uuid.UUID, target: int, timeout: float) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        total = await scalar(
            db_url, "SELECT total FROM petition_counts WHERE petition_id = $1", petition
        )
        if total == target:
            return time.monotonic() - start
        await asyncio.sleep(0.05)
    return -1.0


def profile(pid: int, seconds: int, out: Path) -> subprocess.Popen[bytes] | None:
    py_spy = shutil.which("py-spy")
    argv = [py_spy] if py_spy else ["uvx", "py-spy"]
    try:
        return subprocess.Popen(
            [
                *argv,
                "record",
                "--pid",
                str(pid),
                "--duration",
                str(seconds),
                "--rate",
                "250",
                "--format",
                "raw",
                "--output",
                str(out),
                "--nonblocking",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    except OSError as exc:
        say(f"no profile: {exc}")
        return None


def summarise_profile(path: Path, top: int = 25) -> list[tuple[str, float]]:
    """Share of samples per frame (inclusive) from py-spy's collapsed stacks."""
    inclusive: dict[str, int] = {}
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        n = int(count)
        total += n
        for frame in set(stack.split(";")):
            inclusive[frame] = inclusive.get(frame, 0) + n
    ranked = sorted(inclusive.items(), key=lambda kv: -kv[1])[:top]
    return [(frame, n / total) for frame, n in ranked] if total else []


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--signatures", type=int, default=20_000, help="signers per round (one token each)"
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="rounds of (service, bare) run alternately; the median is reported",
    )
    parser.add_argument("--warmup", type=int, default=3_000, help="signers warming up first")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--connections", type=int, default=128, help="wrk connections")
    parser.add_argument("--pgbench-clients", type=int, default=64)
    parser.add_argument("--pgbench-seconds", type=int, default=10)
    parser.add_argument("--profile", action="store_true", help="py-spy one worker meanwhile")
    parser.add_argument(
        "--profile-seconds", type=int, default=8, help="how long py-spy samples the worker"
    )
    parser.add_argument("--keep", action="store_true", help="keep the database and topics")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a PETITIONS_* setting for the service (repeatable), e.g. SIGN_BATCH_WINDOW=0.005",
    )
    args = parser.parse_args()

    stack = load_stack_env()
    run = secrets.token_hex(3)
    db_name = f"bench_petitions_{run}"
    base, _, _ = stack.pg_admin_dsn.rpartition("/")
    db_url = f"{base}/{db_name}"
    prefix = f"bench-{run}."
    results: dict[str, Any] = {"run": run, "at": datetime.now(UTC).isoformat(), "args": vars(args)}
    work = Path(tempfile.mkdtemp(prefix="sawt-bench-"))

    async def create_db() -> None:
        conn = await asyncpg.connect(stack.pg_admin_dsn)
        try:
            await conn.execute(f'CREATE DATABASE "{db_name}"')
        finally:
            await conn.close()

    try:
        say(f"database {db_name}, topics {prefix}*")
        asyncio.run(create_db())
        upgrade_to_head("petitions", db_url)
        asyncio.run(ensure_topics(stack.kafka_bootstrap, all_topics(prefix)))
        n = args.warmup + args.rounds * args.signatures
        citizens = [uuid.uuid4() for _ in range(n)]
        _, petitions = asyncio.run(seed(db_url, citizens, 1 + args.rounds))
        key = RSAKey.generate_key(
            2048, {"kid": f"bench-{run}", "use": "sig", "alg": "RS256"}, private=True
        )
        tokens_file = work / "tokens.txt"
        t0 = time.monotonic()
        mint_tokens(key, citizens, tokens_file)
        say(f"{n} citizens seeded, tokens minted in {time.monotonic() - t0:.1f} s")

        with contextlib.ExitStack() as stack_of_servers:
            jwks = stack_of_servers.enter_context(
                jwks_server(TokenFactory(key=key, issuer=ISSUER).jwks())
            )
            env = {
                "PETITIONS_DATABASE_URL": db_url,
                "PETITIONS_KAFKA_BOOTSTRAP_SERVERS": stack.kafka_bootstrap,
                "PETITIONS_TOPIC_PREFIX": prefix,
                "PETITIONS_CONSUMER_GROUP_PREFIX": prefix,
                "PETITIONS_JWKS_URL": jwks,
                "PETITIONS_TOKEN_ISSUER": ISSUER,
                "PETITIONS_LOG_LEVEL": "WARNING",
                "PETITIONS_TRUSTED_PROXIES": '["127.0.0.1/32"]',
                "PETITIONS_RECOUNT_INTERVAL_HOURS": "0",
                **{f"PETITIONS_{k.upper()}": v for k, _, v in (x.partition("=") for x in args.set)},
            }
            full_port, bare_port = free_port(), free_port()
            server = stack_of_servers.enter_context(
                uvicorn("petitions.app:create_app", full_port, env, args.workers)
            )
            bare_server = stack_of_servers.enter_context(
                uvicorn(
                    "bare_app:create_app",
                    bare_port,
                    {"BARE_DATABASE_URL": db_url},
                    args.workers,
                    HERE,
                )
            )
            full_url = f"http://127.0.0.1:{full_port}"
            bare_url = f"http://127.0.0.1:{bare_port}"
            common = {"BENCH_TOKENS": str(tokens_file), "BENCH_THREADS": str(args.threads)}
            wrk = {
                "threads": args.threads,
                "connections": args.connections,
                "db_url": db_url,
            }

            def sign_round(petition: uuid.UUID, offset: int, count: int) -> dict[str, Any]:
                return run_wrk(
                    HERE / "sign.lua",
                    full_url,
                    {
                        **common,
                        "BENCH_OFFSET": str(offset),
                        "BENCH_COUNT": str(count),
                        "BENCH_PATH": f"/api/v1/petitions/{petition}/signatures",
                    },
                    timeout=600,
                    petition=petition,
                    expected=count,
                    server=server,
                    **wrk,
                )

            def bare_round(petition: uuid.UUID, count: int) -> dict[str, Any]:
                return run_wrk(
                    HERE / "bare.lua",
                    bare_url,
                    {
                        "BENCH_THREADS": str(args.threads),
                        "BENCH_COUNT": str(count),
                        "BENCH_PATH": f"/sign/{petition}",
                    },
                    timeout=600,
                    petition=petition,
                    expected=count,
                    server=bare_server,
                    **wrk,
                )

            say(f"warming up both with {args.warmup} signatures")
            sign_round(petitions[0], 0, args.warmup)
            bare_round(uuid.uuid4(), args.warmup)

            fulls, bares = [], []
            for r in range(args.rounds):
                petition = petitions[1 + r]
                spy = None
                if args.profile and r == 0:
                    pids = worker_pids(server.pid)
                    if pids:
                        spy = profile(pids[0], args.profile_seconds, work / "profile.txt")
                say(f"round {r + 1}: service, {args.signatures} signers")
                full = sign_round(petition, args.warmup + r * args.signatures, args.signatures)
                if spy is not None:
                    with contextlib.suppress(subprocess.TimeoutExpired):
                        spy.wait(timeout=args.profile_seconds + 30)
                stored, window = asyncio.run(signing_window(db_url, petition))
                full.update(
                    stored=stored,
                    window_s=window,
                    rate=full["created"] / window if window else 0.0,
                    fold_catch_up_s=asyncio.run(wait_folded(db_url, petition, stored, 30)),
                    outbox_unpublished_at_end=asyncio.run(
                        scalar(db_url, "SELECT count(*) FROM outbox WHERE published_at IS NULL")
                    ),
                )
                fulls.append(full)
                say(f"round {r + 1}: bare endpoint, {args.signatures} requests")
                bare_petition = uuid.uuid4()
                bare = bare_round(bare_petition, args.signatures)
                stored_bare, window_bare = asyncio.run(signing_window(db_url, bare_petition))
                bare.update(
                    stored=stored_bare,
                    window_s=window_bare,
                    rate=bare["created"] / window_bare if window_bare else 0.0,
                )
                bares.append(bare)
                say(
                    f"round {r + 1}: service {full['rate']:.0f}/s p99 {full['p99_us'] / 1000:.0f} ms,"
                    f" bare {bare['rate']:.0f}/s p99 {bare['p99_us'] / 1000:.0f} ms"
                )
        results["rounds"] = {"full": fulls, "bare": bares}
        results["full"] = median_round(fulls)
        results["bare"] = median_round(bares)
        results["full"]["all_stored_equal_201"] = all(f["stored"] == f["created"] for f in fulls)
        results["full"]["all_folded"] = all(f["fold_catch_up_s"] >= 0 for f in fulls)

        say("baseline: pgbench one-row inserts")
        results["pgbench"] = pgbench(
            db_url, uuid.uuid4(), clients=args.pgbench_clients, seconds=args.pgbench_seconds
        )
        if args.profile and (work / "profile.txt").exists():
            results["profile"] = summarise_profile(work / "profile.txt")
            kept = ROOT / "bench" / "results"
            kept.mkdir(exist_ok=True)
            shutil.copy(work / "profile.txt", kept / f"petitions-{run}-profile.txt")
    finally:
        if not args.keep:
            asyncio.run(drop_database(stack.pg_admin_dsn, db_name))
            with contextlib.suppress(Exception):
                asyncio.run(delete_topics(stack.kafka_bootstrap, prefix))
        shutil.rmtree(work, ignore_errors=True)

    report(results)
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / f"petitions-{run}.json").write_text(json.dumps(results, indent=2, default=str))
    ok = results["full"]["all_stored_equal_201"] and results["full"]["all_folded"]
    return 0 if ok else 1


def median_round(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """The round with the median rate (the lower middle one for an even count)."""
    ranked = sorted(rounds, key=lambda r: r["rate"])
    return dict(ranked[(len(ranked) - 1) // 2])


def report(r: dict[str, Any]) -> None:
    full, bare, pg = r["full"], r["bare"], r["pgbench"]

    def ms(us: float) -> str:
        return f"{us / 1000:.1f} ms"

    rounds = r.get("rounds", {})
    lines = [
        "",
        "Petitions sign endpoint (one petition, distinct token per request;"
        f" median of {len(rounds.get('full', [])) or 1} rounds)",
        f"  full service : {full['rate']:8.0f} signatures/s   p50 {ms(full['p50_us'])}"
        f"   p99 {ms(full['p99_us'])}   ({full['created']} x 201 in {full['window_s']:.1f} s)",
        f"  bare FastAPI : {bare['rate']:8.0f} signatures/s   p50 {ms(bare['p50_us'])}"
        f"   p99 {ms(bare['p99_us'])}",
        f"  CPU of the Python processes per request: full {full['cpu_us_per_request']:.0f} us,"
        f" bare {bare['cpu_us_per_request']:.0f} us",
        f"  pgbench      : {pg['tps']:8.0f} inserts/s      latency avg {pg['latency_ms']:.1f} ms",
        "",
        f"  full / bare    = {full['rate'] / bare['rate']:.2f}" if bare["rate"] else "",
        f"  full / pgbench = {full['rate'] / pg['tps']:.2f}" if pg["tps"] else "",
        "",
        f"  statuses: {full['statuses']}   socket errors: {full['socket_errors']}",
        "  rounds (service / bare, signatures/s): "
        + ", ".join(
            f"{f['rate']:.0f} / {b['rate']:.0f}"
            for f, b in zip(rounds.get("full", []), rounds.get("bare", []), strict=False)
        ),
        "  rounds, service p99 (connections per worker): "
        + ", ".join(
            f"{f['p99_us'] / 1000:.0f} ms ({'/'.join(map(str, f['connections_per_worker']))})"
            for f in rounds.get("full", [])
        ),
        "  check, every round: stored signatures == 201 answers: "
        + ("OK" if full["all_stored_equal_201"] else "MISMATCH")
        + "   ("
        + ", ".join(f"{f['stored']}=={f['created']}" for f in rounds.get("full", []))
        + ")",
        "  check, every round: the folded count matched within 30 s: "
        + ("OK" if full["all_folded"] else "NOT WITHIN 30 s")
        + f"   (caught up {full['fold_catch_up_s']:.2f} s after the last answer)",
        f"  outbox rows not yet on Kafka when wrk ended: {full['outbox_unpublished_at_end']}",
    ]
    if "profile" in r:
        lines += ["", "  profile of one worker (share of samples, inclusive):"]
        lines += [f"    {share:6.1%}  {frame[:110]}" for frame, share in r["profile"]]
    print("\n".join(line for line in lines if line is not None))


if __name__ == "__main__":
    sys.exit(main())
