"""Console pages for exams: 题库 (import, search, retire), 试卷 and 考试安排 (create, preview,
publish, live progress), 人脸审核, and results (缺考, 发布考核结果, export); the authority's
待补考名单 and 补考 arrangements. Scopes as for reviews: a body sees its own institutions."""
from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from wechat_app import clock
from wechat_app.console.common import bp, ip, outcome, refused, staff_required, xlsx
from wechat_app.domain import (
    captures,
    enumerations,
    exam_admin,
    exams,
    face_checks,
    item_analysis,
    notifications,
    paging,
    question_bank,
    result_lists,
    results,
    seals,
    spreadsheets,
)
from wechat_app.domain.authority import owns_cycles
from wechat_app.domain.cycles import current_cycle
from wechat_app.domain.errors import DomainError
from wechat_app.domain.scopes import own_province_id
from wechat_app.extensions import db
from wechat_app.forms import ConfirmForm, DecisionForm
from wechat_app.forms.console import (
    ArrangementForm,
    PaperForm,
    QuestionForm,
    QuestionImportForm,
    QuestionSearch,
    RoundForm,
    SealForm,
)
from wechat_app.inputs import parse_id
from wechat_app.models import Arrangement, FaceCheck, Paper, Question
from wechat_app.models.enums import CaptureVerdict, ExamRound, FaceVerdict, QuestionPool, Role

EXAM_STAFF = (Role.ASSESSOR, Role.AUTHORITY)


def cycle_or_404():
    cycle = current_cycle(own_province_id(current_user))
    if cycle is None:
        abort(404)
    return cycle


def managed(arrangement_id: int) -> Arrangement:
    arrangement = db.session.get(Arrangement, arrangement_id)
    if arrangement is None or not exam_admin.owned(current_user, arrangement):
        abort(404)
    return arrangement


def seen(arrangement_id: int) -> Arrangement:
    arrangement = db.session.get(Arrangement, arrangement_id)
    if arrangement is None or not exam_admin.can_see(current_user, arrangement):
        abort(404)
    return arrangement


@bp.get("/bank")
@staff_required(*EXAM_STAFF)
def bank():
    search = QuestionSearch(request.args, meta={"csrf": False})
    search.validate()
    retired = search.retired.data == "1"
    page = question_bank.search(current_user, search.kind.data or "", search.words.data or "",
                                paging.page_number(request.args.get("page")), retired=retired)
    return render_template("console/bank.html", page=page, search=search, retired=retired, form=ConfirmForm())


@bp.get("/bank/template.xlsx")
@staff_required(*EXAM_STAFF)
def bank_template():
    return xlsx(question_bank.template(), "题库导入模板.xlsx")


@bp.post("/bank/import")
@staff_required(*EXAM_STAFF)
def bank_import():
    form = QuestionImportForm()
    if not form.validate_on_submit() or (form.duplicates.data or "refuse") not in set(question_bank.Duplicates):
        return refused(form)
    imported = question_bank.import_questions(current_user, form.file.data.read(spreadsheets.MAX_BYTES + 1), ip(),
                                              question_bank.Duplicates(form.duplicates.data or "refuse"))
    if imported.errors:
        return render_template("console/import_errors.html", errors=imported.errors), 400
    flash(imported.summary)
    return redirect(url_for("console.bank"))


@bp.post("/bank/<int:question_id>/restore")
@staff_required(*EXAM_STAFF)
def bank_restore(question_id: int):
    question = db.session.get(Question, question_id)
    if question is None or not ConfirmForm().validate_on_submit():
        abort(404)
    outcome(lambda: question_bank.restore(current_user, question, ip()), lambda _: f"题目（编号{question.id}）已重新启用。")
    return redirect(url_for("console.bank", retired=1))


@bp.post("/bank/<int:question_id>/retire")
@staff_required(*EXAM_STAFF)
def bank_retire(question_id: int):
    question = db.session.get(Question, question_id)
    if question is None or not ConfirmForm().validate_on_submit():
        abort(404)
    question_bank.retire(current_user, question, ip())
    flash("题目已停用。")
    return redirect(url_for("console.bank"))


