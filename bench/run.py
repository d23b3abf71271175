"""`make bench`: the app under gunicorn against a bare WSGI app, same load, same run.

Both servers get the same gunicorn settings and the same wrk load. Scenarios:
- callback: signed text messages to /wechat with unique MsgIds from many users (de-duplication and
  routing on);
- home: the physician's home page (/m/) with a signed-in session cookie.
PostgreSQL and Redis are used when BENCH_DATABASE_URL / BENCH_REDIS_URL (or the TEST_ ones) are
set, else SQLite and the in-process store. For each scenario: requests/s, p50 and p99 for both
servers (median of alternating rounds) and the ratio.
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
TOKEN = "benchtoken"
SECRET = "bench-secret"
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "64"))
DURATION = os.environ.get("BENCH_DURATION", "6s")
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
WORKERS = os.environ.get("BENCH_WORKERS", "4")
SCENARIOS = os.environ.get("BENCH_SCENARIOS", "callback,home").split(",")


@dataclass
class Scenario:
    name: str
    path: str
    aim_ratio: float
    aim_p99_ms: float
    script: str | None = None
    headers: tuple[str, ...] = ()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"server on port {port} did not start")


def app_environment(workdir: Path) -> dict:
    env = dict(os.environ)
    env.update(
        APP_ENV="production", SECRET_KEY=SECRET, WECHAT_APP_ID="wxbench000000000001",
        WECHAT_APP_SECRET="bench", WECHAT_TOKEN=TOKEN, PUBLIC_BASE_URL="http://127.0.0.1",
        DATABASE_URL=os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
        or f"sqlite:///{workdir / 'bench.db'}",
        REDIS_URL=os.environ.get("BENCH_REDIS_URL") or os.environ.get("TEST_REDIS_URL") or "",
        GUNICORN_ACCESSLOG="/dev/null",
    )
    return env


def prepare(env: dict) -> str:
    """Migrate, load the demo, and return a session cookie for a demo physician past first login."""
    flask = [str(BIN / "flask"), "--app", "wsgi"]
    subprocess.run(flask + ["db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run(flask + ["seed-demo"], cwd=ROOT, env=env, check=True, capture_output=True)
    code = (
        "from wsgi import app\n"
        "from sqlalchemy import select\n"
        "from wechat_app.extensions import db\n"
        "from wechat_app.models import Physician\n"
        "with app.app_context():\n"
        "    p = db.session.scalar(select(Physician).order_by(Physician.id))\n"
        "    p.must_change_password = False\n"
        "    db.session.commit()\n"
        "    print(app.session_interface.get_signing_serializer(app).dumps({'_user_id': p.get_id(), '_fresh': True}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    return out.stdout.strip().splitlines()[-1]


def serve(target: str, env: dict) -> tuple[subprocess.Popen, int]:
    port = free_port()
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "-b", f"127.0.0.1:{port}", "-w", WORKERS,
         "--log-level", "warning", target],
        cwd=ROOT, env=env, start_new_session=True)
    wait_for_port(port)
    time.sleep(1.0)
    return process, port


def stop(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=20)


def wrk(port: int, scenario: Scenario, connections: int, duration: str) -> str:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{duration}", "--latency"]
    for header in scenario.headers:
        command += ["-H", header]
    if scenario.script:
        command += ["-s", str(ROOT / scenario.script)]
    command.append(f"http://127.0.0.1:{port}{scenario.path}")
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def load(port: int, scenario: Scenario) -> dict:
    wrk(port, scenario, 8, "2s")  # warm-up
    out = wrk(port, scenario, CONNECTIONS, DURATION)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), "p50": latency(out, "50%"),
            "p99": latency(out, "99%"), "errors": int(errors.group(1)) if errors else 0}


def latency(out: str, label: str) -> float:
    value, unit = re.search(rf"{label}\s+([\d.]+)(us|ms|s)", out).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def main() -> None:
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")
    from wechat_app.wechat.protocol import sha1_signature

    env = app_environment(Path(tempfile.mkdtemp(prefix="dingkao-bench-")))
    cookie = prepare(env)
    query = f"/wechat?signature={sha1_signature(TOKEN, '1700000000', '42')}&timestamp=1700000000&nonce=42"
    scenarios = [s for s in (
        Scenario("callback", query, 0.6, 50, script="bench/callback.lua"),
        Scenario("home", "/m/", 0.3, 100, headers=(f"Cookie: session={cookie}",)),
    ) if s.name in SCENARIOS]
    servers = {}
    try:
        for name, target in (("bare", "bench.bare:app"), ("app", "wsgi:app")):
            servers[name] = serve(target, env)
        # Alternate the servers for several rounds and keep each one's median round: the machine's
        # own noise (other processes, CPU frequency) then hits both alike.
        runs = {(s.name, server): [] for s in scenarios for server in servers}
        for _ in range(ROUNDS):
            for scenario in scenarios:
                for server, (_, port) in servers.items():
                    runs[(scenario.name, server)].append(load(port, scenario))
    finally:
        for process, _ in servers.values():
            stop(process)
    backing = ("PostgreSQL" if "postgresql" in env["DATABASE_URL"] else "SQLite") + (
        " + Redis" if env["REDIS_URL"] else " + in-process store")
    print(f"\ngunicorn {WORKERS} sync workers, wrk {CONNECTIONS} connections, {DURATION} x {ROUNDS} alternating "
          f"rounds (median shown), {backing}")
    print(f"{'scenario':<10}{'server':<8}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'non-2xx':>9}")
    for scenario in scenarios:
        median = {}
        for server in servers:
            rounds = sorted(runs[(scenario.name, server)], key=lambda r: r["rps"])
            median[server] = r = rounds[len(rounds) // 2]
            print(f"{scenario.name:<10}{server:<8}{r['rps']:>9.0f}{r['p50']:>9.2f}{r['p99']:>9.2f}{r['errors']:>9}")
        ratio = median["app"]["rps"] / median["bare"]["rps"]
        print(f"{scenario.name:<10}ratio app/bare {ratio:.2f}x  (aim ≥ {scenario.aim_ratio}x, "
              f"p99 < {scenario.aim_p99_ms:.0f} ms)")


if __name__ == "__main__":
    main()
