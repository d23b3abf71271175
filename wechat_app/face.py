"""Face verification behind a small interface, chosen by the FACE_VERIFIER setting:

- `dlib`: on this server, offline — dlib's HOG face detector, its 68-point landmarks and its 128-d
  ResNet encoder with the models the `face_recognition_models` package ships; two faces closer than
  0.6 are the same person (the threshold dlib's model was trained for: 99.38 % on LFW).
- `staff`: no automatic matching; every check goes to the 考核机构's staff, who compare the frame
  with the registration photo in the console.

A check is several frames taken while the physician does what the server asked (转头, 张嘴 or 眨眼,
chosen at random per check). It passes when (1) the frames show the movement asked for, measured on
the landmarks — a still picture has none, and a printed photo tilted in front of the camera turns as
a plane, moving the nose with the eyes, where a head's nose swings across them; (2) the most frontal
frame is the registration photo's person; (3) no frame is the registration photo itself (its file
posted back, or re-encoded: an embedding almost equal, or the same aligned face, pixel for pixel).

A province that buys a commercial service adds a class with the same `verify` and a name here.
"""
from __future__ import annotations

import io
import threading
from dataclasses import dataclass
from typing import Protocol

from flask import Flask, current_app
from PIL import Image, ImageOps

THRESHOLD = 0.6
# The registration photo posted back gave 0.0076 (issue 20); the same photo re-encoded at another
# size gives up to ~0.05; a live capture of the same person, 0.15 and up (tests/test_face.py).
REPLAY_DISTANCE = 0.06
# Of 64 bits: the registration photo re-encoded, rescaled, greyed or tilted in front of the camera
# stays within 2; another picture of the same face, warped a little, is 4 and more away.
REPLAY_HASH_BITS = 2
MAX_SIDE = 640  # larger frames only cost time: the detector finds faces of 80 px and up
DETECT_SIDE = 320  # the detector looks at this much of a frame (see DlibVerifier._find)
MAX_FRAMES = 8
MAX_INPUT_SIDE = 4000  # as uploads' "face" kind (domain/uploads.py)

# What each challenge must show across the frames, on the landmarks (iBUG 68-point scheme):
# yaw = the nose tip's offset from the eyes' midpoint, in eye distances (a tilted print: < 0.03);
# mouth = the inner lips' opening over the mouth's width; eyes = the eye aspect ratio
# (Soukupová & Čech, 2016: about 0.3 open, under 0.2 closed).
CHALLENGES = {
    "turn": "请缓慢向左、再向右转头",
    "mouth": "请张嘴，再闭上",
    "blink": "请眨眨眼",
}
# Where the WebView gives no live camera (older iOS WeChat: no getUserMedia, or a black picture) the
# page asks for two photos taken with the front camera, one for each end of the movement. Nobody
# photographs their own closed eyes, so a check by photos asks for a blink only when nothing else is
# configured.
PHOTO_STEPS = {
    "turn": ("头转向左侧", "头转向右侧"),
    "mouth": ("张大嘴", "闭上嘴"),
    "blink": ("睁开眼", "闭上眼（请他人帮忙拍摄）"),
}
SELF_PHOTOGRAPHED = ("turn", "mouth")
TURN_RANGE = 0.12
MOUTH_OPEN, MOUTH_RANGE = 0.3, 0.2
EYES_CLOSED, EYES_RANGE = 0.2, 0.08


@dataclass(frozen=True)
class Pose:
    """What the landmarks of one frame say."""

    yaw: float
    mouth: float
    eyes: float


def pose_of(points) -> Pose:
    """`points`: the 68 landmarks as (x, y) pairs."""
    import numpy

    p = numpy.asarray(points, dtype=float)

    def dist(a: int, b: int) -> float:
        return float(numpy.linalg.norm(p[a] - p[b]))

    eye_distance = dist(36, 45) or 1.0
    middle = (p[36] + p[45]) / 2
    eyes = (dist(37, 41) + dist(38, 40)) / (2 * (dist(36, 39) or 1.0)) / 2 \
        + (dist(43, 47) + dist(44, 46)) / (2 * (dist(42, 45) or 1.0)) / 2
    mouth = (dist(61, 67) + dist(62, 66) + dist(63, 65)) / (2 * (dist(60, 64) or 1.0))
    return Pose(float(p[30][0] - middle[0]) / eye_distance, mouth, eyes)