@bp.route("/bank/<int:question_id>/edit", methods=["GET", "POST"])
@staff_required(*EXAM_STAFF)
def bank_edit(question_id: int):
    question = db.session.get(Question, question_id)
    if question is None or question.retired or question.province_id != own_province_id(current_user):
        abort(404)
    form = QuestionForm()
    if form.is_submitted() and not form.validate():
        return refused(form)
    if not form.is_submitted():
        return render_template("console/question_edit.html", question=question, values=question_bank.values_of(question),
                               columns=question_bank.COLUMNS, form=form)
    try:
        new = question_bank.edit(current_user, question, form.values(), ip())
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        # At the field it names (the check's messages begin with the column), not as a flash at the top
        field = next((c for c in sorted(question_bank.COLUMNS, key=len, reverse=True) if exc.message.startswith(c)), None)
        return render_template("console/question_edit.html", question=question, values=form.values(),
                               columns=question_bank.COLUMNS, form=form, error=exc.message, error_field=field), 400
    flash(f"已保存为新版本（编号{new.id}），原题已停用，已有考试不受影响。")
    return redirect(url_for("console.bank"))


@bp.get("/arrangements")
@staff_required(*EXAM_STAFF)
def arrangements():
    cycle = cycle_or_404()
    rows = [(a, results.progress(current_user, a)) for a in exam_admin.visible(current_user, cycle)]
    papers = db.session.scalars(select(Paper).where(Paper.province_id == cycle.province_id).order_by(Paper.id)).all()
    return render_template("console/arrangements.html", cycle=cycle, rows=rows, papers=papers, form=ArrangementForm(),
                           paper_form=PaperForm(), categories=enumerations.categories(), levels=enumerations.levels(),
                           owned=lambda arrangement: exam_admin.owned(current_user, arrangement),
                           can_arrange=current_user.role == Role.ASSESSOR or owns_cycles(current_user),
                           reviews_waiting=len(face_checks.waiting(current_user)) if current_user.role == Role.ASSESSOR
                           else 0)


@bp.post("/papers")
@staff_required(*EXAM_STAFF)
def paper_create():
    form = PaperForm()
    if not form.validate_on_submit():
        return refused(form)
    outcome(lambda: exam_admin.create_paper(current_user, form.title.data, form.rules.data, form.pass_mark.data,
                                            form.duration.data, ip()),
            lambda paper: f"试卷已创建：{paper.title}（满分{paper.total}分）")
    return redirect(url_for("console.arrangements"))


@bp.post("/arrangements")
@staff_required(*EXAM_STAFF)
def arrangement_create():
    form = ArrangementForm()
    if not form.validate_on_submit():
        return refused(form)
    cycle = cycle_or_404()
    outcome(lambda: exam_admin.create_arrangement(current_user, cycle, form.to_input(), ip()),
            lambda arrangement: f"考试安排已保存（未发布）：{arrangement.name}")
    return redirect(url_for("console.arrangements"))


@bp.get("/arrangements/<int:arrangement_id>/preview")
@staff_required(*EXAM_STAFF)
def arrangement_preview(arrangement_id: int):
    """A sample paper as the bank would assemble it, with the answers (staff only)."""
    arrangement = seen(arrangement_id)
    drawn = exams.assemble(arrangement.paper, arrangement.paper.province_id, arrangement.category, 1, QuestionPool.EXAM)
    questions = {q.id: q for q in db.session.scalars(select(Question).where(Question.id.in_(drawn.question_ids)))}
    return render_template("console/arrangement_preview.html", arrangement=arrangement,
                           questions=[questions[i] for i in drawn.question_ids])


