"""`make bench`: the app under gunicorn against two baselines in the same run: a bare WSGI app, and
for pages the textbook Flask page (bench/textbook.py: Flask-Login, Flask-SQLAlchemy, one query, a
Jinja layout, on the same database and session cookie).

Every server gets the same gunicorn settings and the same wrk load. Scenarios:
- callback: signed text messages to /wechat with unique MsgIds from many users (de-duplication and
  routing on);
- home, step, status, exams, results, study: pages of a signed-in physician (/m/,
  /m/registration/step/2, /m/registration, /m/exams, /m/results, /m/study), each opened by a
  physician in the state the page is for, each also against the textbook page; home is one
  physician reloading (its cache), home-first each request another physician (never cached);
- save: 保存 of a registration step (POST with session and CSRF token);
- submit: 提交信息, each request by another physician with a complete draft (validation of all five
  steps, snapshot, state transition);
- answer: exam takers (BENCH_TAKERS, 2,000) saving answers, as the paper's autosave posts them.
It also prints the database queries each portal page makes.
PostgreSQL and Redis are used when BENCH_DATABASE_URL / BENCH_REDIS_URL (or the TEST_ ones) are
set, else SQLite and the in-process store. For each scenario: requests/s, p50 and p99 for each
server (median of alternating rounds), the ratios, each aim and whether it is met.
"""
from __future__ import annotations

import base64
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.common import BIN, ROOT, free_port, fresh_database, stop, wait_for_port

TOKEN = "benchtoken"
SECRET = "bench-secret-" + "x" * 32  # production refuses a key shorter than 32 characters
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "64"))
DURATION = os.environ.get("BENCH_DURATION", "6s")
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
WORKERS = os.environ.get("BENCH_WORKERS", "4")
SCENARIOS = os.environ.get("BENCH_SCENARIOS", "callback,home,home-first,step,status,exams,results,study,save,submit,"
                           "answer").split(",")
TAKERS = int(os.environ.get("BENCH_TAKERS", "2000"))
SUBMITTERS_PER_ROUND = int(os.environ.get("BENCH_SUBMITTERS", "1500"))


@dataclass
class Scenario:
    name: str
    path: str
    aim_ratio: float | None
    aim_p99_ms: float | None
    aim_textbook: float | None = None  # a page: its aim as a ratio to the textbook Flask page
    script: str | None = None
    headers: tuple[str, ...] = ()
    sessions: str | None = None  # sessions.tsv for bench/sessions.lua
    body: str = ""  # the form fields after the CSRF token
    per_round_offset: int = 0  # where each round starts in sessions.tsv (a submit can happen once)
    connections: int | None = None  # wrk's connections for this scenario, when not BENCH_CONNECTIONS


def app_environment(database_url: str) -> dict:
    env = dict(os.environ)
    env.update(
        APP_ENV="production", SECRET_KEY=SECRET, WECHAT_APP_ID="wxbench000000000001",
        WECHAT_APP_SECRET="bench", WECHAT_TOKEN=TOKEN, PUBLIC_BASE_URL="http://127.0.0.1",
        DATABASE_URL=database_url,
        REDIS_URL=os.environ.get("BENCH_REDIS_URL") or os.environ.get("TEST_REDIS_URL") or "",
        GUNICORN_ACCESSLOG="/dev/null", RATELIMIT_ENABLED="false", SMS_PROVIDER="bench.sms:Discard",
        PII_KEY=base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        PII_INDEX_KEY=base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
    )
    if not env["REDIS_URL"]:
        sys.exit("the bench runs the production configuration, which needs Redis: set BENCH_REDIS_URL")
    return env