def shows(challenge: str, poses: list[Pose]) -> bool:
    """Whether the frames' poses show the movement the challenge asked for."""
    if len(poses) < 2:
        return False
    if challenge == "turn":
        yaws = [pose.yaw for pose in poses]
        return max(yaws) - min(yaws) >= TURN_RANGE
    if challenge == "mouth":
        mouths = [pose.mouth for pose in poses]
        return max(mouths) >= MOUTH_OPEN and max(mouths) - min(mouths) >= MOUTH_RANGE
    if challenge == "blink":
        eyes = [pose.eyes for pose in poses]
        return min(eyes) <= EYES_CLOSED and max(eyes) - min(eyes) >= EYES_RANGE
    return False


@dataclass(frozen=True)
class Verification:
    """What a verifier saw in one check: a face in the reference and in every frame, the movement
    asked for, a replay of the reference, the distance of the most frontal frame (None: not
    measured) and which frame that was (the one kept for staff)."""

    reference_face: bool
    frame_face: bool
    live: bool
    replay: bool
    distance: float | None
    best: int = 0

    @property
    def same_person(self) -> bool:
        return self.distance is not None and self.distance < THRESHOLD


@dataclass(frozen=True)
class Reference:
    """The registration photo's face, measured once (when a verifier worker first meets the photo, and
    kept sealed with the registration): its encoding, and the hash of the aligned face that tells a
    replay of the photo itself."""

    encoding: tuple[float, ...]
    chip_hash: int

    def to_json(self) -> dict:
        return {"encoding": list(self.encoding), "chip_hash": self.chip_hash}

    @classmethod
    def from_json(cls, data: dict) -> Reference:
        return cls(tuple(float(x) for x in data["encoding"]), int(data["chip_hash"]))


class Verifier(Protocol):
    automatic: bool

    def reference(self, photo: bytes) -> Reference | None: ...

    def verify(self, reference: Reference | None, frames: list[bytes], challenge: str) -> Verification: ...

    def compare(self, reference: Reference, frame: bytes) -> float | None: ...


class StaffVerifier:
    """Every frame is looked at by a person."""

    automatic = False

    def reference(self, photo: bytes) -> Reference | None:
        return None

    def verify(self, reference: Reference | None, frames: list[bytes], challenge: str) -> Verification:
        return Verification(True, True, True, False, None)

    def compare(self, reference: Reference, frame: bytes) -> float | None:
        return None


def dhash(pixels) -> int:
    """A 64-bit difference hash of an aligned face: the same picture gives (nearly) the same bits."""
    small = Image.fromarray(pixels).convert("L").resize((9, 8), Image.Resampling.LANCZOS)
    values = list(small.tobytes())
    return sum(1 << index for index, (left, right) in enumerate(
        (values[row * 9 + col], values[row * 9 + col + 1]) for row in range(8) for col in range(8)) if left > right)


@dataclass
class Seen:
    pixels: object
    shape: object


