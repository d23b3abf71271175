"""Face verification behind a small interface, chosen by the FACE_VERIFIER setting:

- `dlib`: on this server, offline — dlib's HOG face detector and its 128-d ResNet encoder with the
  models the `face_recognition_models` package ships; two faces closer than 0.6 are the same person
  (the threshold dlib's model was trained for: 99.38 % on LFW).
- `staff`: no automatic matching; every check goes to the 考核机构's staff, who compare the frame
  with the registration photo in the console.

A province that buys a commercial service adds a class with the same `compare` and a name here.
"""
from __future__ import annotations

import io
import threading
from dataclasses import dataclass
from typing import Protocol

from flask import Flask, current_app
from PIL import Image, ImageOps

THRESHOLD = 0.6
MAX_SIDE = 800  # larger frames only cost time: the detector finds faces of 80 px and up


@dataclass(frozen=True)
class Comparison:
    """What a verifier saw: whether each image had a face, and the distance (None: not measured)."""

    reference_face: bool
    frame_face: bool
    distance: float | None

    @property
    def same_person(self) -> bool:
        return self.distance is not None and self.distance < THRESHOLD


class Verifier(Protocol):
    automatic: bool

    def compare(self, reference: bytes, frame: bytes) -> Comparison: ...


class StaffVerifier:
    """Every frame is looked at by a person."""

    automatic = False

    def compare(self, reference: bytes, frame: bytes) -> Comparison:
        return Comparison(True, True, None)


class DlibVerifier:
    automatic = True

    def __init__(self) -> None:
        self._models = None
        self._lock = threading.Lock()

    def models(self):
        # Loaded once per process, on first use (about half a second and 30 MB): a web worker that
        # never verifies a face never pays for them.
        with self._lock:
            if self._models is None:
                import dlib  # the native library: only where FACE_VERIFIER=dlib
                import face_recognition_models as files

                self._models = (dlib.get_frontal_face_detector(),
                                dlib.shape_predictor(files.pose_predictor_five_point_model_location()),
                                dlib.face_recognition_model_v1(files.face_recognition_model_location()))
            return self._models

    def encode(self, data: bytes):
        import numpy

        detector, shapes, encoder = self.models()
        image = ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("RGB")
        image.thumbnail((MAX_SIDE, MAX_SIDE))
        pixels = numpy.asarray(image)
        # Upsampling finds smaller faces, and also false ones: try without it first. Of several
        # detections keep the one the detector is surest of — not the largest, which on the
        # astronaut's portrait is a "face" in the suit (score 0.1 against 1.6 for the real one).
        faces, scores, _ = detector.run(pixels, 0, 0.0)
        if not faces:
            faces, scores, _ = detector.run(pixels, 1, 0.0)
        if not faces:
            return None
        face = faces[max(range(len(faces)), key=lambda index: scores[index])]
        return numpy.array(encoder.compute_face_descriptor(pixels, shapes(pixels, face)))

    def compare(self, reference: bytes, frame: bytes) -> Comparison:
        import numpy

        known, seen = self.encode(reference), self.encode(frame)
        distance = float(numpy.linalg.norm(known - seen)) if known is not None and seen is not None else None
        return Comparison(known is not None, seen is not None, distance)


VERIFIERS = {"dlib": DlibVerifier, "staff": StaffVerifier}


def init_app(app: Flask) -> None:
    name = app.config["FACE_VERIFIER"]
    if name not in VERIFIERS:
        raise RuntimeError(f"FACE_VERIFIER must be one of {', '.join(VERIFIERS)}, not {name!r}")
    app.extensions["face_verifier"] = VERIFIERS[name]()


def verifier() -> Verifier:
    return current_app.extensions["face_verifier"]
