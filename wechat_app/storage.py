"""File storage behind a small interface: a local directory outside static/ by default. Files are
stored under random names; the original name is never used for anything."""
from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Protocol

from flask import Flask, Response, current_app, send_file


class Storage(Protocol):
    def save(self, data: bytes, suffix: str) -> str: ...
    def read(self, name: str) -> bytes: ...
    def replace(self, name: str, data: bytes) -> None: ...
    def send(self, name: str, mimetype: str) -> Response: ...
    def delete(self, name: str) -> None: ...
    def names(self) -> Iterator[tuple[str, datetime]]: ...


class LocalStorage:
    def __init__(self, root: str) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, name: str) -> Path:
        path = (self.root / name).resolve()
        if path.parent != self.root.resolve():
            raise ValueError("stored names are flat")
        return path

    def save(self, data: bytes, suffix: str) -> str:
        name = f"{secrets.token_hex(16)}{suffix}"
        self._path(name).write_bytes(data)
        return name

    def read(self, name: str) -> bytes:
        return self._path(name).read_bytes()

    def replace(self, name: str, data: bytes) -> None:
        """New contents under the same name, written whole before they take its place."""
        path = self._path(name)
        partial = path.with_name(path.name + ".partial")
        partial.write_bytes(data)
        partial.replace(path)

    def send(self, name: str, mimetype: str) -> Response:
        """A stored file as a response that answers range requests (206): seeking in a video on a
        phone asks for the part it needs, not the whole file."""
        return send_file(self._path(name), mimetype=mimetype, conditional=True, etag=True, max_age=0)

    def delete(self, name: str) -> None:
        self._path(name).unlink(missing_ok=True)

    def names(self) -> Iterator[tuple[str, datetime]]:
        """Every stored file with its modification time (local clock, as `clock.now()`)."""
        for path in self.root.iterdir():
            if path.is_file():
                yield path.name, datetime.fromtimestamp(path.stat().st_mtime)


def init_app(app: Flask) -> None:
    app.extensions["storage"] = LocalStorage(app.config["UPLOAD_DIR"])


def storage() -> Storage:
    return current_app.extensions["storage"]
