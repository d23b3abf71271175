"""题库: the Excel template, the import (the whole file or nothing, errors by row in Chinese, like the
physician import), search, and retiring a question. A question an attempt has used is never edited
in place (models/exam.py): an edit retires it and adds the new version."""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from openpyxl import Workbook
from sqlalchemy import select

from wechat_app.domain import audit, enumerations, paging
from wechat_app.domain.errors import DomainError
from wechat_app.domain.scopes import check_edits_material, own_province_id
from wechat_app.domain.spreadsheets import read_sheet, workbook_bytes
from wechat_app.domain.transaction import use_case
from wechat_app.extensions import db
from wechat_app.models import Question, Staff
from wechat_app.models.enums import QuestionKind, QuestionPool
from wechat_app.models.exam import fingerprint

COLUMNS = ("题型", "分组", "共用题干", "题干", "选项A", "选项B", "选项C", "选项D", "选项E", "答案", "解析",
           "执业类别", "专业", "知识点", "难度", "题库")
GROUPED = {QuestionKind.A3, QuestionKind.A4, QuestionKind.B1}
KEYS = "ABCDE"


def template() -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "题库"
    sheet.append(COLUMNS)
    sheet.append(("A1", "", "", "医师定期考核的周期为", "一年", "两年", "三年", "五年", "", "C", "医师法第四十二条。",
                  "", "", "医学人文", 2, "考试"))
    sheet.append(("X", "", "", "医学伦理学的基本原则包括", "尊重原则", "不伤害原则", "有利原则", "公正原则", "效益原则",
                  "ABCD", "", "", "", "医学人文", 3, "练习"))
    sheet.append(("A3", "病例1", "患者，男，68岁，诊断为晚期肺癌……", "此情形主要涉及的伦理原则是", "尊重原则", "公正原则",
                  "互助原则", "效益原则", "", "A", "", "", "", "医学人文", 3, "考试"))
    notes = workbook.create_sheet("填写说明")
    for line in ("题型：A1 A2 A3 A4 B1 X；A3/A4/B1 同一病例或同一组备选答案的题目填写相同的“分组”和“共用题干”。",
                 "选项：至少填写选项A至选项D；答案填写选项字母，X型题填写全部正确选项（如ACD），其余题型只填一个。",
                 "执业类别：临床、口腔、公共卫生、中医，留空表示适用于全部类别。难度：1（易）至5（难），默认3。",
                 "题库：考试（只用于正式考试和补考，考试结束前医师看不到答案）或练习（用于背题、做题、模拟自测和错题本），"
                 "留空为考试。同一题不要同时放入两个题库。",
                 "导入为整表导入：任意一行有误则整表不导入，请按提示修改后重新上传。请删除示例行后再填写。"):
        notes.append((line,))
    return workbook_bytes(workbook)


def text(value) -> str:
    return "" if value is None else str(value).strip()


def row_question(values: dict[str, str], province_id: int) -> Question:
    """One row as a question, or ValueError with what is wrong in it."""
    kind = values["题型"].upper()
    if kind not in set(QuestionKind):
        raise ValueError("题型应为A1、A2、A3、A4、B1或X")
    options = [{"key": key, "text": values[f"选项{key}"]} for key in KEYS if values[f"选项{key}"]]
    if len(options) < 4 or [o["key"] for o in options] != list(KEYS[:len(options)]):
        raise ValueError("至少填写选项A至选项D，且中间不能留空")
    answer = "".join(sorted(set(values["答案"].upper().replace(",", "").replace("，", ""))))
    if not answer or not set(answer) <= {o["key"] for o in options}:
        raise ValueError("答案应为已填写的选项字母")
    if kind != QuestionKind.X and len(answer) != 1:
        raise ValueError("只有X型题可以有多个答案")
    if kind in GROUPED and not values["分组"]:
        raise ValueError(f"{kind}型题须填写分组")
    if not values["题干"] or len(values["题干"]) > 2000:
        raise ValueError("题干不能为空，且不超过2000字")
    difficulty = values["难度"] or "3"
    if difficulty not in ("1", "2", "3", "4", "5"):
        raise ValueError("难度应为1至5")
    pool = values["题库"] or QuestionPool.EXAM.value
    if pool not in set(QuestionPool):
        raise ValueError("题库应为考试或练习")
    if values["执业类别"] and values["执业类别"] not in enumerations.categories():
        raise ValueError(f"执业类别应为{'、'.join(enumerations.categories())}之一，或留空表示适用于全部类别")
    too_long = [name for name, limit in (("分组", 40), ("执业类别", 10), ("专业", 40), ("知识点", 40)) if len(values[name]) > limit]
    if too_long:
        raise ValueError(f"{too_long[0]}过长")
    return Question(province_id=province_id, kind=kind, group_key=values["分组"] or None, shared=values["共用题干"] or None,
                    stem=values["题干"], options=options, answer=answer, explanation=values["解析"] or None,
                    category=values["执业类别"] or None, specialty=values["专业"] or None, topic=values["知识点"] or None,
                    difficulty=int(difficulty), pool=pool)


