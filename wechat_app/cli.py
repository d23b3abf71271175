"""Flask commands: `flask seed-demo`, `flask wechat sync-menu`, `flask notify worker`,
`flask staff create`, `flask pii rotate`, `flask uploads prune`, `flask exams remind|close`, `flask backup create|restore`
(`flask db ...` comes from Flask-Migrate)."""
from __future__ import annotations

import json

import click
from flask import Flask, current_app
from flask.cli import AppGroup

# Each command imports what it runs inside its function: the CLI is registered with every app, and
# a web worker should not load the import/export, rotation and worker code it never uses.


def register(app: Flask) -> None:
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(wechat_group)
    app.cli.add_command(notify_group)
    app.cli.add_command(staff_group)
    app.cli.add_command(pii_group)
    app.cli.add_command(uploads_group)
    app.cli.add_command(exams_group)
    app.cli.add_command(backup_group)


@click.command("seed-demo")
@click.option("--schedule", type=click.Choice(["live", "seed2026"]), default="live",
              help="live: windows around today; seed2026: the seed's 2026 Hunan dates.")
@click.option("--if-empty", is_flag=True, help="Only when the database has no provinces yet.")
@click.option("--sittings", type=click.IntRange(0, 5000), default=0,
              help="Also N physicians who sat yesterday's 医学人文测评卷 (考核结果, 概况 and 试题分析 with real numbers).")
def seed_demo_command(schedule: str, if_empty: bool, sittings: int) -> None:
    """Load the demo data (idempotent)."""
    from wechat_app.domain.demo import has_data, seed_demo
    from wechat_app.domain.demo_sittings import seed_sittings

    if if_empty and has_data():
        click.echo("demo data: database not empty, left as it is")
        return
    counts = seed_demo(schedule)
    click.echo("demo data: " + ", ".join(f"{name} {count}" for name, count in counts.items()))
    if sittings:
        click.echo(f"demo sittings: {seed_sittings(sittings)} papers handed in")


pii_group = AppGroup("pii", help="Personal data at rest (PII_KEY, PII_INDEX_KEY).")


@pii_group.command("rotate")
def pii_rotate() -> None:
    """Re-seal every ID number and phone under the first PII_KEY and recompute the blind index
    under the first PII_INDEX_KEY; then the old keys can be removed from the environment."""
    from wechat_app.domain.personal_data import rotate

    counts = rotate()
    click.echo("re-sealed: " + ", ".join(f"{name} {count}" for name, count in counts.items()))


uploads_group = AppGroup("uploads", help="Uploaded files.")


@uploads_group.command("prune")
@click.option("--older-than-hours", type=click.IntRange(1, None), default=24, show_default=True)
def uploads_prune(older_than_hours: int) -> None:
    """Remove uploads no draft, snapshot or exemption refers to, and files no row names."""
    from datetime import timedelta

    from wechat_app.domain.uploads import prune

    rows, files = prune(timedelta(hours=older_than_hours))
    click.echo(f"removed {rows} upload rows and {files} files")


backup_group = AppGroup("backup", help="The database and the uploaded files (personal data stays sealed).")


@backup_group.command("create")
@click.argument("directory", type=click.Path(file_okay=False))
def backup_create(directory: str) -> None:
    """Write a backup into DIRECTORY (new or empty)."""
    from pathlib import Path

    from wechat_app import backup

    try:
        manifest = backup.create(Path(directory))
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"backup of the {manifest['dialect']} database and the uploads written to {directory}")


@backup_group.command("restore")
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
def backup_restore(directory: str) -> None:
    """Restore DIRECTORY into this app's empty database and upload directory."""
    from pathlib import Path

    from wechat_app import backup

    try:
        manifest = backup.restore(Path(directory))
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"restored the backup of {manifest['created_at']}")


wechat_group = AppGroup("wechat", help="WeChat platform tasks.")


@wechat_group.command("sync-menu")
@click.option("--dry-run", is_flag=True, help="Print the menu instead of pushing it.")
def sync_menu(dry_run: bool) -> None:
    """Push the menu defined in code to WeChat (menu/create; quota 1000 a day)."""
    from wechat_app.wechat.client import wechat
    from wechat_app.wechat.menu import build_menu, menu_problems

    menu = build_menu(current_app.config["PUBLIC_BASE_URL"])
    problems = menu_problems(menu)
    if problems:
        raise click.ClickException("menu breaks WeChat's limits: " + "; ".join(problems))
    if dry_run:
        click.echo(json.dumps(menu, ensure_ascii=False, indent=2))
        return
    wechat.client.menu.create(menu)
    click.echo("menu pushed")


notify_group = AppGroup("notify", help="Outbox delivery.")


@notify_group.command("worker")
@click.option("--once", is_flag=True, help="Stop when nothing is due instead of waiting for more.")
@click.option("--drain", is_flag=True, help="Stop when nothing is left to deliver, retries included.")
@click.option("--batch", default=50, show_default=True)
def notify_worker(once: bool, drain: bool, batch: int) -> None:
    """Deliver due notifications (template, customer-service and SMS); run as many as you like."""
    from wechat_app.outbox_worker import run_worker

    handled = run_worker(batch=batch, once=once, drain=drain)
    click.echo(f"handled {handled}")


exams_group = AppGroup("exams", help="The clock's side of exams (the outbox worker also runs these every minute).")


@exams_group.command("remind")
def exams_remind() -> None:
    """Queue 考试提醒: the day before a window opens, and on its last day to those not finished."""
    from wechat_app.domain.exam_admin import remind

    click.echo(f"reminders queued: {remind()}")


@exams_group.command("faces")
@click.option("--once", is_flag=True, help="Judge what is pending now, then stop.")
@click.option("--batch", default=20, show_default=True)
def exams_faces(once: bool, batch: int) -> None:
    """A verifier worker: the pre-exam face checks, the photos taken during papers, the registration
    photos' references (run one per core; they share the work by leases)."""
    from wechat_app.verifier_worker import run_verifier

    click.echo(f"faces judged: {run_verifier(batch, once=once)}")


@exams_group.command("prune-faces")
def exams_prune_faces() -> None:
    """Delete the face frames of checks and papers past FACE_RETENTION_DAYS after their window (daily)."""
    from datetime import timedelta

    from flask import current_app

    from wechat_app.domain.uploads import prune_faces

    days = current_app.config["FACE_RETENTION_DAYS"]
    click.echo(f"face frames deleted: {prune_faces(timedelta(days=days))} (older than {days} days after their window)")


@exams_group.command("close")
def exams_close() -> None:
    """Submit every paper whose deadline has passed (its saved answers count)."""
    from wechat_app.domain.exams import submit_overdue

    click.echo(f"papers submitted: {submit_overdue()}")


staff_group = AppGroup("staff", help="Console accounts.")


@staff_group.command("create")
@click.option("--username", required=True)
@click.option("--name", required=True, help="Shown in the console and the audit log.")
@click.option("--role", type=click.Choice(["institution", "assessor", "authority"]), required=True)
@click.option("--organisation", required=True, help="Exact name of the institution, assessment body or authority.")
@click.password_option(help="At least 8 characters, three of upper/lower/digit/symbol.")
def create_staff_command(username: str, name: str, role: str, organisation: str, password: str) -> None:
    """Create a console account (staff of an institution, an assessment body or a health authority)."""
    from wechat_app.domain.staff_accounts import DomainError, create_staff

    try:
        staff = create_staff(username, name, role, organisation, password)
    except DomainError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"created {staff.username} ({role})")