class DlibVerifier:
    automatic = True

    def __init__(self) -> None:
        self._models = None
        self._lock = threading.Lock()
        # dlib's detector and predictors are not safe to call from two threads at once (a segfault):
        # a process's threads take turns. A verifier worker is one thread; in development the inline
        # verifier and outbox threads share one process.
        self._busy = threading.RLock()

    def models(self):
        # Loaded once per process, on first use (about a second and 130 MB): a web worker that
        # never verifies a face never pays for them.
        with self._lock:
            if self._models is None:
                import dlib  # the native library: only where FACE_VERIFIER=dlib
                import face_recognition_models as files

                self._models = (dlib.get_frontal_face_detector(),
                                dlib.shape_predictor(files.pose_predictor_model_location()),
                                dlib.face_recognition_model_v1(files.face_recognition_model_location()))
            return self._models

    def find(self, data: bytes) -> Seen | None:
        """The surest face of a picture with its 68 landmarks, or None."""
        with self._busy:
            return self._find(data)

    def _find(self, data: bytes) -> Seen | None:
        import numpy

        detector, shapes, _ = self.models()
        try:
            image = Image.open(io.BytesIO(data))  # reads the header only
            if max(image.size) > MAX_INPUT_SIDE:
                return None  # no camera frame is this large: not decoded at all
            image = ImageOps.exif_transpose(image).convert("RGB")
            image.thumbnail((MAX_SIDE, MAX_SIDE))
        except (OSError, ValueError, Image.DecompressionBombError):
            return None  # not a picture: no face in it
        import dlib

        pixels = numpy.asarray(image)
        # The detector's cost grows with the pixels: it looks at a copy half as wide (a face at a phone's
        # arm's length is well over its 80 px there), and the landmarks and the encoding are taken on the
        # full frame. Upsampling finds smaller faces, and also false ones: tried only when nothing was found.
        # Of several detections keep the one the detector is surest of — not the largest, which on the
        # astronaut's portrait is a "face" in the suit (score 0.1 against 1.6 for the real one).
        scale = max(image.size) / DETECT_SIDE if max(image.size) > DETECT_SIDE else 1.0
        small = numpy.asarray(image.resize((round(image.width / scale), round(image.height / scale)))) \
            if scale > 1 else pixels
        faces, scores, _ = detector.run(small, 0, 0.0)
        if not faces:
            faces, scores, _ = detector.run(small, 1, 0.0)
        if not faces:
            return None
        found = faces[max(range(len(faces)), key=lambda index: scores[index])]
        face = dlib.rectangle(round(found.left() * scale), round(found.top() * scale),
                              round(found.right() * scale), round(found.bottom() * scale))
        return Seen(pixels, shapes(pixels, face))

    def encode(self, seen: Seen):
        import numpy

        with self._busy:
            return numpy.array(self.models()[2].compute_face_descriptor(seen.pixels, seen.shape))

    def chip_hash(self, seen: Seen) -> int:
        import dlib

        with self._busy:
            return dhash(dlib.get_face_chip(seen.pixels, seen.shape, size=64))

    def reference(self, photo: bytes) -> Reference | None:
        """The registration photo measured (None: no face in it)."""
        known = self.find(photo)
        if known is None:
            return None
        return Reference(tuple(float(x) for x in self.encode(known)), self.chip_hash(known))

    def verify(self, reference: Reference | None, frames: list[bytes], challenge: str) -> Verification:
        found = [self.find(frame) for frame in frames[:MAX_FRAMES]]
        faces = [seen for seen in found if seen is not None]
        if not faces or len(faces) < len(found):
            return Verification(reference is not None, False, False, False, None)
        poses = [pose_of([(part.x, part.y) for part in seen.shape.parts()]) for seen in faces]
        live = shows(challenge, poses)
        best = min(range(len(faces)), key=lambda index: abs(poses[index].yaw))
        if reference is None:
            return Verification(False, True, live, False, None, best)
        distance = self.distance(reference, faces[best])
        same_picture = any(bin(self.chip_hash(seen) ^ reference.chip_hash).count("1") <= REPLAY_HASH_BITS
                           for seen in faces)
        return Verification(True, True, live, distance < REPLAY_DISTANCE or same_picture, distance, best)

    def distance(self, reference: Reference, seen: Seen) -> float:
        import numpy

        return float(numpy.linalg.norm(numpy.array(reference.encoding) - self.encode(seen)))

    def compare(self, reference: Reference, frame: bytes) -> float | None:
        """The distance between the reference and the surest face of a picture (None: no face in it)."""
        seen = self.find(frame)
        return self.distance(reference, seen) if seen is not None else None


VERIFIERS = {"dlib": DlibVerifier, "staff": StaffVerifier}


def init_app(app: Flask) -> None:
    name = app.config["FACE_VERIFIER"]
    if name not in VERIFIERS:
        raise RuntimeError(f"FACE_VERIFIER must be one of {', '.join(VERIFIERS)}, not {name!r}")
    unknown = set(app.config["FACE_CHALLENGES"]) - set(CHALLENGES)
    if unknown or not app.config["FACE_CHALLENGES"]:
        raise RuntimeError(f"FACE_CHALLENGES must be some of {', '.join(CHALLENGES)}, not {sorted(unknown)}")
    app.extensions["face_verifier"] = VERIFIERS[name]()


def verifier() -> Verifier:
    return current_app.extensions["face_verifier"]
