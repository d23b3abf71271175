"""The processes `make chaos` starts, stops and kills: its own Redis, its own PostgreSQL cluster
(where it can make one), app nodes under gunicorn, outbox workers, the fake WeChat API, nginx."""
from __future__ import annotations

import json
import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench.common import BIN, ROOT, free_port, fresh_database, wait_for_port
from bench.run import SECRET, app_environment
from config import TEMPLATE_KEYS
from wechat_app.domain.demo import DEMO_STAFF_PASSWORD

PHYSICIANS, TAKERS = 600, 200
LEASE_SECONDS = 5  # outbox leases run out quickly here, to watch another worker take over


# Run in the restored database's environment: a demo physician waiting for 复核 signs in (a session
# cookie as the browser would hold it) and sees their registration and their registration photo.
RESTORED_CHECK = """
import json, sys
from pathlib import Path
from sqlalchemy import select
from bench.fixtures import session_for
from wechat_app.extensions import db
from wechat_app.models import Registration
from wsgi import app
with app.app_context():
    registration = db.session.scalar(select(Registration).where(Registration.status == "pending_assessor").limit(1))
    physician = registration.physician
    physician.must_change_password = False  # as after the first sign-in's new password
    db.session.commit()
    cookie, _ = session_for(physician)
    client = app.test_client()
    client.set_cookie("session", cookie)
    home = client.get("/m/")
    photo = client.get(f"/m/uploads/{registration.draft['1']['photo'][0]}")
    dump = b"".join(p.read_bytes() for p in Path(sys.argv[1]).iterdir())
    print(json.dumps({"home page with the registration": home.status_code == 200 and "待考核机构复核" in home.get_data(as_text=True),
                      "registration photo": photo.status_code == 200 and len(photo.data) > 500,
                      "ID numbers sealed in the backup": physician.id_number_18.encode() not in dump}))
"""


class Browser:
    """A browser's cookie jar, by hand: the production session cookie is Secure, which `requests`
    would not send over the loopback's plain HTTP."""

    def __init__(self, port: int) -> None:
        self.port, self.cookies, self.location = port, {}, ""

    def moved(self, port: int) -> Browser:
        self.port = port
        return self

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        url = path if path.startswith("http") else f"http://127.0.0.1:{self.port}{path}"
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        response = requests.request(method, url, headers={"Cookie": cookie} if cookie else {}, timeout=10,
                                    allow_redirects=False, **kwargs)
        self.cookies.update(response.cookies.get_dict())
        self.location = response.headers.get("Location", "")
        return response

    def staff_login(self, stack: Stack, username: str, password: str) -> str:
        """The console's sign-in page as a person fills it in; the captcha's answer is read from Redis."""
        token = re.search(r'name="csrf_token" [^>]*value="([^"]+)"', self.get("/console/login").text).group(1)
        self.get("/m/captcha.png")
        captcha_id = session_data(self.cookies["session"])["captcha_id"]
        answer = redis_client(stack.redis.url).get(f"captcha:{captcha_id}")
        return self.request("POST", "/console/login", data={
            "csrf_token": token, "username": username, "password": password, "captcha": answer}).text

    def oauth_code(self, openid: str) -> tuple[str, str]:
        """Through /wechat/oauth/entry and the fake's silent authorize page: (code, state)."""
        self.get("/wechat/oauth/entry")
        authorize = requests.get(self.location, cookies={"sim_openid": openid}, allow_redirects=False, timeout=10)
        query = parse_qs(urlsplit(authorize.headers["Location"]).query)
        return query["code"][0], query["state"][0]


def session_data(cookie: str) -> dict:
    from flask import Flask
    app = Flask(__name__)
    app.secret_key = SECRET
    return app.session_interface.get_signing_serializer(app).loads(cookie)


def redis_client(url: str):
    import redis
    return redis.Redis.from_url(url, decode_responses=True)


