"""The physician's home page (考核安排): cycle, windows, procedure, 当前任务 and the tools grid, with
the reason a tool cannot be used yet."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from sqlalchemy import and_, bindparam, select
from sqlalchemy.orm import contains_eager, defer

from wechat_app import clock
from wechat_app.domain.cycles import Window, WindowState, period_label, windows
from wechat_app.domain.exams import arrangements_for
from wechat_app.domain.registration import Status, label
from wechat_app.domain.submission import exemption_refusal, existing_exemption
from wechat_app.extensions import db
from wechat_app.models import Cycle, Institution, Physician, Province, Registration


@dataclass(frozen=True)
class Tool:
    name: str
    url: str
    icon: str  # one character in a coloured disc (no emoji: not every phone font has them)
    reason: str | None = None  # why it cannot be used now; None when it can


@dataclass
class Home:
    physician: Physician
    cycle: Cycle | None
    registration: Registration | None
    windows: list[Window] = field(default_factory=list)
    tools: list[Tool] = field(default_factory=list)

    @property
    def period(self) -> str:
        return period_label(self.cycle) if self.cycle else ""

    @property
    def task(self) -> str:
        return label(self.registration.status if self.registration else None)

    @property
    def procedure(self) -> str | None:
        return self.registration.procedure if self.registration else None

    @property
    def exemption(self):
        return existing_exemption(self.registration) if self.registration else None


def span(window: Window) -> str:
    """08.17 ~ 08.31, as the seed shows windows."""
    if window.start is None or window.end is None:
        return "未安排"
    return f"{window.start:%m.%d} ~ {window.end:%m.%d}"


# db.session().info key: the current cycle and registration read with the signed-in physician, valid
# for the transaction they were read in: (physician id, cycle, registration, that transaction).
READ_WITH_PHYSICIAN = "current_cycle_and_registration"


def current_cycle_and_registration(physician: Physician) -> tuple[Cycle | None, Registration | None]:
    """The province's current cycle and this physician's registration in it, in one query (none when
    they were read with the physician in this transaction, `physician_for_pages`)."""
    read = db.session().info.get(READ_WITH_PHYSICIAN)
    if read is not None and read[0] == physician.id and read[3] is db.session().get_transaction():
        return read[1], read[2]
    if physician.institution is None:
        return None, None
    row = db.session.execute(
        select(Cycle, Registration)
        .outerjoin(Registration, and_(Registration.cycle_id == Cycle.id, Registration.physician_id == physician.id))
        .where(Cycle.province_id == physician.institution.province_id, Cycle.is_current.is_(True))
    ).first()
    return (row[0], row[1]) if row else (None, None)


def physician_for_pages(physician_id: int, with_draft: bool = False) -> Physician | None:
    """A signed-in physician with what nearly every page of theirs reads — the institution (shown on
    every page), the current cycle and the registration in it — in one statement instead of three;
    `current_cycle_and_registration` then needs no query of its own in this transaction. With the
    draft, also the draft and the cycle's province (the registration's step pages)."""
    row = db.session.execute(physician_with_registration(with_draft), {"physician_id": physician_id}).first()
    if row is None:
        return None
    physician, cycle, registration = row
    db.session().info[READ_WITH_PHYSICIAN] = (physician.id, cycle, registration, db.session().get_transaction())
    return physician


@lru_cache(maxsize=2)
def physician_with_registration(with_draft: bool):
    """Built once per process (building it costs about what running it does). The registration's
    draft and face reference, large and read by few pages, are loaded when read, unless `with_draft`."""
    statement = (select(Physician, Cycle, Registration)
                 .outerjoin(Physician.institution).options(contains_eager(Physician.institution))
                 .outerjoin(Cycle, and_(Cycle.province_id == Institution.province_id, Cycle.is_current.is_(True)))
                 .outerjoin(Registration, and_(Registration.cycle_id == Cycle.id,
                                               Registration.physician_id == Physician.id))
                 .options(defer(Registration.face_reference))
                 .where(Physician.id == bindparam("physician_id")))
    if not with_draft:
        return statement.options(defer(Registration.draft))
    # The province loaded with the institution is in the identity map, so `cycle.province` needs no query.
    return (statement.outerjoin(Province, Province.id == Institution.province_id)
            .options(contains_eager(Physician.institution).contains_eager(Institution.province)))


def home_for(physician: Physician) -> Home:
    cycle, registration = current_cycle_and_registration(physician)
    home = Home(physician, cycle, registration, own_windows(cycle, registration) if cycle else [])
    home.tools = tools(home)
    return home


def own_windows(cycle: Cycle, registration: Registration | None) -> list[Window]:
    """The cycle's windows, with 测评 the physician's own papers' when they have any (a province's
    papers need not keep to the cycle's 测评 dates, and the physician sits theirs, not the cycle's)."""
    found = windows(cycle)
    if registration is None or registration.status not in (Status.AWAITING_TEST, Status.MAKEUP):
        return found
    papers = arrangements_for(registration)
    if not papers:
        return found
    own = Window("test", "测评", min(p.starts_at for p in papers).date(), max(p.ends_at for p in papers).date())
    return [own if window.key == "test" else window for window in found]


def window_reason(window: Window | None, what: str, today: date) -> str | None:
    """Why a tile that needs `window` is closed today, or None when the window is open."""
    state = window.state(today) if window else WindowState.UNSCHEDULED
    if window is None or state == WindowState.UNSCHEDULED:
        return f"{what}时间尚未公布。"
    if state == WindowState.UPCOMING:
        return f"{what}时间为{span(window)}，尚未开始。"
    if state == WindowState.CLOSED:
        return f"{what}已于{window.end:%m月%d日}结束。"
    return None


def registration_reason(home: Home, status: Status, window: Window | None, today: date) -> str | None:
    if home.cycle is None:
        return "当前没有进行中的考核周期。"
    if status == Status.NOT_OPEN:
        institution = home.physician.institution.name if home.physician.institution else "主要执业机构"
        return f"未开通报名，请联系{institution}的定考负责人将您纳入本考核周期。"
    if status in (Status.OPEN, Status.DRAFT):
        return window_reason(window, "医师报名", today)
    return None  # submitted: the form shows what was sent and the review status


def tools(home: Home) -> list[Tool]:
    today = clock.today()
    by_key = {w.key: w for w in home.windows}
    status = Status(home.registration.status) if home.registration else Status.NOT_OPEN
    # The exam page itself tells a waiting physician about each paper's window (等待考试开始.....).
    exam_reason = None if status in (Status.AWAITING_TEST, Status.MAKEUP, Status.EXEMPT) \
        else "报名审核通过（报名完成-等待测评）后才能参加考试。"
    results_reason = None if status in (Status.PASSED, Status.FAILED, Status.MAKEUP) else "测评结束后公布考核结果。"
    # One rule for 免考 (submission.exemption_refusal); with an application already made, the tile
    # opens the page that shows it.
    exemption_reason = None if home.exemption else exemption_refusal(home.registration, today)
    return [
        Tool("我要报名", "/m/registration", "报", registration_reason(home, status, by_key.get("registration"), today)),
        Tool("我要学习", "/m/study", "学"),
        Tool("参加考试", "/m/exams", "考", exam_reason),
        Tool("考核结果", "/m/results", "果", results_reason),
        Tool("免考申请", "/m/exemption", "免", exemption_reason),
        Tool("在线客服", "/m/support", "服"),
        Tool("常见问题", "/m/faq", "问"),
    ]