class Duplicates(StrEnum):
    """What an import does with a question the bank (or the file, further up) already holds."""

    REFUSE = "refuse"  # name them, import nothing (the default: a bank is not doubled by a second click)
    SKIP = "skip"  # keep what is there, import the rest
    REPLACE = "replace"  # retire what is there, import the new version (old attempts keep theirs)


@dataclass(frozen=True)
class Imported:
    added: int
    skipped: int = 0
    replaced: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def summary(self) -> str:
        parts = [f"成功导入{self.added}道题目"]
        if self.skipped:
            parts.append(f"跳过重复题目{self.skipped}道")
        if self.replaced:
            parts.append(f"替换题库中的原题{self.replaced}道（原题已停用）")
        return "，".join(parts) + "。"


@use_case()
def import_questions(staff: Staff, data: bytes, ip: str | None, duplicates: Duplicates = Duplicates.REFUSE) -> Imported:
    """All rows or none. A question whose stem and options are already in the bank, or further up in
    the file, is a duplicate: refused with its row (default), skipped, or replacing the one there."""
    province_id = own_province_id(staff)
    check_edits_material(staff)
    read, errors = questions_in(data, province_id)
    if errors:
        return Imported(0, errors=errors)
    in_bank = in_bank_by_fingerprint(province_id, {q.fingerprint for _, q in read if q.fingerprint})
    added: list[Question] = []
    skipped, replaced, seen = 0, 0, dict[str, int]()
    for number, question in read:
        key = question.fingerprint or ""
        earlier, there = seen.get(key), in_bank.get(key)
        if duplicates == Duplicates.REFUSE and earlier:
            errors.append(f"第{number}行：与第{earlier}行的题干和选项相同")
            continue
        if duplicates == Duplicates.REFUSE and there:
            errors.append(f"第{number}行：题库中已有题干和选项相同的题目（编号{there.id}）")
            continue
        seen.setdefault(key, number)
        if earlier or (there and duplicates == Duplicates.SKIP):
            skipped += 1
            continue
        if there:  # REPLACE
            there.retired = True
            question.replaces_id = there.id
            replaced += 1
        added.append(question)
    if errors:
        return Imported(0, errors=errors + ["可选择“跳过重复题目”或“替换题库中的原题”后重新导入。"])
    db.session.add_all(added)
    audit.record("staff", staff.id, "questions_import", "staff", staff.id, ip, count=len(added),
                 skipped=skipped, questions_replaced=replaced)
    return Imported(len(added), skipped, replaced)


def questions_in(data: bytes, province_id: int) -> tuple[list[tuple[int, Question]], list[str]]:
    """The file's questions with their row numbers, or the errors by row."""
    rows, errors = read_sheet(data, COLUMNS)
    read: list[tuple[int, Question]] = []
    for number, row in enumerate(rows[1:] if not errors else [], start=2):
        values = {column: text(value) for column, value in zip(COLUMNS, row, strict=False)}
        values |= {column: "" for column in COLUMNS if column not in values}
        if not any(values.values()):
            continue
        try:
            question = row_question(values, province_id)
        except ValueError as exc:
            errors.append(f"第{number}行：{exc}")
            continue
        question.fingerprint = fingerprint(question.stem, question.options)
        read.append((number, question))
    if not read and not errors:
        errors.append("文件中没有题目。")
    return read, errors


