"""Demo exam data: a question bank of every type (人文 questions written from the laws the product
follows; 专业 questions made from the national catalogues in enumerations.json, so every answer is
a fact), Hunan's papers, and arrangements around today so that every exam screen can be seen.
"""
from __future__ import annotations

import random
import secrets
from datetime import datetime, timedelta

from sqlalchemy import func, select

from wechat_app import clock
from wechat_app.domain import enumerations, exams
from wechat_app.extensions import db
from wechat_app.models import (
    Arrangement,
    Attempt,
    AttemptAnswer,
    Cycle,
    FaceCheck,
    Paper,
    Physician,
    Question,
    Registration,
    Result,
)
from wechat_app.models.enums import ExamRound, QuestionPool, Rating, Status

HUMANITIES = "医学人文"
PROFESSIONAL = "专业知识"
KEYS = "ABCDE"

# (stem, right answer, wrong answers, explanation): 医师法 (2021), 医师定期考核管理办法 (2007),
# 医疗纠纷预防和处理条例 (2018), and the principles of medical ethics.
HUMANITIES_A1 = [
    ("《中华人民共和国医师法》施行的日期是", "2022年3月1日", ["1999年5月1日", "2021年8月20日", "2023年1月1日"], "医师法2021年8月20日通过，2022年3月1日起施行。"),
    ("医师定期考核的周期为", "三年", ["一年", "两年", "五年"], "医师法第四十二条：定期考核周期为三年。"),
    ("医师定期考核的内容包括", "业务水平、工作成绩和职业道德", ["学历、职称和工作年限", "科研成果和论文数量", "门诊量和手术量"], "医师法第四十二条。"),
    ("医师定期考核不合格的，暂停执业活动的期限为", "三个月至六个月", ["一个月至三个月", "六个月至一年", "一年以上"], "医师法第四十二条。"),
    ("暂停执业活动期满后再次考核仍不合格的，应当", "注销注册，收回医师执业证书", ["再暂停六个月", "降低执业级别", "只能从事辅助工作"], "医师法第四十二条。"),
    ("医疗机构应当为医师定期考核提供", "便利条件", ["考试题目", "考核经费全额", "免考证明"], "定期考核管理办法。"),
    ("医患沟通中，医师告知病情应当", "用患者能够理解的语言如实告知", ["只告知家属不告知患者", "使用专业术语以示严谨", "为避免纠纷尽量少告知"], "知情同意原则。"),
    ("医学伦理学的有利原则要求医师", "把患者的利益放在首位", ["首先考虑医院的经济效益", "优先满足科研需要", "听从患者家属的一切要求"], "有利原则。"),
    ("尊重原则的核心是尊重患者的", "自主权", ["经济能力", "社会地位", "宗教信仰以外的一切偏好"], "尊重原则。"),
    ("公正原则在医疗资源分配中要求", "同样的需要给予同样的对待", ["按支付能力分配", "按社会地位分配", "先到者获得全部资源"], "公正原则。"),
    ("不伤害原则要求医师", "避免对患者造成不应有的伤害", ["绝对不能对患者产生任何伤害", "只考虑身体伤害", "伤害发生后再补救"], "不伤害原则。"),
    ("发生医疗纠纷时，患者有权", "复制病历资料", ["修改病历资料", "销毁病历资料", "要求医师当场赔偿"], "医疗纠纷预防和处理条例第十六条。"),
    ("因抢救危急患者未能及时书写病历的，应在抢救结束后补记的时限为", "6小时内", ["12小时内", "24小时内", "48小时内"], "医疗纠纷预防和处理条例第十五条。"),
    ("医师在执业活动中应当遵守的首要义务是", "树立敬业精神，恪守职业道德，履行医师职责", ["完成科室经济指标", "发表学术论文", "参加学术会议"], "医师法第二十三条。"),
    ("医师实施医疗、预防、保健措施，签署有关医学证明文件，必须", "亲自诊查、调查", ["由护士代为检查", "依据患者自述", "参考其他医院结论即可"], "医师法第二十四条。"),
    ("对急危患者，医师应当", "采取紧急措施进行诊治，不得拒绝急救处置", ["先确认支付能力", "建议转院后再处置", "等家属到场签字后处置"], "医师法第二十七条。"),
    ("医师在执业活动中享有的权利包括", "获取劳动报酬", ["拒绝参加定期考核", "自行决定收费标准", "擅自扩大执业范围"], "医师法第二十二条。"),
    ("医师发生医疗事故或发现传染病疫情时，应当", "按照有关规定及时向所在机构或有关部门报告", ["自行处理不必报告", "只告知患者家属", "等考核时再说明"], "医师法第三十三条。"),
    ("医学心理学认为，患者角色适应不良中，“角色行为缺如”是指", "患者不承认自己有病", ["患者过度依赖医护人员", "患者病愈后仍不愿出院", "患者情绪极度焦虑"], "患者角色理论。"),
    ("与患者建立良好医患关系的基础是", "相互信任", ["医师的权威", "患者的服从", "书面合同"], "医患关系。"),
    ("知情同意的主体原则上是", "具有完全民事行为能力的患者本人", ["患者单位领导", "主管医师", "医院医务科"], "民法典第一千二百一十九条。"),
    ("医师泄露患者隐私造成严重后果的，可能承担的责任不包括", "获得执业奖励", ["行政处罚", "民事赔偿", "吊销执业证书"], "医师法第五十六条。"),
    ("医师定期考核的考核周期为", "三年", ["一年", "两年", "五年"], "医师法第四十二条：考核周期为三年。"),
    ("执行简易程序的医师，须由所在医疗机构对其进行", "工作成绩、职业道德评定", ["业务水平测评", "技能操作考试", "论文答辩"], "定期考核管理办法第十六条。"),
]
HUMANITIES_X = [
    ("医学伦理学的基本原则包括", ["尊重原则", "不伤害原则", "有利原则", "公正原则"], ["经济效益原则"], "四项基本原则。"),
    ("医师定期考核的内容包括", ["业务水平", "工作成绩", "职业道德"], ["科研经费", "论文数量"], "医师法第四十二条。"),
    ("下列属于医师执业权利的有", ["参加专业培训，接受继续医学教育", "获取劳动报酬", "从事医学教育、研究、学术交流"], ["拒绝履行法定义务", "自行确定收费标准"], "医师法第二十二条。"),
    ("患者的权利包括", ["知情同意权", "隐私权", "查阅复制病历资料的权利"], ["要求医师违规开具证明", "拒付一切医疗费用"], "医疗纠纷预防和处理条例。"),
    ("良好的医患沟通应当做到", ["耐心倾听", "语言通俗", "尊重患者"], ["打断患者陈述", "回避患者提问"], "医患沟通。"),
    ("可以执行简易程序的情形有", ["本周期内晋升上一级专业技术职务", "本周期内通过住院医师规范化培训"], ["本周期内发生医疗事故", "被投诉三次以上", "未完成工作量"], "湖南省简易程序条件。"),
]
HUMANITIES_A3 = [
    ("患者，男，68岁，诊断为晚期肺癌。家属要求医师对患者隐瞒病情，患者本人多次询问病情。", [
        ("医师首先应当", "评估患者的心理承受能力，选择适当方式告知", ["完全按家属要求隐瞒", "立即把全部信息直接告诉患者", "让护士代为告知"]),
        ("此情形主要涉及的伦理原则是", "尊重原则", ["公正原则", "互助原则", "效益原则"]),
        ("告知病情时最恰当的做法是", "循序渐进，兼顾真实与希望", ["一次性告知最坏结局", "只讲好的方面", "拒绝讨论预后"]),
    ]),
    ("某医院医师在门诊接诊一名未成年患者，患者要求医师不要把病情告诉父母。", [
        ("未成年患者的知情同意通常应由", "其监护人参与", ["患者本人单独决定", "医师单独决定", "学校老师决定"]),
        ("医师对患者隐私应当", "在法律允许的范围内予以保护", ["全部告知他人", "公开讨论以警示他人", "不予理会"]),
        ("若病情危及患者生命安全，医师应当", "及时告知监护人并采取措施", ["继续为患者保密", "拒绝诊治", "建议患者自行处理"]),
    ]),
]
# A4: one case that unfolds question by question (病历串型).
HUMANITIES_A4 = [
    ("患者，女，45岁，拟行择期手术。术前谈话时患者对手术风险表示担忧。", [
        ("术前谈话的首要目的是", "使患者在充分知情的基础上作出决定", ["让患者签字以免除医院责任", "说服患者必须手术", "告知手术费用"]),
        ("谈话中患者提出希望了解替代方案，医师应当", "说明可选择的其他治疗方案及其利弊", ["告知没有其他方案", "建议患者自行上网查询", "回避该问题"]),
        ("手术中发现需要扩大手术范围且患者处于麻醉状态，医师应当", "向患者近亲属说明情况并取得同意", ["直接扩大手术范围无需告知", "停止手术等待患者苏醒", "由手术护士决定"]),
    ]),
]
HUMANITIES_B1 = [
    (["尊重原则", "不伤害原则", "有利原则", "公正原则", "互助原则"], [
        ("要求医师把患者利益放在首位的是", "C"), ("要求尊重患者自主权的是", "A"),
        ("要求避免不应有伤害的是", "B"), ("要求公平分配医疗资源的是", "D"),
    ]),
    (["6小时", "12小时", "24小时", "48小时", "72小时"], [
        ("抢救结束后补记病历的时限为", "A"), ("疑似输液引起不良后果时，现场实物封存应当在多长时间内由双方共同封存", "A"),
        ("患者死亡，双方当事人不能确定死因的，尸检应当在死亡后多长时间内进行", "D"), ("具备尸体冻存条件的，尸检可以延长至死亡后多少天", "E"),
    ]),
]