class Redis:
    def __init__(self, workdir: Path) -> None:
        self.port, self.workdir, self.process = free_port(), workdir, None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                         "--appendonly", "no", "--dir", str(self.workdir)],
                                        stdout=subprocess.DEVNULL, start_new_session=True)
        wait_for_port(self.port)

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None


class Cluster:
    """A PostgreSQL cluster of our own (initdb as the postgres user), so that a restart touches
    nothing else on the machine."""

    def __init__(self, workdir: Path) -> None:
        self.port, self.data = free_port(), workdir / "pgdata"
        self.bin = Path(sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1])

    @staticmethod
    def possible() -> bool:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return False
        return os.geteuid() == 0 and Path("/usr/lib/postgresql").is_dir() and shutil.which("runuser") is not None

    def as_postgres(self, *command: str) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", *command], check=True, capture_output=True)

    def start(self) -> str:
        self.data.mkdir()
        shutil.chown(self.data, "postgres", "postgres")
        os.chmod(self.data.parent, 0o755)
        self.as_postgres(str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres")
        self.pg_ctl("start")
        self.as_postgres(str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "chaos")
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/chaos"

    def pg_ctl(self, action: str, *extra: str) -> None:
        self.as_postgres(str(self.bin / "pg_ctl"), "-D", str(self.data), "-w", "-o",
                         f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1 -c max_connections=200",
                         "-l", str(self.data / "log"), action, *extra)

    def restart(self) -> None:
        self.pg_ctl("restart", "-m", "fast")

    def stop(self) -> None:
        self.pg_ctl("stop", "-m", "immediate")


class Node:
    """One gunicorn instance of the app."""

    def __init__(self, env: dict, workers: int = 4) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "-b", f"127.0.0.1:{self.port}",
             "-w", str(workers), "--log-level", "critical", "wsgi:app"],
            cwd=ROOT, env=env, start_new_session=True, stderr=subprocess.DEVNULL)
        wait_for_port(self.port)
        self.wait_until_serving()

    def wait_until_serving(self, timeout: float = 60) -> None:
        """The port opens before the workers have loaded the app (seconds on a busy machine): a
        load started then would measure start-up, not the fault."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if requests.get(f"http://127.0.0.1:{self.port}/terms", timeout=30).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise RuntimeError("the app did not start serving")

    def workers(self) -> list[int]:
        out = subprocess.run(["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True).stdout
        return [int(pid) for pid in out.split()]

    def kill_one_worker(self) -> int:
        workers = self.workers()
        if not workers:
            return 0
        os.kill(workers[0], signal.SIGKILL)
        return 1

    def kill_all(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def rss_kb(self) -> int:
        total = 0
        for pid in self.workers():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except FileNotFoundError:
                continue
            total += int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS")))
        return total

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=30)


class FakeWeChat(Node):
    """The simulator's fake WeChat API alone in one process (its state is in memory), many threads."""

    def __init__(self, env: dict) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        fake_env = {**env, "APP_ENV": "development", "OUTBOX_INLINE_WORKER": "0", "PUBLIC_BASE_URL": self.base}
        self.process = subprocess.Popen(
            [str(BIN / "gunicorn"), "-b", f"127.0.0.1:{self.port}", "-w", "1", "-k", "gthread", "--threads", "128",
             "--log-level", "critical", "wechat_app.simulator.fake_api:create_standalone_app()"], cwd=ROOT,
            env=fake_env, start_new_session=True)
        wait_for_port(self.port)

    def fault(self, path: str, **fault) -> None:
        requests.post(f"{self.base}/_sim/api/_faults", json={"path": path, **fault}, timeout=5).raise_for_status()

    def clear(self) -> None:
        requests.delete(f"{self.base}/_sim/api/_faults", timeout=5).raise_for_status()

    def stats(self) -> dict:
        return requests.get(f"{self.base}/_sim/api/_stats", timeout=30).json()


