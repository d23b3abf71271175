"""`make bench`: the WeChat callback under gunicorn against a bare WSGI app, same load, same run.

Both servers get the same gunicorn settings and the same wrk load (signed text messages with
unique MsgIds from many users). The app runs with de-duplication and routing on, against
PostgreSQL and Redis when BENCH_DATABASE_URL / BENCH_REDIS_URL (or the TEST_ ones) are set, else
SQLite and the in-process store. Prints requests/s, p50 and p99 for each and the ratio.
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
from pathlib import Path

from wechat_app.wechat.protocol import sha1_signature

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
TOKEN = "benchtoken"
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "64"))
DURATION = os.environ.get("BENCH_DURATION", "6s")
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
WORKERS = os.environ.get("BENCH_WORKERS", "4")


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
        APP_ENV="production", SECRET_KEY="bench-secret", WECHAT_APP_ID="wxbench000000000001",
        WECHAT_APP_SECRET="bench", WECHAT_TOKEN=TOKEN, PUBLIC_BASE_URL="http://127.0.0.1",
        DATABASE_URL=os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
        or f"sqlite:///{workdir / 'bench.db'}",
        REDIS_URL=os.environ.get("BENCH_REDIS_URL") or os.environ.get("TEST_REDIS_URL") or "",
        GUNICORN_ACCESSLOG="/dev/null",
    )
    return env


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


def load(port: int, path: str) -> dict:
    url = f"http://127.0.0.1:{port}{path}"
    subprocess.run(["wrk", "-t2", "-c8", "-d2s", "-s", str(ROOT / "bench/callback.lua"), url],
                   capture_output=True, check=True)  # warm-up
    out = subprocess.run(["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{DURATION}", "--latency", "-s",
                          str(ROOT / "bench/callback.lua"), url], capture_output=True, text=True, check=True).stdout
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": latency(out, "50%"), "p99": latency(out, "99%"),
        "errors": re.search(r"Non-2xx or 3xx responses: (\d+)", out).group(1) if "Non-2xx" in out else "0",
    }


def latency(out: str, label: str) -> float:
    value, unit = re.search(rf"{label}\s+([\d.]+)(us|ms|s)", out).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def main() -> None:
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")
    workdir = Path(tempfile.mkdtemp(prefix="dingkao-bench-"))
    env = app_environment(workdir)
    flask = [str(BIN / "flask"), "--app", "wsgi"]
    subprocess.run(flask + ["db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run(flask + ["seed-demo"], cwd=ROOT, env=env, check=True, capture_output=True)
    query = f"/wechat?signature={sha1_signature(TOKEN, '1700000000', '42')}&timestamp=1700000000&nonce=42"
    servers = {}
    try:
        for name, target in (("bare WSGI app", "bench.bare:app"), ("定考通 callback", "wsgi:app")):
            servers[name] = serve(target, env)
        # Alternate the two for several rounds and keep each one's median round: the machine's
        # own noise (other processes, CPU frequency) then hits both alike.
        runs = {name: [] for name in servers}
        for _ in range(ROUNDS):
            for name, (_, port) in servers.items():
                runs[name].append(load(port, query))
    finally:
        for process, _ in servers.values():
            stop(process)
    results = {name: sorted(r, key=lambda x: x["rps"])[len(r) // 2] for name, r in runs.items()}
    backing = ("PostgreSQL" if "postgresql" in env["DATABASE_URL"] else "SQLite") + (
        " + Redis" if env["REDIS_URL"] else " + in-process store")
    print(f"\ncallback benchmark: gunicorn {WORKERS} sync workers, wrk {CONNECTIONS} connections, {DURATION} x "
          f"{ROUNDS} alternating rounds (median shown), {backing}")
    print(f"{'server':<18}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'non-2xx':>10}")
    for name, r in results.items():
        print(f"{name:<18}{r['rps']:>10.0f}{r['p50']:>10.2f}{r['p99']:>10.2f}{r['errors']:>10}")
    ratio = results["定考通 callback"]["rps"] / results["bare WSGI app"]["rps"]
    print(f"ratio callback / bare: {ratio:.2f}x (aim ≥ 0.60x, p99 < 50 ms)")


if __name__ == "__main__":
    main()