def question(province_id: int, kind: str, stem: str, right: list[str], wrong: list[str], topic: str,
             rng: random.Random, **fields) -> Question:
    texts = right + wrong
    rng.shuffle(texts)
    options = [{"key": KEYS[i], "text": text} for i, text in enumerate(texts[:5])]
    answer = "".join(o["key"] for o in options if o["text"] in right)
    return Question(province_id=province_id, kind=kind, stem=stem, options=options, answer=answer, topic=topic,
                    **fields)


def humanities(province_id: int, rng: random.Random) -> list[Question]:
    rows = [question(province_id, "A1", stem, [right], wrong, HUMANITIES, rng, explanation=why)
            for stem, right, wrong, why in HUMANITIES_A1]
    rows += [question(province_id, "X", stem, right, wrong, HUMANITIES, rng, explanation=why)
             for stem, right, wrong, why in HUMANITIES_X]
    for kind, cases in (("A3", HUMANITIES_A3), ("A4", HUMANITIES_A4)):
        for number, (case, case_questions) in enumerate(cases, start=1):
            rows += [question(province_id, kind, stem, [right], wrong, HUMANITIES, rng, shared=case,
                              group_key=f"humanities-{kind.lower()}-{number}") for stem, right, wrong in case_questions]
    for number, (choices, pairs) in enumerate(HUMANITIES_B1, start=1):
        options = [{"key": KEYS[i], "text": text} for i, text in enumerate(choices)]
        shared = "  ".join(f"{o['key']}. {o['text']}" for o in options)
        rows += [Question(province_id=province_id, kind="B1", stem=stem, options=options, answer=answer,
                          topic=HUMANITIES, group_key=f"humanities-b1-{number}", shared=shared)
                 for stem, answer in pairs]
    return rows