@bp.post("/arrangements/<int:arrangement_id>/publish")
@staff_required(*EXAM_STAFF)
def arrangement_publish(arrangement_id: int):
    arrangement = managed(arrangement_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    outcome(lambda: exam_admin.publish(current_user, arrangement, ip()),
            lambda reach: f"已发布{arrangement.name}。" + reach.summary("考试通知"))
    return redirect(url_for("console.arrangements"))


@bp.get("/arrangements/<int:arrangement_id>/analysis")
@staff_required(*EXAM_STAFF)
def arrangement_analysis(arrangement_id: int):
    """试题分析 of a closed arrangement, as the exam jobs computed it (domain/item_analysis.py)."""
    arrangement = seen(arrangement_id)
    kept = item_analysis.kept(arrangement)
    items = sorted((kept.data.get("items") or []) if kept else [], key=lambda item: (not item["flags"], item["question_id"]))
    ids = [item["question_id"] for item in items]
    questions = {q.id: q for q in db.session.scalars(select(Question).where(Question.id.in_(ids)))} if ids else {}
    return render_template("console/analysis.html", arrangement=arrangement, kept=kept, items=items, questions=questions,
                           form=ConfirmForm(), can_refresh=exam_admin.owned(current_user, arrangement)
                           and arrangement.ends_at <= clock.now())


@bp.post("/arrangements/<int:arrangement_id>/analysis")
@staff_required(*EXAM_STAFF)
def arrangement_analysis_refresh(arrangement_id: int):
    arrangement = managed(arrangement_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if arrangement.ends_at > clock.now():
        flash("考试结束后才能统计。")
    else:
        item_analysis.store(arrangement, item_analysis.compute(arrangement), clock.now())
        flash("已重新统计。")
    return redirect(url_for("console.arrangement_analysis", arrangement_id=arrangement.id))


@bp.get("/arrangements/<int:arrangement_id>/delivery")
@staff_required(*EXAM_STAFF)
def arrangement_delivery(arrangement_id: int):
    """送达情况: each notice of the arrangement, by outcome."""
    arrangement = seen(arrangement_id)
    reports = [(what, notifications.delivery_report(batch)) for what, batch in exam_admin.batches(arrangement)]
    return render_template("console/delivery.html", title=f"{arrangement.name}：通知送达情况", reports=reports,
                           back=url_for("console.arrangements"))


# 人脸审核 is the 考核机构's (README: Exams): an authority reads results, it does not clear faces.
@bp.get("/face-checks")
@staff_required(Role.ASSESSOR)
def face_check_queue():
    rows = [(row, face_checks.photo_for(row)) for row in face_checks.waiting(current_user)]
    return render_template("console/face_checks.html", rows=rows, form=DecisionForm())


@bp.post("/face-checks/<int:check_id>")
@staff_required(Role.ASSESSOR)
def face_check_decide(check_id: int):
    row = db.session.get(FaceCheck, check_id)
    if row is None:
        abort(404)
    form = DecisionForm()
    if not form.validate_on_submit():
        return refused(form)
    try:
        face_checks.review(current_user, row, form.approve, ip())
    except DomainError as exc:
        if exc.status == 404:
            abort(404)
        flash(exc.message)
    else:
        flash("已通过人脸审核，医师可进入考试。" if form.approve else "已驳回人脸验证。")
    return redirect(url_for("console.face_check_queue"))


@bp.get("/arrangements/<int:arrangement_id>/sittings")
@staff_required(*EXAM_STAFF)
def sittings(arrangement_id: int):
    """监考记录: each attempt of the arrangement in scope with the face checks before it, its photos as
    the verifier judged them, and its 切屏 — the doubtful ones first (?flagged=1: only those)."""
    arrangement = seen(arrangement_id)
    flagged = request.args.get("flagged") == "1"
    return render_template("console/sittings.html", arrangement=arrangement, flagged=flagged,
                           rows=captures.sittings(current_user, arrangement, flagged), labels=CaptureVerdict,
                           check_labels=FaceVerdict,
                           show_frames=current_user.role == Role.ASSESSOR)


@bp.get("/results")
@staff_required(*EXAM_STAFF)
def results_page():
    """考核结果: the assessment body checks each physician's result before 发布 (待发布, per round) and
    reads what it published; the authorities read what was published and keep the 待补考名单."""
    cycle = cycle_or_404()
    assessor = current_user.role == Role.ASSESSOR
    # 待发布 is the assessment body's alone; everyone else reads what was published
    asked = request.args.get("view")
    view = asked if assessor and asked in ("pending", "published") else ("pending" if assessor else "published")
    exam_round = ExamRound(request.args["round"]) if request.args.get("round") in set(ExamRound) else ExamRound.REGULAR
    filters = result_lists.Filters((request.args.get("words") or "")[:40], parse_id(request.args.get("institution")),
                                   request.args.get("procedure") or "")
    number = paging.page_number(request.args.get("page"))
    if view == "pending":
        page, reports = result_lists.pending(current_user, cycle, exam_round, filters, number), []
    else:  # the notices' delivery shows with the published list
        page = result_lists.published(current_user, cycle, filters, number)
        reports = [(f"{r.label}考核结果通知", notifications.delivery_report(results.result_batch(cycle, r)))
                   for r in ExamRound]
    return render_template("console/results.html", cycle=cycle, reports=[(w, r) for w, r in reports if r.total],
                           view=view, exam_round=exam_round, page=page, args=request.args, form=RoundForm(),
                           institutions=result_lists.institutions_in(current_user), rounds=list(ExamRound),
                           makeup=results.makeup_list(current_user, cycle) if current_user.role == Role.AUTHORITY else [])


@bp.post("/results/<any(publish, absentees):action>")
@staff_required(Role.ASSESSOR)
def results_publish(action: str):
    form = RoundForm()
    if not form.validate_on_submit() or form.round.data not in set(ExamRound):
        return refused(form)
    cycle, exam_round = cycle_or_404(), ExamRound(form.round.data)
    count = results.publish(current_user, cycle, exam_round, ip(), absentees_only=action == "absentees")
    if count == 0:
        flash(results.why_nothing_published(current_user, cycle, exam_round, action == "absentees"))
    else:
        flash(f"已将{count}名缺考医师列入待补考名单。" if action == "absentees" else f"已发布{count}名医师的考核结果。")
    return redirect(url_for("console.results_page"))


@bp.get("/seal")
@staff_required(Role.ASSESSOR)
def seal():
    """公章: the picture printed over the body's name on its 考核结果通知书."""
    body = seals.own_body(current_user)
    return render_template("console/seal.html", body=body, form=SealForm(), confirm=ConfirmForm())


@bp.get("/seal.png")
@staff_required(Role.ASSESSOR)
def seal_image():
    body = seals.own_body(current_user)
    if not body.seal_png:
        abort(404)
    return Response(body.seal_png, mimetype="image/png", headers={"Cache-Control": "private, no-store"})


@bp.post("/seal")
@staff_required(Role.ASSESSOR)
def seal_update():
    form = SealForm()
    if not form.validate_on_submit():
        return refused(form)
    outcome(lambda: seals.set_seal(current_user, form.file.data.read(seals.SEAL.max_bytes + 1), ip()),
            lambda _: "公章已保存，考核结果通知书将盖此章。")
    return redirect(url_for("console.seal"))


@bp.post("/seal/remove")
@staff_required(Role.ASSESSOR)
def seal_remove():
    if not ConfirmForm().validate_on_submit():
        abort(400)
    outcome(lambda: seals.remove_seal(current_user, ip()), lambda _: "公章已删除。")
    return redirect(url_for("console.seal"))


@bp.post("/results/export.xlsx")
@staff_required(*EXAM_STAFF)
def results_export():
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return xlsx(results.export(current_user, cycle_or_404(), ip()), "考核结果.xlsx")


@bp.post("/results/filing.xlsx")
@staff_required(Role.ASSESSOR)
def results_filing_export():
    """备案表: full ID numbers, the assessment body's alone (domain/result_lists.py)."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return xlsx(result_lists.filing_export(current_user, cycle_or_404(), ip()), "考核结果备案表.xlsx")


@bp.post("/makeup/confirm")
@staff_required(Role.AUTHORITY)
def makeup_confirm():
    if not ConfirmForm().validate_on_submit():
        abort(400)
    count = results.confirm_makeup_list(current_user, cycle_or_404(), ip())
    flash(f"已确认待补考名单，共{count}人。请发布补考安排。")
    return redirect(url_for("console.results_page"))