def prepare(env: dict, workdir: Path, total: int | None = None, takers: int | None = None) -> tuple[Path, str]:
    """Migrate, load the demo and the bench physicians; returns (sessions file, queries table)."""
    flask = [str(BIN / "flask"), "--app", "wsgi"]
    subprocess.run(flask + ["db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    total = SUBMITTERS_PER_ROUND * (ROUNDS + 1) if total is None else total
    takers = (TAKERS if "answer" in SCENARIOS else 0) if takers is None else takers
    out = subprocess.run([sys.executable, "-m", "bench.fixtures", str(workdir), str(total), str(takers)], cwd=ROOT,
                         env=env, capture_output=True, text=True)
    if out.returncode:
        sys.exit(f"bench fixtures failed:\n{out.stderr[-3000:]}")
    return workdir / "sessions.tsv", out.stdout


def serve(target: str, env: dict) -> tuple[subprocess.Popen, int]:
    port = free_port()
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "-b", f"127.0.0.1:{port}", "-w", WORKERS,
         "--log-level", "warning", target],
        cwd=ROOT, env=env, start_new_session=True)
    wait_for_port(port)
    time.sleep(1.0)
    return process, port


def wrk(port: int, scenario: Scenario, connections: int, duration: str, offset: int) -> str:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{duration}", "--latency"]
    for header in scenario.headers:
        command += ["-H", header]
    if scenario.script:
        command += ["-s", str(ROOT / scenario.script)]
    command.append(f"http://127.0.0.1:{port}{scenario.path}")
    if scenario.sessions:
        command += ["--", scenario.sessions, str(offset), scenario.body]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def load(port: int, scenario: Scenario, round_index: int) -> dict:
    offset = scenario.per_round_offset * (2 * round_index + 1)
    wrk(port, scenario, 8, "1s", scenario.per_round_offset * 2 * round_index)  # warm-up, its own physicians
    out = wrk(port, scenario, scenario.connections or CONNECTIONS, DURATION, offset)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), "p50": latency(out, "50%"),
            "p99": latency(out, "99%"), "errors": int(errors.group(1)) if errors else 0}


def latency(out: str, label: str) -> float:
    value, unit = re.search(rf"{label}\s+([\d.]+)(us|ms|s)", out).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def main() -> None:
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")
    workdir = Path(tempfile.mkdtemp(prefix="dingkao-bench-"))
    with fresh_database(workdir) as database_url:
        run(workdir, app_environment(database_url))