def professional(province_id: int, rng: random.Random) -> list[Question]:
    """Questions whose answers are the national catalogues themselves."""
    catalogue = [s for s in enumerations.raw()["clinical_subjects_catalogue"] if s.get("code")]
    names = [s["name"] for s in catalogue]
    rows = []
    for subject in catalogue:
        wrong = rng.sample([n for n in names if n != subject["name"]], 4)
        rows.append(question(province_id, "A1", f"《医疗机构诊疗科目名录》中，代码“{subject['code']}”对应的诊疗科目是",
                             [subject["name"]], wrong, PROFESSIONAL, rng, explanation="医疗机构诊疗科目名录。"))
        for child in subject.get("children") or []:
            rows.append(question(province_id, "A2", f"某医院拟开设“{child['name']}”，它在诊疗科目名录中属于哪个一级科目",
                                 [subject["name"]], wrong, PROFESSIONAL, rng, explanation=f"代码{child['code']}。"))
        children = [c["name"] for c in subject.get("children") or []]
        if len(children) >= 3:
            others = [c["name"] for s in catalogue if s is not subject for c in s.get("children") or []]
            rows.append(question(province_id, "X", f"下列属于“{subject['name']}”二级科目的有", rng.sample(children, 3),
                                 rng.sample(others, 2), PROFESSIONAL, rng, explanation="医疗机构诊疗科目名录。"))
    scopes = enumerations.raw()["practice_scopes"]
    for scope in scopes:
        # A scope of another category may bear the same name (全科医学专业): never offer it as a wrong one.
        wrong = rng.sample(sorted({s["name"] for s in scopes if s["category"] != scope["category"]} - {scope["name"]}), 3)
        rows.append(question(province_id, "A1", f"下列属于{scope['category']}类别医师执业范围的是", [scope["name"]], wrong,
                             PROFESSIONAL, rng, category=scope["category"], explanation="医师执业注册管理办法。"))
    return rows


