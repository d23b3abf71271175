"""`flask backup create DIR` and `flask backup restore DIR`: the database and the uploaded files,
restorable into an empty database and an empty upload directory.

The database is copied as it is stored: ID numbers and phones stay sealed (wechat_app/pii.py), so
a backup is no easier to read than the database. The keys (PII_KEY, PII_INDEX_KEY) are not in it:
keep them apart, or the restored personal data cannot be read. PostgreSQL is dumped with pg_dump
(custom format, consistent while the service runs); SQLite with its online backup API.
"""
from __future__ import annotations

import hashlib
import json
import sqlite3
import subprocess
import tarfile
from datetime import datetime
from pathlib import Path

from flask import current_app
from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from wechat_app.extensions import db

MANIFEST, DUMP, SQLITE_COPY, FILES = "manifest.json", "database.dump", "database.sqlite3", "uploads.tar.gz"


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why, for the operator."""


def libpq_url() -> str:
    """The database URL as pg_dump and pg_restore take it (no SQLAlchemy driver suffix)."""
    return make_url(current_app.config["SQLALCHEMY_DATABASE_URI"]).set(drivername="postgresql").render_as_string(
        hide_password=False)


def sqlite_path() -> Path:
    database = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"]).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(database)


def create(target: Path) -> dict:
    """Write the database and the uploads into `target` (a new or empty directory)."""
    target.mkdir(parents=True, exist_ok=True)
    if any(target.iterdir()):
        raise BackupError(f"{target} is not empty")
    dialect = db.engine.dialect.name
    if dialect == "postgresql":
        run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={target / DUMP}", libpq_url()])
    else:
        with sqlite3.connect(sqlite_path()) as source, sqlite3.connect(target / SQLITE_COPY) as copy:
            source.backup(copy)
    uploads = Path(current_app.config["UPLOAD_DIR"])
    with tarfile.open(target / FILES, "w:gz") as archive:
        if uploads.is_dir():
            archive.add(uploads, arcname=".")
    manifest = {"created_at": datetime.now().isoformat(timespec="seconds"), "dialect": dialect,
                "revision": revision(), "files": {p.name: digest(p) for p in sorted(target.iterdir())}}
    (target / MANIFEST).write_text(json.dumps(manifest, indent=2))
    return manifest


def restore(source: Path) -> dict:
    """Load a backup into this app's database and upload directory, both of which must be empty."""
    manifest = json.loads((source / MANIFEST).read_text()) if (source / MANIFEST).exists() else None
    if manifest is None:
        raise BackupError(f"{source} holds no {MANIFEST}")
    for name, expected in manifest["files"].items():
        if digest(source / name) != expected:
            raise BackupError(f"{name} does not match the manifest (damaged or altered)")
    dialect = db.engine.dialect.name
    if dialect != manifest["dialect"]:
        raise BackupError(f"the backup is of {manifest['dialect']}, this database is {dialect}")
    if inspect(db.engine).get_table_names():
        raise BackupError("the database is not empty: restore into a new, empty database")
    uploads = Path(current_app.config["UPLOAD_DIR"])
    if uploads.is_dir() and any(uploads.iterdir()):
        raise BackupError(f"the upload directory {uploads} is not empty")
    db.session.remove()
    db.engine.dispose()
    if dialect == "postgresql":
        run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", f"--dbname={libpq_url()}",
             str(source / DUMP)])
    else:
        with sqlite3.connect(source / SQLITE_COPY) as copy, sqlite3.connect(sqlite_path()) as target:
            copy.backup(target)
    uploads.mkdir(parents=True, exist_ok=True)
    with tarfile.open(source / FILES, "r:gz") as archive:
        archive.extractall(uploads, filter="data")  # no absolute paths, no links out of the directory
    return manifest


def run(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:  # the URL is in the command line, never in the message
        raise BackupError(f"{command[0]} failed: {done.stderr.strip()[-500:]}")


def digest(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def revision() -> str | None:
    from sqlalchemy import text

    try:
        return db.session.scalar(text("SELECT version_num FROM alembic_version"))
    except Exception:  # a database made by create_all (tests) has no alembic_version
        db.session.rollback()
        return None
