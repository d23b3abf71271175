"""The load of `make chaos`: threads sending the mix of a registration morning, every request
recorded (when, what, status, how long), so that a scenario can count errors before, during and
after a fault, per second."""
from __future__ import annotations

import hashlib
import itertools
import os
import threading
import time
from dataclasses import dataclass

import requests

from bench.run import TOKEN

TIMEOUT = 10.0  # a request that takes longer is a hang, counted as an error
# Python threads, not wrk: 32 keep the two cores busy; 64 mostly measure the generator itself.
CONNECTIONS = int(os.environ.get("CHAOS_CONNECTIONS", "64"))


@dataclass(frozen=True)
class Sample:
    at: float  # seconds since the load started
    kind: str
    status: int  # 0: no answer (refused, reset, timed out)
    seconds: float


def is_error(sample: Sample) -> bool:
    return sample.status == 0 or (sample.status >= 500 and sample.status != 503)


class Window:
    def __init__(self, samples: list[Sample]) -> None:
        self.samples = samples
        self.errors = sum(map(is_error, samples))

    def total(self, kind: str) -> int:
        return sum(1 for s in self.samples if s.kind == kind)

    def ok(self, kind: str) -> int:
        return sum(1 for s in self.samples if s.kind == kind and 200 <= s.status < 400)


class Load:
    """`with Load(stack, port, mix=(...)) as traffic:` runs the mix until the block ends."""

    def __init__(self, stack, port: int, mix: tuple[str, ...], connections: int = CONNECTIONS) -> None:
        self.stack, self.base, self.mix, self.connections = stack, f"http://127.0.0.1:{port}", mix, connections
        self.samples: list[Sample] = []
        self.marks: list[tuple[float, str]] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.counter = itertools.count()
        self.started = 0.0

    def __enter__(self) -> Load:
        self.started = time.monotonic()
        self.threads = [threading.Thread(target=self.run, args=(i,), daemon=True) for i in range(self.connections)]
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=TIMEOUT + 5)

    def now(self) -> float:
        return time.monotonic() - self.started

    def mark(self, label: str) -> float:
        at = self.now()
        self.marks.append((at, label))
        return at

    def run(self, index: int) -> None:
        http = requests.Session()
        kinds = itertools.cycle(self.mix[index % len(self.mix):] + self.mix[:index % len(self.mix)])
        while not self.stopping.is_set():
            kind = next(kinds)
            started = time.monotonic()
            try:
                status = getattr(self, f"send_{kind}")(http, next(self.counter))
            except requests.RequestException:
                status = 0
                http = requests.Session()  # the connection is gone: a phone would open another
                time.sleep(0.05)
            with self.lock:
                self.samples.append(Sample(started - self.started, kind, status, time.monotonic() - started))

    # --- the requests --------------------------------------------------------------------------
    def session(self, n: int) -> tuple[str, str]:
        return self.stack.sessions[n % len(self.stack.sessions)]

    def send_callback(self, http: requests.Session, n: int) -> int:
        timestamp, nonce = str(int(time.time())), str(n)
        signature = hashlib.sha1("".join(sorted([TOKEN, timestamp, nonce])).encode()).hexdigest()
        xml = (f"<xml><ToUserName><![CDATA[gh_chaos]]></ToUserName><FromUserName><![CDATA[oCHAOS{n % 5000:022d}]]>"
               f"</FromUserName><CreateTime>{timestamp}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
               f"<Content><![CDATA[忘记密码]]></Content><MsgId>{7_000_000_000 + n}</MsgId></xml>")
        return http.post(f"{self.base}/wechat", params={"signature": signature, "timestamp": timestamp, "nonce": nonce},
                         data=xml.encode(), headers={"Content-Type": "text/xml"}, timeout=TIMEOUT).status_code

    def send_home(self, http: requests.Session, n: int) -> int:
        cookie, _ = self.session(n)
        return http.get(f"{self.base}/m/", headers={"Cookie": f"session={cookie}"}, timeout=TIMEOUT,
                        allow_redirects=False).status_code

    def send_save(self, http: requests.Session, n: int) -> int:
        cookie, token = self.session(n)
        return http.post(f"{self.base}/m/registration/step/1", data={"csrf_token": token, "action": "save",
                                                                     "email": f"chaos{n}@example.cn"},
                         headers={"Cookie": f"session={cookie}"}, timeout=TIMEOUT, allow_redirects=False).status_code

    def send_submit(self, http: requests.Session, n: int) -> int:
        cookie, token = self.session(n)
        return http.post(f"{self.base}/m/registration/submit", data={"csrf_token": token},
                         headers={"Cookie": f"session={cookie}"}, timeout=TIMEOUT, allow_redirects=False).status_code

    def send_answer(self, http: requests.Session, n: int) -> int:
        cookie, token, attempt, question, option = self.stack.answers[n % len(self.stack.answers)]
        return http.post(f"{self.base}/m/attempts/{attempt}/answer",
                         data={"csrf_token": token, "question_id": question, "choice": option},
                         headers={"Cookie": f"session={cookie}", "Accept": "application/json"},
                         timeout=TIMEOUT, allow_redirects=False).status_code

    # --- what happened ---------------------------------------------------------------------------
    def window(self, start: float, end: float | None) -> Window:
        return Window([s for s in self.samples if s.at >= start and (end is None or s.at < end)])

    def errors(self) -> int:
        return sum(map(is_error, self.samples))

    def busy(self) -> int:
        return sum(1 for s in self.samples if s.status == 503)

    def count(self) -> int:
        return len(self.samples)

    def slowest(self) -> float:
        return max((s.seconds for s in self.samples), default=0.0)

    def recovery_after(self, moment: float, busy_counts: bool = False) -> float:
        """Seconds from `moment` to the end of the last failed request after it (0: none failed)."""
        failed = [s.at + s.seconds for s in self.samples if s.at + s.seconds >= moment
                  and (is_error(s) or (busy_counts and s.status == 503))]
        return max(failed) - moment if failed else 0.0

    def p99_of(self, start: float, end: float | None) -> float:
        times = sorted(s.seconds for s in self.window(start, end).samples)
        return times[int(len(times) * 0.99) - 1] * 1000 if times else 0.0

    def per_second_summary(self) -> str:
        seconds = int(self.now()) + 1
        errors = [0] * seconds
        for sample in self.samples:
            if is_error(sample) or sample.status == 503:
                errors[min(int(sample.at), seconds - 1)] += 1
        marks = ", ".join(f"{label} at {at:.0f} s" for at, label in self.marks)
        busy = [f"{i}s:{n}" for i, n in enumerate(errors) if n]
        return f"errors+503 per second: {' '.join(busy) or 'none'} ({marks})"