def split_pools(rows: list[Question]) -> None:
    """Both pools in the demo bank, never the same question in both: of each 知识点 × 题型, every third
    single question and every second group (drawn whole) is 练习, the rest 考试 — enough of each for
    the papers below and the mock papers of demo_training."""
    seen: dict[tuple, list[str]] = {}
    for row in rows:
        units = seen.setdefault((row.topic, row.kind), [])
        unit = row.group_key or f"q{len(units)}"
        if unit not in units:
            units.append(unit)
        index, every = units.index(unit), 2 if row.group_key else 3
        row.pool = (QuestionPool.PRACTICE if index % every == every - 1 else QuestionPool.EXAM).value


def seed_bank(province_id: int) -> int:
    """The demo bank, once per province; returns how many questions it holds."""
    have = db.session.scalar(select(func.count(Question.id)).where(Question.province_id == province_id)) or 0
    if have:
        return have
    rng = random.Random(province_id)
    rows = humanities(province_id, rng) + professional(province_id, rng)
    split_pools(rows)
    db.session.add_all(rows)
    db.session.flush()
    return len(rows)


# 100 points each, 60 to pass, like the sample papers (reference/domain.md §3.4).
HUMANITIES_RULES = [{"kind": "A1", "count": 16, "points": 4, "topic": HUMANITIES},
                    {"kind": "X", "count": 4, "points": 4, "topic": HUMANITIES},
                    {"kind": "A3", "count": 3, "points": 4, "topic": HUMANITIES},
                    {"kind": "B1", "count": 4, "points": 2, "topic": HUMANITIES}]
COMBINED_RULES = [{"kind": "A1", "count": 10, "points": 2, "topic": HUMANITIES},
                  {"kind": "A1", "count": 20, "points": 2, "topic": PROFESSIONAL},
                  {"kind": "A2", "count": 10, "points": 2, "topic": PROFESSIONAL},
                  {"kind": "X", "count": 4, "points": 5, "topic": PROFESSIONAL}]


def get_paper(province_id: int, title: str, rules: list[dict], duration: int) -> Paper:
    paper = db.session.scalar(select(Paper).where(Paper.province_id == province_id, Paper.title == title))
    if paper is None:
        paper = Paper(province_id=province_id, title=title, rules=rules, pass_mark=60, duration_minutes=duration)
        db.session.add(paper)
        db.session.flush()
    return paper


