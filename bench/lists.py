"""The console's lists at a province's size (issue 23): N physicians (BENCH_PHYSICIANS, default 100,000)
in 100 institutions, each list opened at its first page, a page deep in it, and searched (a name; an
ID number through the blind index), under gunicorn and wrk like every page row, against the bare WSGI
app and the textbook Flask list (Flask-SQLAlchemy's paginate: a COUNT and a LIMIT/OFFSET, bench/textbook.py).
Aim: p99 well under a second (< 500 ms) with BENCH_LIST_CONNECTIONS (8) staff paging at once, 0 errors;
≥ 0.5x the textbook list (which counts and pages one table, with no scope, search or join).

    python -m bench.lists
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import quote

from bench.common import BIN, ROOT, fresh_database
from bench.run import Scenario, app_environment, measure, report

PHYSICIANS = int(os.environ.get("BENCH_PHYSICIANS", "100000"))
# Staff paging at once: a province's console has tens of people on it, not a 09:00 crowd of phones.
STAFF = int(os.environ.get("BENCH_LIST_CONNECTIONS", "8"))


def prepare(env: dict) -> list[str]:
    subprocess.run([str(BIN / "flask"), "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    out = subprocess.run([sys.executable, "-m", "bench.lists_fixtures", str(PHYSICIANS)], cwd=ROOT, env=env,
                         capture_output=True, text=True)
    if out.returncode:
        sys.exit(f"list fixtures failed:\n{out.stderr[-3000:]}")
    return out.stdout.strip().split("\t")


def main() -> None:
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")
    workdir = Path(tempfile.mkdtemp(prefix="dingkao-lists-"))
    with fresh_database(workdir) as database_url:
        env = app_environment(database_url)
        body, province, institution, name, id_number = prepare(env)

        def page(label: str, path: str, cookie: str) -> Scenario:
            return Scenario(label, path, None, 500, aim_textbook=0.5, headers=(f"Cookie: session={cookie}",),
                            connections=STAFF)

        deep = PHYSICIANS * 3 // 10 // 50 // 2  # the middle of the 待复核 list
        scenarios = [
            page("reviews-1", "/console/reviews", body),
            page(f"reviews-{deep}", f"/console/reviews?page={deep}", body),
            page("reviews-name", f"/console/reviews?words={quote(name)}", body),
            page("reviews-id", f"/console/reviews?words={id_number}", body),
            page("results-1", "/console/results", body),
            page("physicians-10", "/console/physicians?page=10", institution),
            page("overview", "/console/overview", province),
        ]
        servers, runs = measure(env, scenarios, (("bare", "bench.bare:app"), ("textbook", "bench.textbook:app"),
                                                 ("app", "wsgi:app")))
        print(f"\n{PHYSICIANS} physicians in 100 institutions; the textbook list is Flask-SQLAlchemy's paginate")
        report(env, scenarios, servers, runs, "  (not counted for this row)")


if __name__ == "__main__":
    main()