class Worker:
    """A worker process: the outbox's (`flask notify worker`) or a verifier (`flask exams faces`)."""

    def __init__(self, env: dict, command: tuple[str, ...] = ("notify", "worker", "--batch", "100")) -> None:
        self.process = subprocess.Popen([str(BIN / "flask"), "--app", "wsgi", *command],
                                        cwd=ROOT, env=env, start_new_session=True,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=30)


class Proxy:
    def __init__(self, workdir: Path, port_a: int, port_b: int) -> None:
        self.port = free_port()
        conf = workdir / "nginx.conf"
        conf.write_text(f"""
pid {workdir}/nginx.pid;
error_log {workdir}/nginx-error.log;
events {{}}
http {{
    client_body_temp_path {workdir}; proxy_temp_path {workdir}; fastcgi_temp_path {workdir};
    uwsgi_temp_path {workdir}; scgi_temp_path {workdir};
    access_log off;
    upstream app {{
        server 127.0.0.1:{port_a} max_fails=1 fail_timeout=5s;
        server 127.0.0.1:{port_b} max_fails=1 fail_timeout=5s;
        keepalive 32;
    }}
    server {{
        listen 127.0.0.1:{self.port};
        proxy_http_version 1.1; proxy_set_header Connection ""; proxy_set_header Host $host;
        proxy_set_header X-Forwarded-For $remote_addr; proxy_connect_timeout 2s; proxy_next_upstream_tries 2;
        location = /wechat {{  # as deploy/nginx/dingkaotong.conf
            proxy_next_upstream error timeout http_502 non_idempotent;
            proxy_pass http://app;
        }}
        location / {{
            proxy_next_upstream error timeout http_502;
            proxy_pass http://app;
        }}
    }}
}}
""")
        self.process = subprocess.Popen(["nginx", "-c", str(conf), "-g", "daemon off;"], start_new_session=True,
                                        stderr=subprocess.DEVNULL)
        wait_for_port(self.port)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=10)


