"""Where a page's time goes, in one process: the bench's fixtures in a fresh database (as `make bench`
prepares them), then each page requested REQUESTS times through the app's WSGI callable under
cProfile, as the physician of its scenario. Prints, per page, the time per request and the
functions with the most time of their own and in total. What `make bench` measures under load,
this explains.

    python -m bench.profile [page ...]      pages: home-first status exams study results step callback answer

`answer` posts the exam takers' answers as the paper's autosave does (the bench's answer scenario, 200 takers).
The console's lists at a province's size (bench/lists.py's fixtures, BENCH_PHYSICIANS): console-reviews,
console-results, console-overview, console-physicians — profiled apart from the phone pages:

    python -m bench.profile console-results console-overview

BENCH_DATABASE_URL / BENCH_REDIS_URL as for `make bench`; BENCH_PROFILE_REQUESTS (300), BENCH_PROFILE_TOP (25).
"""
from __future__ import annotations

import cProfile
import io
import os
import pstats
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import ROOT, fresh_database
from bench.run import TOKEN, app_environment, prepare

REQUESTS = int(os.environ.get("BENCH_PROFILE_REQUESTS", "300"))
TOP = int(os.environ.get("BENCH_PROFILE_TOP", "25"))
PATHS = {"home-first": "/m/", "status": "/m/registration", "exams": "/m/exams", "study": "/m/study",
         "results": "/m/results", "step": "/m/registration/step/2", "callback": "/wechat", "answer": "/m/attempts"}
TAKERS = 200
# The console's lists, and which of bench/lists.py's signed-in staff opens each.
LISTS = {"console-reviews": ("/console/reviews", "body"), "console-results": ("/console/results", "body"),
         "console-overview": ("/console/overview", "province"), "console-physicians": ("/console/physicians", "institution")}


def main() -> None:
    pages = sys.argv[1:] or list(PATHS)
    workdir = Path(tempfile.mkdtemp(prefix="dingkao-profile-"))
    with fresh_database(workdir) as database_url:
        env = app_environment(database_url)
        if all(page in LISTS for page in pages):
            from bench.lists import prepare as prepare_lists

            body, province, institution, *_ = prepare_lists(env)
            (workdir / "staff.tsv").write_text(f"body\t{body}\nprovince\t{province}\ninstitution\t{institution}\n")
        else:
            prepare(env, workdir, total=200, takers=TAKERS if "answer" in pages else 0)
        subprocess.run([sys.executable, "-m", "bench.profile", "--inside", str(workdir), *pages], cwd=ROOT, env=env,
                       check=True)


def callback_request(number: int) -> dict:
    from wechat_app.wechat.protocol import sha1_signature

    body = (f"<xml><ToUserName>gh_bench</ToUserName><FromUserName>o{number % 5000:027d}</FromUserName>"
            f"<CreateTime>1700000000</CreateTime><MsgType>text</MsgType><Content>你好</Content>"
            f"<MsgId>{10**15 + number}</MsgId></xml>").encode()
    query = f"signature={sha1_signature(TOKEN, '1700000000', '42')}&timestamp=1700000000&nonce=42"
    return {"method": "POST", "query_string": query, "data": body, "content_type": "text/xml"}


def inside(workdir: Path, pages: list[str]) -> None:
    from werkzeug.test import EnvironBuilder

    from wsgi import app

    lists = all(page in LISTS for page in pages)
    if lists:
        staff = dict(line.split("\t") for line in (workdir / "staff.tsv").read_text().splitlines())
        cookies = {page: staff[who] for page, (_, who) in LISTS.items()}
        PATHS.update({page: path for page, (path, _) in LISTS.items()})
        sessions = []
    else:
        cookies = dict(line.split("\t") for line in (workdir / "pages.tsv").read_text().splitlines())
        sessions = [line.split("\t")[0] for line in (workdir / "sessions.tsv").read_text().splitlines()]

    answers = [line.split("\t") for line in (workdir / "answers.tsv").read_text().splitlines()] if "answer" in pages else []

    def environ(page: str, number: int) -> dict:
        if page == "callback":
            return EnvironBuilder(path="/wechat", **callback_request(number)).get_environ()
        if page == "answer":
            cookie, token, attempt, question, option = answers[number % len(answers)]
            return EnvironBuilder(path=f"/m/attempts/{attempt}/answer", method="POST",
                                  headers={"Cookie": f"session={cookie}", "Accept": "application/json"},
                                  data={"csrf_token": token, "question_id": question, "choice": option}).get_environ()
        cookie = sessions[number % len(sessions)] if page == "home-first" else cookies[page]
        return EnvironBuilder(path=PATHS[page], headers={"Cookie": f"session={cookie}"}).get_environ()

    def call(page: str, number: int) -> None:
        status = []
        body = app.wsgi_app(environ(page, number), lambda s, h, *a: status.append(s))
        b"".join(body)
        if not status[0].startswith(("200", "302")):
            raise SystemExit(f"{page}: {status[0]}")

    warm = max(1, min(20, REQUESTS // 10))
    for page in pages:
        for number in range(warm):
            call(page, number)  # warm: templates compiled, pools filled
        profiler = cProfile.Profile()
        started = time.perf_counter()
        profiler.enable()
        for number in range(warm, warm + REQUESTS):
            call(page, number)
        profiler.disable()
        elapsed = (time.perf_counter() - started) / REQUESTS * 1000
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("tottime").print_stats(TOP)
        stats.sort_stats("cumulative").print_stats(TOP)
        stats.sort_stats("cumulative").print_stats(r"wechat_app|jinja2/environment|flask/templating", TOP)
        print(f"===== {page} {PATHS[page]}: {elapsed:.2f} ms a request under the profiler ({REQUESTS} requests)")
        print(out.getvalue())


if __name__ == "__main__":
    if sys.argv[1:2] == ["--inside"]:
        inside(Path(sys.argv[2]), sys.argv[3:])
    else:
        main()