def run(workdir: Path, env: dict) -> None:
    from wechat_app.wechat.protocol import sha1_signature

    sessions, queries = prepare(env, workdir)
    cookies = dict(line.split("\t") for line in (workdir / "pages.tsv").read_text().splitlines())
    query = f"/wechat?signature={sha1_signature(TOKEN, '1700000000', '42')}&timestamp=1700000000&nonce=42"

    def page(name: str, path: str, aim: float, p99: float | None = None) -> Scenario:
        return Scenario(name, path, None, p99, aim_textbook=aim, headers=(f"Cookie: session={cookies[name]}",))

    scenarios = [s for s in (
        Scenario("callback", query, 0.6, 50, script="bench/callback.lua"),
        page("home", "/m/", 1.5, 100),
        Scenario("home-first", "/m/", None, None, aim_textbook=1.0, script="bench/sessions.lua", sessions=str(sessions),
                 body="GET", per_round_offset=SUBMITTERS_PER_ROUND),
        page("step", "/m/registration/step/2", 1.0),
        page("status", "/m/registration", 1.0),
        page("exams", "/m/exams", 1.0),
        page("results", "/m/results", 1.0),
        page("study", "/m/study", 1.0),
        Scenario("save", "/m/registration/step/4", None, None, script="bench/sessions.lua", sessions=str(sessions),
                 body="&action=save&good_record=%E6%97%A0&bad_record=%E6%97%A0&workload=%E5%90%88%E6%A0%BC"),
        Scenario("submit", "/m/registration/submit", None, None, script="bench/sessions.lua", sessions=str(sessions),
                 per_round_offset=SUBMITTERS_PER_ROUND // 2),
        # 2,000 takers' autosaves (issue: p99 < 200 ms at 64 connections, 0 errors)
        Scenario("answer", "/m/attempts", None, 200, script="bench/answers.lua", sessions=str(workdir / "answers.tsv")),
    ) if s.name in SCENARIOS]
    servers, runs = measure(env, scenarios, (("bare", "bench.bare:app"), ("textbook", "bench.textbook:app"),
                                             ("werobot", "bench.werobot_echo:app"), ("app", "wsgi:app")))
    report(env, scenarios, servers, runs, queries)


def measure(env: dict, scenarios: list[Scenario], targets: tuple[tuple[str, str], ...]) -> tuple[dict, dict]:
    """Each scenario on each server it is compared on, ROUNDS alternating rounds; the servers stopped after."""
    servers: dict = {}
    try:
        for name, target in targets:
            servers[name] = serve(target, env)
        # Alternate the servers for several rounds and keep each one's median round: the machine's
        # own noise (other processes, CPU frequency) then hits both alike.
        runs: dict = {(s.name, server): [] for s in scenarios for server in servers_for(s, servers)}
        for round_index in range(ROUNDS):
            for scenario in scenarios:
                for server in servers_for(scenario, servers):
                    runs[(scenario.name, server)].append(load(servers[server][1], scenario, round_index))
    finally:
        for process, _ in servers.values():
            stop(process)
    return servers, runs


def servers_for(scenario: Scenario, servers: dict) -> list[str]:
    """The textbook page is the baseline of pages only (it has no callback, forms or exams), WeRoBot's
    echo robot of the callback only."""
    return [name for name in servers if (name != "textbook" or scenario.aim_textbook)
            and (name != "werobot" or scenario.name == "callback")]


def report(env: dict, scenarios: list, servers: dict, runs: dict, queries: str) -> None:
    """Each scenario's median round per server, and the app's ratio to the bare WSGI app."""
    backing = ("PostgreSQL" if "postgresql" in env["DATABASE_URL"] else "SQLite") + (
        " + Redis" if env["REDIS_URL"] else " + in-process store")
    connections = "/".join(str(n) for n in sorted({s.connections or CONNECTIONS for s in scenarios}))
    print(f"\ngunicorn {WORKERS} sync workers, wrk {connections} connections, {DURATION} x {ROUNDS} alternating "
          f"rounds (median shown), {backing}")
    print(f"{'scenario':<12}{'server':<10}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'non-2xx':>9}")
    for scenario in scenarios:
        median = {}
        for server in servers_for(scenario, servers):
            rounds = sorted(runs[(scenario.name, server)], key=lambda r: r["rps"])
            median[server] = r = rounds[len(rounds) // 2]
            print(f"{scenario.name:<12}{server:<10}{r['rps']:>9.0f}{r['p50']:>9.2f}{r['p99']:>9.2f}{r['errors']:>9}")
        print(verdict(scenario, median))
    print("\ndatabase queries per page, each opened by the physician of its scenario (home: rendered, then cached):")
    print(queries.rstrip())


def verdict(scenario: Scenario, median: dict) -> str:
    """The app's ratios to the bare app and to the textbook page, each aim and whether it is met."""
    app = median["app"]
    to_bare = app["rps"] / median["bare"]["rps"]
    to_textbook = app["rps"] / median["textbook"]["rps"] if "textbook" in median else None
    to_werobot = app["rps"] / median["werobot"]["rps"] if "werobot" in median else None
    aims = []
    if scenario.aim_ratio:
        aims.append(f"≥ {scenario.aim_ratio}x bare: {'met' if to_bare >= scenario.aim_ratio else 'NOT met'}")
    if to_werobot is not None:
        aims.append(f"≥ 1.0x WeRoBot: {'met' if to_werobot >= 1.0 else 'NOT met'}")
    if scenario.aim_textbook and to_textbook is not None:
        aims.append(f"≥ {scenario.aim_textbook}x textbook: {'met' if to_textbook >= scenario.aim_textbook else 'NOT met'}")
    if scenario.aim_p99_ms:
        aims.append(f"p99 < {scenario.aim_p99_ms:.0f} ms: {'met' if app['p99'] < scenario.aim_p99_ms else 'NOT met'}")
    if app["errors"]:
        aims.append(f"{app['errors']} non-2xx/3xx")
    textbook = f"  app/textbook {to_textbook:.2f}x" if to_textbook is not None else ""
    textbook += f"  app/WeRoBot {to_werobot:.2f}x" if to_werobot is not None else ""
    return f"{scenario.name:<12}app/bare {to_bare:.2f}x{textbook}  ({'; '.join(aims) or 'no aim set'})"


if __name__ == "__main__":
    main()