def in_bank_by_fingerprint(province_id: int, fingerprints: set[str]) -> dict[str, Question]:
    """The province's active questions with these fingerprints (a thousand per query)."""
    found: dict[str, Question] = {}
    wanted = sorted(fingerprints)
    for start in range(0, len(wanted), 1000):
        found |= {q.fingerprint: q for q in db.session.scalars(select(Question).where(
            Question.province_id == province_id, Question.retired.is_(False),
            Question.fingerprint.in_(wanted[start:start + 1000]))) if q.fingerprint}
    return found


def search(staff: Staff, kind: str = "", words: str = "", page: int = 1, retired: bool = False) -> paging.Page:
    """The province's active (or retired) questions, newest first, filtered by type and words in the stem."""
    query = select(Question).where(Question.province_id == own_province_id(staff), Question.retired.is_(retired))
    if kind in set(QuestionKind):
        query = query.where(Question.kind == kind)
    if words:
        query = query.where(Question.stem.contains(words[:40], autoescape=True))
    return paging.paginate(query.order_by(Question.id.desc()), page)


@use_case()
def restore(staff: Staff, question: Question, ip: str | None) -> None:
    """A retired question in use again — unless the bank already holds it (its new version, or the
    same stem and options imported since)."""
    if question.province_id != own_province_id(staff):
        raise DomainError("题目不存在。", status=404)
    check_edits_material(staff)
    twin = in_bank_by_fingerprint(question.province_id, {fingerprint(question.stem, question.options)}).get(
        fingerprint(question.stem, question.options))
    if twin is not None:
        raise DomainError(f"题库中已有题干和选项相同的在用题目（编号{twin.id}），不能重复启用。")
    question.retired = False
    audit.record("staff", staff.id, "question_restore", "staff", staff.id, ip, question=question.id)


@use_case()
def retire(staff: Staff, question: Question, ip: str | None) -> None:
    if question.province_id != own_province_id(staff):
        raise DomainError("题目不存在。", status=404)
    check_edits_material(staff)
    question.retired = True
    audit.record("staff", staff.id, "question_retire", "staff", staff.id, ip, question=question.id)


def values_of(question: Question) -> dict[str, str]:
    """A question as the import's columns, to edit it in the same terms."""
    options = {f"选项{o['key']}": o["text"] for o in question.options}
    return {"题型": question.kind, "分组": question.group_key or "", "共用题干": question.shared or "", "题干": question.stem,
            **{f"选项{key}": options.get(f"选项{key}", "") for key in KEYS}, "答案": question.answer,
            "解析": question.explanation or "", "执业类别": question.category or "", "专业": question.specialty or "",
            "知识点": question.topic or "", "难度": str(question.difficulty), "题库": question.pool}


@use_case()
def edit(staff: Staff, question: Question, values: dict[str, str], ip: str | None) -> Question:
    """An edit is a new version: the old one is retired (attempts that drew it keep scoring the
    same) and the new one replaces it in every paper assembled from now on."""
    if question.province_id != own_province_id(staff) or question.retired:
        raise DomainError("题目不存在或已停用。", status=404)
    check_edits_material(staff)
    try:
        new = row_question({column: (values.get(column) or "").strip() for column in COLUMNS}, question.province_id)
    except ValueError as exc:
        raise DomainError(f"{exc}。") from None
    same = in_bank_by_fingerprint(question.province_id, {fingerprint(new.stem, new.options)})
    twin = next(iter(same.values()), None)
    if twin is not None and twin.id != question.id:
        raise DomainError(f"题库中已有题干和选项相同的题目（编号{twin.id}），请勿重复录入。")
    new.replaces_id = question.id
    question.retired = True
    db.session.add(new)
    db.session.flush()
    audit.record("staff", staff.id, "question_edit", "staff", staff.id, ip, question=question.id)
    return new