class Stack:
    """Everything a scenario needs, started once per campaign; app nodes are started per scenario."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.exits = ExitStack()
        self.nodes: list[Node] = []
        self.postgres: Cluster | None = None
        self.fake: FakeWeChat | None = None

    def __enter__(self) -> Stack:
        try:
            return self.start()
        except BaseException:
            self.exits.close()  # what did start is stopped again
            raise

    def start(self) -> Stack:
        self.redis = Redis(self.workdir)
        self.redis.start()
        self.exits.callback(self.redis.stop)
        if Cluster.possible():
            self.postgres = Cluster(self.workdir)
            self.database_url = self.postgres.start()
            self.exits.callback(self.postgres.stop)
        else:
            self.database_url = self.exits.enter_context(fresh_database(self.workdir))
        if not self.database_url.startswith("postgresql"):
            sys.exit("make chaos runs on PostgreSQL: run as root with Debian's postgresql, or set BENCH_DATABASE_URL")
        os.environ["BENCH_REDIS_URL"] = self.redis.url
        self.env = {**app_environment(self.database_url), "REDIS_URL": self.redis.url,
                    "OUTBOX_LEASE_SECONDS": str(LEASE_SECONDS), "UPLOAD_DIR": str(self.workdir / "uploads"),
                    "FACE_CHALLENGES": "turn",  # the bench's camera frames turn their head (tests/helpers.py)
                    **{f"WECHAT_TEMPLATE_{key.upper()}": f"tpl_chaos_{key}" for key in TEMPLATE_KEYS}}
        self.prepare()
        self.exits.callback(self.stop_nodes)
        return self

    def __exit__(self, *exc) -> None:
        if self.fake is not None:
            self.fake.stop()
        self.exits.close()

    def prepare(self) -> None:
        flask = [str(BIN / "flask"), "--app", "wsgi"]
        subprocess.run(flask + ["db", "upgrade"], cwd=ROOT, env=self.env, check=True, capture_output=True)
        out = subprocess.run([sys.executable, "-m", "bench.fixtures", str(self.workdir), str(PHYSICIANS), str(TAKERS)],
                             cwd=ROOT, env=self.env, capture_output=True, text=True)
        if out.returncode:
            sys.exit(f"chaos fixtures failed:\n{out.stderr[-3000:]}")
        self.sessions = [tuple(line.split("\t")) for line in (self.workdir / "sessions.tsv").read_text().splitlines()]
        self.answers = [tuple(line.split("\t")) for line in (self.workdir / "answers.tsv").read_text().splitlines()]
        self.engine = create_engine(self.database_url, pool_pre_ping=True)
        self.inconsistent_at_start = 0
        self.inconsistent_at_start = self.inconsistent_registrations()  # the demo's result rows are set directly

    # --- processes -----------------------------------------------------------------------------
    def app(self, second: bool = False, **env) -> Node:
        if not second:
            self.stop_nodes()
        node = Node({**self.env, **env})
        self.nodes.append(node)
        return node

    def stop_nodes(self) -> None:
        for node in self.nodes:
            node.stop()
        self.nodes.clear()

    def fake_wechat(self, latency_ms: int = 0) -> FakeWeChat:
        if self.fake is not None:
            self.fake.stop()
        self.fake = FakeWeChat(self.env)
        self.env["WECHAT_API_BASE_URL"] = f"{self.fake.base}/_sim/api/"
        self.env["WECHAT_OAUTH_BASE_URL"] = f"{self.fake.base}/_sim/connect/"
        self.redis.stop()  # a new fake issues new tokens: forget the old one cached in Redis
        self.redis.start()
        if latency_ms:
            self.fake.fault("cgi-bin/message/template/send", latency_ms=latency_ms, rate=1.0, count=0)
        return self.fake

    def outbox_worker(self) -> Worker:
        return Worker(self.env)

    def verifier_worker(self) -> Worker:
        return Worker(self.env, ("exams", "faces", "--batch", "5"))

    def post_face_checks(self, ports: list[int], count: int) -> int:
        """`count` physicians waiting for an open paper (bench/surge_fixtures.py) open the check page and
        post their camera's frames, each to the next node in turn. Returns how many were taken (202)."""
        out = subprocess.run([sys.executable, "-m", "bench.surge_fixtures", str(self.workdir), str(count)],
                             cwd=ROOT, env=self.env, capture_output=True, text=True)
        if out.returncode:
            sys.exit(f"surge fixtures failed:\n{out.stderr[-3000:]}")
        rows = [line.split("\t") for line in (self.workdir / "surge.tsv").read_text().splitlines()]
        frames = [path.read_bytes() for path in sorted(self.workdir.glob("frame*.jpg"))]
        taken, self.face_checks_after = 0, self.scalar("SELECT coalesce(max(id), 0) FROM face_checks")
        for index, (cookie, arrangement) in enumerate(rows):
            base = f"http://127.0.0.1:{ports[index % len(ports)]}"
            page = requests.get(f"{base}/m/exams/{arrangement}/check", headers={"Cookie": f"session={cookie}"},
                                timeout=30, allow_redirects=False)
            cookie = page.cookies.get("session", cookie)  # the challenge rides in the session (a Secure cookie)
            token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)
            posted = requests.post(f"{base}/m/exams/{arrangement}/face", data={"csrf_token": token},
                                   files=[("frames", (f"f{i}.jpg", frame, "image/jpeg")) for i, frame in enumerate(frames)],
                                   headers={"Cookie": f"session={cookie}", "Accept": "application/json"}, timeout=30)
            taken += posted.status_code == 202
        return taken

    def face_checks(self, verdict: str) -> int:
        """The checks `post_face_checks` posted, by verdict."""
        return self.scalar("SELECT count(*) FROM face_checks WHERE verdict = :v AND id > :after", v=verdict,
                           after=self.face_checks_after)

    def nginx(self, port_a: int, port_b: int) -> Proxy:
        return Proxy(self.workdir, port_a, port_b)

    # --- the database --------------------------------------------------------------------------
    def scalar(self, sql: str, **params):
        with self.engine.connect() as connection:
            return connection.execute(text(sql), params).scalar()

    def fill_outbox(self, count: int, prefix: str) -> None:
        rows = [{"key": f"{prefix}:{i}", "openid": f"oCHAOS{i % 20000:022d}"} for i in range(count)]
        with self.engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO notifications (idempotency_key, channel, template_key, openid, data, url, status, attempts,"
                " next_attempt_at, created_at, priority) VALUES (:key, 'template', 'assessment_result', :openid,"
                " CAST('{\"thing1\": \"2023-2025年度\", \"phrase2\": \"合格\", \"thing3\": \"考核合格\"}' AS JSON),"
                " 'https://dkt.example.cn/m/', 'pending', 0, now(), now(), 1)"), rows)

    def drain_outbox(self, workers: list[Worker], prefix: str, count: int, timeout: float = 600) -> dict:
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            left = self.scalar("SELECT count(*) FROM notifications WHERE idempotency_key LIKE :p "
                               "AND status IN ('pending', 'sending')", p=f"{prefix}:%")
            if not left:
                break
            time.sleep(0.5)
        seconds = time.monotonic() - started
        for worker in workers:
            worker.stop()
        sent = self.scalar("SELECT count(*) FROM notifications WHERE idempotency_key LIKE :p AND status = 'sent'",
                           p=f"{prefix}:%")
        return {"lost": count - sent, "seconds": seconds}

    def inconsistent_registrations(self) -> int:
        """Registrations whose status is not where their last event left them, or submitted ones
        without a snapshot (what a half-applied transaction would leave), beyond those at the start."""
        return self.scalar("""
            SELECT count(*) FROM registrations r
            WHERE r.status <> COALESCE((SELECT e.to_status FROM registration_events e WHERE e.registration_id = r.id
                                        ORDER BY e.id DESC LIMIT 1), r.status)
               OR (r.status IN ('pending_institution', 'pending_assessor')
                   AND NOT EXISTS (SELECT 1 FROM registration_snapshots s WHERE s.registration_id = r.id))""") \
            - self.inconsistent_at_start

    def database_connections(self) -> int:
        return self.scalar("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()") - 1

    # --- checks over HTTP -----------------------------------------------------------------------
    def get(self, port: int, path: str, cookie: str | None = None) -> requests.Response:
        headers = {"Cookie": f"session={cookie}"} if cookie else {}
        return requests.get(f"http://127.0.0.1:{port}{path}", headers=headers, timeout=10, allow_redirects=False)

    def retry_save(self, port: int) -> int:
        cookie, token = self.sessions[-1]
        return requests.post(f"http://127.0.0.1:{port}/m/registration/step/1", data={
            "csrf_token": token, "action": "save", "email": "retry@example.cn"}, headers={"Cookie": f"session={cookie}"},
            timeout=10, allow_redirects=False).status_code

    def same_session_on(self, port_a: int, port_b: int) -> bool:
        cookie, _ = self.sessions[0]
        pages = [self.get(port, "/m/", cookie) for port in (port_a, port_b)]
        return all(p.status_code == 200 for p in pages) and pages[0].text.count("<") > 10

    def global_rate_limit(self, port_a: int, port_b: int) -> bool:
        """10 提交 a minute per account (wechat_app/limits.py), counted in Redis by both nodes: of 12 sent
        by one physician to the two nodes in turn, some are refused (with a count per node, none would be)."""
        cookie, token = self.sessions[1]
        statuses = [requests.post(f"http://127.0.0.1:{port}/m/registration/submit", data={"csrf_token": token},
                                  headers={"Cookie": f"session={cookie}"}, timeout=10,
                                  allow_redirects=False).status_code for port in [port_a, port_b] * 6]
        return 429 not in statuses[:10] and statuses.count(429) >= 1

    def global_lockout(self, port_a: int, port_b: int) -> bool:
        """Five wrong passwords for one staff account, sent to the two nodes in turn, lock it (counters
        in Redis): the counter goes 4, 3, 2, 1 across nodes, and then even the right password is
        refused on either node."""
        pages = [Browser(port).staff_login(self, "pzjzx", "wrong-password")
                 for port in (port_a, port_b, port_a, port_b, port_a)]
        right = [Browser(port).staff_login(self, "pzjzx", DEMO_STAFF_PASSWORD) for port in (port_b, port_a)]
        counted = all(f"还可尝试{left}次" in page for left, page in zip((4, 3, 2, 1), pages[:4], strict=True))
        return counted and all("密码错误次数过多" in page for page in [pages[4], *right])

    def oauth_code_single_use(self, port_a: int, port_b: int) -> bool:
        """A code exchanged on node A: a reload of the same browser on node B signs in from the shared
        cache without a second exchange; another browser on node B, with its own state, is refused
        (WeChat refuses a used code), and without that state it is refused before any exchange."""
        fake = self.fake
        assert fake is not None
        first = Browser(port_a)
        code, state = first.oauth_code("oCHAOSOAUTH0000000000000001")
        signed_in = first.get(f"/wechat/oauth/callback?code={code}&state={state}").status_code == 302
        exchanges = fake.stats()["calls"].get("sns/oauth2/access_token", 0)
        reload_on_b = first.moved(port_b).get(f"/wechat/oauth/callback?code={code}&state={state}").status_code == 302
        no_second_exchange = fake.stats()["calls"].get("sns/oauth2/access_token", 0) == exchanges
        other = Browser(port_b)
        other.get("/wechat/oauth/entry")
        other_state = parse_qs(urlsplit(other.location).query)["state"][0]
        replay = other.get(f"/wechat/oauth/callback?code={code}&state={other_state}")
        stolen_state = Browser(port_b).get(f"/wechat/oauth/callback?code={code}&state={state}")
        return (signed_in and reload_on_b and no_second_exchange and replay.status_code == 400
                and "授权码已失效" in replay.text and stolen_state.status_code == 400
                and other.get("/m/").status_code == 302)

    def backup_and_restore(self) -> tuple[float, dict[str, bool]]:
        backup = self.workdir / "backup"
        flask = [str(BIN / "flask"), "--app", "wsgi"]
        started = time.monotonic()
        subprocess.run(flask + ["backup", "create", str(backup)], cwd=ROOT, env=self.env, check=True, capture_output=True)
        target = make_url(self.database_url).set(database="chaos_restored")
        admin = create_engine(make_url(self.database_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text("DROP DATABASE IF EXISTS chaos_restored WITH (FORCE)"))
            connection.execute(text("CREATE DATABASE chaos_restored"))
        restored_env = {**self.env, "DATABASE_URL": target.render_as_string(hide_password=False),
                        "UPLOAD_DIR": str(self.workdir / "restored-uploads")}
        subprocess.run(flask + ["backup", "restore", str(backup)], cwd=ROOT, env=restored_env, check=True,
                       capture_output=True)
        seconds = time.monotonic() - started
        try:
            out = subprocess.run([sys.executable, "-c", RESTORED_CHECK, str(backup)], cwd=ROOT, env=restored_env,
                                 capture_output=True, text=True, check=True)
            checks = json.loads(out.stdout.strip().splitlines()[-1])
        finally:
            with admin.connect() as connection:
                connection.execute(text("DROP DATABASE IF EXISTS chaos_restored WITH (FORCE)"))
            admin.dispose()
        return seconds, checks