def seed_arrangements(cycle: Cycle, assessment_body_id: int | None, now: datetime | None = None) -> list[Arrangement]:
    """Hunan's papers as the seed shows them (简易程序: 20 attempts; 一般程序: 1), open now."""
    now = now or clock.now()
    simple = get_paper(cycle.province_id, "公共知识医学人文测评卷", HUMANITIES_RULES, 60)
    found = []
    for name, paper, procedure, category, attempts in (
            ("医学人文测评卷", simple, "简易程序", None, 20),
            ("医学人文与业务水平综合试卷", get_paper(cycle.province_id, "专业知识业务水平临床测评试卷", COMBINED_RULES, 90),
             "一般程序", "临床", 1),
            ("医学人文与业务水平综合试卷", get_paper(cycle.province_id, "专业知识业务水平口腔测评试卷", COMBINED_RULES, 90),
             "一般程序", "口腔", 1)):
        arrangement = db.session.scalar(select(Arrangement).where(
            Arrangement.cycle_id == cycle.id, Arrangement.paper_id == paper.id, Arrangement.round == ExamRound.REGULAR))
        if arrangement is None:
            arrangement = Arrangement(cycle_id=cycle.id, paper_id=paper.id, assessment_body_id=assessment_body_id,
                                      name=name, procedure=procedure, category=category, attempts_allowed=attempts,
                                      starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=9),
                                      published_at=now - timedelta(days=2))
            db.session.add(arrangement)
        found.append(arrangement)
    db.session.flush()
    return found


DEMO_RESULTS = (  # (status, 业务水平, score, overall, rule) — one physician in each result stage
    (Status.PASSED, "合格", 86, Rating.PASS, "工作成绩、职业道德合格，业务水平合格，考核合格。"),
    (Status.FAILED, "不合格", 48, Rating.FAIL, "业务水平测评成绩未达到合格分数线，考核不合格。"),
    (Status.MAKEUP, "缺考", None, Rating.FAIL, "未参加业务水平测评，缺考视为不合格。"),
)


def seed_results(cycle: Cycle, hospital_id: int) -> None:
    """Three demo physicians outside the hospital shown after results (考核合格, 考核不合格, 待补考), so
    that 考核结果, the notice and /verify can be seen in `make run`. Demo rows only: real results
    come from domain/results.publish."""
    if db.session.scalar(select(Result.id).limit(1)) is not None:
        return
    waiting = db.session.scalars(select(Registration).join(Physician, Registration.physician_id == Physician.id).where(
        Registration.cycle_id == cycle.id, Registration.status == Status.AWAITING_TEST,
        Physician.institution_id != hospital_id).order_by(Registration.id).limit(len(DEMO_RESULTS))).all()
    seed_sitting(cycle, hospital_id)
    for registration, (status, skill, score, overall, rule) in zip(waiting, DEMO_RESULTS, strict=False):
        registration.status = status.value
        db.session.add(Result(registration_id=registration.id, round=ExamRound.REGULAR.value, work="合格", ethics="合格",
                              skill=skill, score=score, overall=overall.value, rule=rule,
                              token=secrets.token_urlsafe(24), published_at=clock.now() - timedelta(days=1)))


def seed_sitting(cycle: Cycle, hospital_id: int) -> None:
    """One hospital physician in the middle of the 医学人文测评卷 (face verified, five questions
    answered, an hour left), so that the console's progress and 继续答题 show in `make run`."""
    registration = db.session.scalar(select(Registration).join(Physician, Registration.physician_id == Physician.id).where(
        Registration.cycle_id == cycle.id, Registration.status == Status.AWAITING_TEST,
        Registration.procedure == "简易程序", Physician.institution_id == hospital_id)
        .order_by(Registration.id.desc()).limit(1))
    arrangement = db.session.scalar(select(Arrangement).where(Arrangement.cycle_id == cycle.id,
                                                              Arrangement.procedure == "简易程序"))
    if registration is None or arrangement is None:
        return
    drawn = exams.assemble(arrangement.paper, cycle.province_id, None, registration.id, QuestionPool.EXAM)
    now = clock.now()
    attempt = Attempt(arrangement_id=arrangement.id, paper_id=arrangement.paper_id, physician_id=registration.physician_id,
                      registration_id=registration.id, number=1, seed=registration.id, question_ids=drawn.question_ids,
                      option_orders=drawn.option_orders, points=drawn.points, started_at=now,
                      deadline=min(now + timedelta(minutes=arrangement.paper.duration_minutes), arrangement.ends_at))
    db.session.add_all([FaceCheck(arrangement_id=arrangement.id, physician_id=registration.physician_id,
                                  verdict="matched"), attempt])
    db.session.flush()
    db.session.add_all(AttemptAnswer(attempt_id=attempt.id, question_id=question_id,
                                     given=drawn.option_orders[str(question_id)][0])
                       for question_id in drawn.question_ids[:5])
