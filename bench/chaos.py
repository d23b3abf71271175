"""`make chaos`: the fault campaign of issue 14, on this machine, traffic to 127.0.0.1 only.

Each scenario is bounded in time and prints one row: errors, lost, duplicated, recovery, verdict.
It runs its own Redis (redis-server on a free port) and, where it can (root with a `postgres`
user, as on the CI machines), its own PostgreSQL cluster, so that stopping and restarting them
touches nothing else; otherwise PostgreSQL is the server named by BENCH_DATABASE_URL and the
restart scenario is skipped.

    python -m bench.chaos    CHAOS_SCENARIOS=redis,postgres,worker_kill,outbox_kill,wechat_api,two_nodes,soak,backup
                             CHAOS_REDIS_OUTAGE=30 (s)  CHAOS_TOKEN_OUTAGE=60 (s)  CHAOS_SOAK=600 (s)
                             CHAOS_CONNECTIONS=64  CHAOS_NOTICES=100000     (the sizes issue 14 names)
                             CHAOS_FACE_CHECKS=20 (face checks posted through the two nodes, scenario 6)

The load is a mix a registration morning makes: WeChat pushes (signed text messages), the home
page of signed-in physicians, and 保存 of a registration step, from CHAOS_CONNECTIONS threads.
An error is a 5xx other than the 503 "系统繁忙，请稍后再试" page, a refused connection or a request
that takes over 10 s; 503s are counted apart ("busy"). Nothing here is part of `make test`; the
fast subset of these scenarios is (tests/test_faults.py, tests/test_backup.py).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench import chaos_load as load
from bench import chaos_services as services
from bench.common import BIN, ROOT
from wechat_app.domain import face_checks

SCENARIOS = os.environ.get("CHAOS_SCENARIOS", "redis,postgres,worker_kill,outbox_kill,wechat_api,two_nodes,soak,"
                           "backup").split(",")
REDIS_OUTAGE = float(os.environ.get("CHAOS_REDIS_OUTAGE", "30"))
TOKEN_OUTAGE = float(os.environ.get("CHAOS_TOKEN_OUTAGE", "60"))
SOAK = float(os.environ.get("CHAOS_SOAK", "600"))
FACE_CHECKS = int(os.environ.get("CHAOS_FACE_CHECKS", "20"))  # posted through both nodes in scenario 6


@dataclass
class Row:
    scenario: str
    errors: str = "-"
    lost: str = "-"
    duplicated: str = "-"
    recovery: str = "-"
    verdict: str = "skipped"
    notes: list[str] = field(default_factory=list)


def main() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="dingkao-chaos-"))
    rows: list[Row] = []
    with services.Stack(workdir) as stack:
        for name in SCENARIOS:
            scenario = globals().get(f"scenario_{name.strip()}")
            if scenario is None:
                sys.exit(f"unknown scenario {name}")
            started = time.monotonic()
            try:
                row = scenario(stack)
            except Exception as exc:  # a scenario that breaks is a failed row, and the campaign goes on
                row = Row(name, verdict="FAIL", notes=[f"{type(exc).__name__}: {exc}"])
            row.notes.append(f"{time.monotonic() - started:.0f} s")
            rows.append(row)
            print(format_row(row), flush=True)
    print("\n" + table(rows))
    shutil.rmtree(workdir, ignore_errors=True)
    if any(row.verdict == "FAIL" for row in rows):
        sys.exit(1)


def format_row(row: Row) -> str:
    return f"{row.scenario}: {row.verdict} — errors {row.errors}, lost {row.lost}, duplicated {row.duplicated}, " \
           f"recovery {row.recovery} ({'; '.join(row.notes)})"


def table(rows: list[Row]) -> str:
    lines = ["| scenario | errors | lost | duplicated | recovery | verdict | notes |", "|---|---|---|---|---|---|---|"]
    lines += [f"| {r.scenario} | {r.errors} | {r.lost} | {r.duplicated} | {r.recovery} | {r.verdict} | "
              f"{'; '.join(r.notes)} |" for r in rows]
    return "\n".join(lines)


def verdict(ok: bool) -> str:
    return "pass" if ok else "FAIL"


# --- 1. Redis stops under load ------------------------------------------------------------------

def scenario_redis(stack: services.Stack) -> Row:
    """Pushes, pages and saves go on while Redis is down (sign-in is refused with 503: it needs the
    captcha and lockout counters); when it returns, everything resumes without a restart."""
    app = stack.app()
    with load.Load(stack, app.port, mix=("callback", "home", "save")) as traffic:
        time.sleep(5)
        stack.redis.stop()
        down_at = traffic.mark("Redis stopped")
        time.sleep(REDIS_OUTAGE)
        stack.redis.start()
        up_at = traffic.mark("Redis back")
        time.sleep(10)
    during = traffic.window(down_at, up_at)
    after = traffic.window(up_at + 2, None)
    captcha = stack.get(app.port, "/m/captcha.png").status_code
    row = Row(f"1. Redis down {REDIS_OUTAGE:.0f} s under load", errors=f"{traffic.errors()} ({during.errors} during)",
              recovery=f"{traffic.recovery_after(up_at):.1f} s")
    row.notes = [f"during: callback {during.ok('callback')}/{during.total('callback')} answered, "
                 f"home {during.ok('home')}/{during.total('home')}, saves {during.ok('save')}/{during.total('save')}",
                 f"after: {after.errors} errors, captcha {captcha}", traffic.per_second_summary()]
    row.verdict = verdict(traffic.errors() == 0 and during.ok("callback") == during.total("callback") > 0
                          and after.errors == 0 and captcha == 200)
    return row


# --- 2. PostgreSQL restarts under load ----------------------------------------------------------

def scenario_postgres(stack: services.Stack) -> Row:
    """`pg_ctl restart -m fast`: requests during it get the 503 page (not a 500, not a hang), errors
    stop within 5 s of the database returning, no save is half-applied."""
    if stack.postgres is None:
        return Row("2. PostgreSQL restart", notes=["needs a private cluster (root and a postgres user)"])
    app = stack.app()
    with load.Load(stack, app.port, mix=("callback", "home", "save")) as traffic:
        time.sleep(5)
        restart_at = traffic.mark("restart")
        stack.postgres.restart()
        back_at = traffic.mark("back")
        time.sleep(15)
    recovery = traffic.recovery_after(back_at, busy_counts=True)
    half = stack.inconsistent_registrations()
    row = Row("2. PostgreSQL restart under load", errors=f"{traffic.errors()} (503: {traffic.busy()})",
              lost=str(half), recovery=f"{recovery:.1f} s after the database returned")
    row.notes = [f"restart took {back_at - restart_at:.1f} s", f"slowest {traffic.slowest():.1f} s",
                 traffic.per_second_summary()]
    row.verdict = verdict(traffic.errors() == 0 and recovery <= 5 and half == 0 and traffic.slowest() < 10)
    return row


# --- 3. gunicorn workers SIGKILLed mid-request --------------------------------------------------

def scenario_worker_kill(stack: services.Stack) -> Row:
    """A worker killed in the middle of saves and submits: the request is lost (the client sees
    a reset), nothing is half-written, the master starts another, the retry succeeds."""
    app = stack.app()
    kills = 0
    with load.Load(stack, app.port, mix=("save", "submit", "home")) as traffic:
        time.sleep(3)
        for _ in range(8):
            kills += app.kill_one_worker()
            time.sleep(1.0)
        last_kill = traffic.mark("last kill")
        time.sleep(8)
    half = stack.inconsistent_registrations()
    retry = stack.retry_save(app.port)
    row = Row(f"3. gunicorn worker SIGKILL ×{kills}", errors=f"{traffic.errors()} (requests on killed workers)",
              lost=str(half), recovery=f"{traffic.recovery_after(last_kill):.1f} s")
    row.notes = [f"physician's retry: {retry}", "no partial registration, snapshot or event" if half == 0
                 else f"{half} registrations whose status and events disagree"]
    row.verdict = verdict(half == 0 and retry in (302, 303) and traffic.recovery_after(last_kill) <= 5)
    return row


# --- 4. outbox workers SIGKILLed mid-batch ------------------------------------------------------

def scenario_outbox_kill(stack: services.Stack) -> Row:
    notices = int(os.environ.get("CHAOS_NOTICES", "100000"))
    fake = stack.fake_wechat(latency_ms=0)
    stack.fill_outbox(notices, "kill")
    workers = [stack.outbox_worker() for _ in range(3)]
    kills = 0
    for _ in range(4):  # kill one mid-batch, start another in its place
        time.sleep(2)
        workers[kills % len(workers)].kill()
        workers[kills % len(workers)] = stack.outbox_worker()
        kills += 1
    outcome = stack.drain_outbox(workers, "kill", notices)
    stats = fake.stats()
    duplicated = stats["templates"] - stats["distinct"]
    row = Row(f"4. outbox worker SIGKILL ×{kills} ({notices} notices)", errors="0", lost=str(outcome["lost"]),
              duplicated=f"{duplicated} delivered twice; {stats['resends']} re-sent, answered by client_msg_id",
              recovery=f"drained in {outcome['seconds']:.0f} s")
    row.notes = [f"delivered twice: {stats['twice']}"] if stats["twice"] else []
    row.verdict = verdict(outcome["lost"] == 0 and duplicated == 0)
    return row


# --- 5. the WeChat API misbehaves ---------------------------------------------------------------

def scenario_wechat_api(stack: services.Stack) -> Row:
    """Token endpoint down for CHAOS_TOKEN_OUTAGE s, then 5xx bursts, slow answers and a 40001 storm during
    a fan-out by three workers: one token fetch at a time across workers, every notice sent, and
    the callback (which never calls the API) keeps answering."""
    notices = 3000
    fake = stack.fake_wechat(latency_ms=20)
    for path in ("cgi-bin/stable_token", "cgi-bin/token"):
        fake.fault(path, errcode=-1, count=100000)
    stack.fill_outbox(notices, "api")
    app = stack.app()
    workers = [stack.outbox_worker() for _ in range(3)]
    # A few users writing in (the rest of the machine is busy with the fan-out and the fake API).
    with load.Load(stack, app.port, mix=("callback",), connections=8) as traffic:
        time.sleep(TOKEN_OUTAGE)
        during_outage = token_requests(fake.stats())
        fake.clear()
        fake.fault("cgi-bin/message/template/send", errcode=-1, rate=0.3)
        fake.fault("cgi-bin/message/template/send", errcode=40001, count=200)
        time.sleep(5)
        fake.clear()
        outcome = stack.drain_outbox(workers, "api", notices)
    stats = fake.stats()
    tokens = token_requests(stats)
    row = Row("5. WeChat API: token down, 5xx, 40001", errors=f"{traffic.errors()} callback errors",
              lost=str(outcome["lost"]), duplicated=str(stats["templates"] - stats["distinct"]),
              recovery=f"drained in {outcome['seconds']:.0f} s after the API came back")
    row.notes = [f"token requests: {during_outage} by 3 workers during the {TOKEN_OUTAGE:.0f} s outage (one per "
                 f"5 s back-off across all), {tokens - during_outage} after (the 40001 storm expires each token)",
                 f"callback slowest {traffic.slowest():.2f} s", traffic.per_second_summary()]
    row.verdict = verdict(outcome["lost"] == 0 and traffic.errors() == 0 and traffic.slowest() < 5
                          and during_outage <= TOKEN_OUTAGE / 5 + 3)
    return row


def token_requests(stats: dict) -> int:
    return stats["calls"].get("cgi-bin/stable_token", 0) + stats["calls"].get("cgi-bin/token", 0)


# --- 6. two app nodes behind nginx --------------------------------------------------------------

def scenario_two_nodes(stack: services.Stack) -> Row:
    if not shutil.which("nginx"):
        return Row("6. two nodes behind nginx", notes=["nginx is not installed"])
    stack.fake_wechat()  # the OAuth code exchange
    node_a, node_b = stack.app(RATELIMIT_ENABLED="true"), stack.app(second=True, RATELIMIT_ENABLED="true")
    verifier_a, verifier_b = stack.verifier_worker(), stack.verifier_worker()  # one per node
    proxy = stack.nginx(node_a.port, node_b.port)
    posted = stack.post_face_checks([node_a.port, node_b.port], FACE_CHECKS)
    cookie_ok = stack.same_session_on(node_a.port, node_b.port)
    limited = stack.global_rate_limit(node_a.port, node_b.port)
    locked = stack.global_lockout(node_a.port, node_b.port)
    single_use = stack.oauth_code_single_use(node_a.port, node_b.port)
    with load.Load(stack, proxy.port, mix=("callback", "home")) as traffic:
        time.sleep(5)
        node_b.kill_all()
        verifier_b.kill()  # the node is lost with its verifier, and the checks it had claimed
        killed_at = traffic.mark("node B killed")
        time.sleep(10)
    judged_by = time.monotonic() + face_checks.LEASE.total_seconds() + 60  # B's leases run out, A takes them
    while stack.face_checks("pending") and time.monotonic() < judged_by:
        time.sleep(1)
    left, matched = stack.face_checks("pending"), stack.face_checks("matched")
    verifier_a.stop()
    row = Row("6. two nodes behind nginx, one killed", errors=str(traffic.errors()),
              recovery=f"{traffic.recovery_after(killed_at):.1f} s")
    after = traffic.window(killed_at - 1, None)
    row.notes = [f"a session made on A works on B: {cookie_ok}", f"rate limit shared by both nodes: {limited}",
                 f"lockout counted across both nodes: {locked}",
                 f"OAuth code exchanged on A: reload on B without a second exchange, replay refused: {single_use}",
                 f"failed around the kill: callback {after.total('callback') - after.ok('callback')}, "
                 f"home {after.total('home') - after.ok('home')}",
                 f"face checks posted through both nodes: {posted}/{FACE_CHECKS}; with B's verifier killed, A's "
                 f"judged the rest: {matched} matched, {left} still pending"]
    proxy.stop()
    row.verdict = verdict(cookie_ok and limited and locked and single_use and traffic.errors() <= 3
                          and posted == FACE_CHECKS and left == 0 and matched == FACE_CHECKS)
    return row


# --- 7. soak --------------------------------------------------------------------------------------

def scenario_soak(stack: services.Stack) -> Row:
    app = stack.app()
    samples: list[tuple[float, int, int]] = []  # (t, total RSS of the workers in kB, database connections)
    with load.Load(stack, app.port, mix=("callback", "home", "save", "answer")) as traffic:
        started = time.monotonic()
        while time.monotonic() - started < SOAK:
            time.sleep(min(10, SOAK / 20))
            samples.append((time.monotonic() - started, app.rss_kb(), stack.database_connections()))
    warm = [s for s in samples if s[0] >= SOAK * 0.2] or samples
    growth = (warm[-1][1] - warm[0][1]) / warm[0][1] if warm and warm[0][1] else 0.0
    connections = [s[2] for s in warm]
    first, last = traffic.p99_of(0, SOAK * 0.2), traffic.p99_of(SOAK * 0.8, None)
    row = Row(f"7. soak {SOAK:.0f} s, mixed load", errors=str(traffic.errors()),
              recovery=f"p99 {first:.0f} → {last:.0f} ms")
    row.notes = [f"{traffic.count()} requests", f"RSS growth after warm-up {growth:+.1%}",
                 f"database connections {min(connections)}–{max(connections)}"]
    row.verdict = verdict(traffic.errors() == 0 and growth < 0.10 and max(connections) - min(connections) <= 2
                          and last <= max(first * 1.5, first + 20))
    return row


# --- 8. backup and restore ----------------------------------------------------------------------

def scenario_backup(stack: services.Stack) -> Row:
    seconds, checks = stack.backup_and_restore()
    row = Row("8. backup and restore drill", errors="0" if all(checks.values()) else "1",
              recovery=f"{seconds:.1f} s for create + restore")
    row.notes = [", ".join(f"{k}: {'ok' if v else 'NO'}" for k, v in checks.items())]
    row.verdict = verdict(all(checks.values()))
    return row


if __name__ == "__main__":
    os.chdir(ROOT)
    if not (BIN / "gunicorn").exists():
        sys.exit("run `make install` first")
    subprocess.run([sys.executable, "-c", "import wsgi"], check=False, capture_output=True)
    main()
