"""`make bench` (face row): what a face check costs on one core, against a baseline in the same run.

- check: the pre-exam check as the page sends it (BENCH_FACE_FRAMES frames, 6, of the registered
  person turning their head) through `DlibVerifier.verify` — detection and 68 landmarks per frame,
  one encoding, the replay hashes — against the registration photo's reference, measured once per
  registration and kept (issue 21; before, the photo was found and encoded again on every check);
- in-exam photo: one frame against the kept reference (`DlibVerifier.compare`);
- baseline: what the check cost before issue 20, one frame compared with the registration photo
  measured again (two detections, two encodings).

One process, one thread (dlib uses one core per call): checks/s and frames/s per core, p50 / p99,
errors (a live check refused, or a replay accepted), and the ratio to the baseline. docs/capacity.md
turns frames/s into the verifier cores a 09:00 start needs.
"""
from __future__ import annotations

import os
import statistics
import time

from tests.helpers import live_frames, portrait
from wechat_app.face import DlibVerifier

ROUNDS = int(os.environ.get("BENCH_FACE_ROUNDS", "20"))
FRAMES = int(os.environ.get("BENCH_FACE_FRAMES", "6"))


def timed(call, rounds: int) -> tuple[list[float], int]:
    """Seconds per call, and how many calls answered wrong."""
    seconds, errors = [], 0
    for _ in range(rounds):
        start = time.perf_counter()
        errors += 0 if call() else 1
        seconds.append(time.perf_counter() - start)
    return seconds, errors


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.99 * (len(ordered) - 1))))]


def main() -> None:
    verifier = DlibVerifier()
    reference = portrait("astronaut.png")
    turning = (live_frames("astronaut.png", (-0.25, -0.12, 0.12, 0.25, 0.12, -0.12)) * 2)[:FRAMES]
    replay = [reference] * FRAMES
    kept = verifier.reference(reference)  # also loads the models, once per process (not timed)

    def live_check() -> bool:
        seen = verifier.verify(kept, turning, "turn")
        return seen.live and not seen.replay and seen.same_person

    def replay_check() -> bool:
        return verifier.verify(kept, replay, "turn").replay

    def in_exam_photo() -> bool:
        distance = verifier.compare(kept, turning[1])
        return distance is not None and distance < 0.6

    def measured_again() -> bool:
        distance = verifier.compare(verifier.reference(reference), turning[1])
        return distance is not None and distance < 0.6

    rows = [(f"check (live, {FRAMES} frames)", *timed(live_check, ROUNDS), FRAMES),
            ("check (replayed photo)", *timed(replay_check, ROUNDS), FRAMES),
            ("in-exam photo against the kept reference", *timed(in_exam_photo, ROUNDS), 1),
            ("baseline: one frame, the photo measured again (before issue 21)", *timed(measured_again, ROUNDS), 1)]
    base = statistics.median(rows[3][1])
    print(f"face checks on one core, {ROUNDS} rounds each (dlib {verifier.models()[0].__class__.__module__})")
    print("| what | per second | frames/s | p50 | p99 | errors | cost / baseline |")
    print("|---|---|---|---|---|---|---|")
    for name, seconds, errors, frames in rows:
        median = statistics.median(seconds)
        print(f"| {name} | {1 / median:.2f} | {frames / median:.1f} | {median * 1000:.0f} ms | "
              f"{p99(seconds) * 1000:.0f} ms | {errors} | {median / base:.2f}× |")


if __name__ == "__main__":
    main()
