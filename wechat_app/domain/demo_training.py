"""Demo 定考培训: the seed's courses for Hunan and 广西 (人文医学 for everyone, 业务水平 per 级别 for 临床),
each lesson a 2½-minute video of its outline with Chinese captions (domain/data/lessons/, made by
tools/demo_lessons.py from LESSONS below), a PDF e-textbook set for reading on a phone, mock papers
from the demo bank, and two demo physicians with progress and a non-empty 错题本."""
from __future__ import annotations

import re
from pathlib import Path

from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from sqlalchemy import select

from wechat_app.documents import FONT, a4
from wechat_app.domain import demo_exams
from wechat_app.domain.course_admin import store
from wechat_app.extensions import db
from wechat_app.models import (
    Course,
    CourseMedia,
    Enrolment,
    LessonProgress,
    MockPaper,
    Paper,
    Physician,
    Province,
    Question,
    WrongAnswer,
)
from wechat_app.models.enums import MediaKind

VIDEO = Path(__file__).parent / "data" / "demo_lesson.mp4"  # 8 s of ffmpeg's test pattern, for tests of uploads
LESSON_DIR = Path(__file__).parent / "data" / "lessons"
SECONDS_PER_CAPTION = 10
# Each lesson: three slides of five captions (the 医师法 as amended in 2021, in force 2022-03-01; the
# 医疗纠纷预防和处理条例 2018; the 病历书写基本规范 2010).
LESSONS: dict[str, list[tuple[str, list[str]]]] = {
    "医师法解读": [
        ("一、立法目的与适用范围", ["《中华人民共和国医师法》自2022年3月1日起施行", "立法目的：保障医师合法权益，规范医师执业行为",
                           "加强医师队伍建设，保护人民健康，推进健康中国建设", "本法所称医师，包括执业医师和执业助理医师",
                           "医师应当坚持人民至上、生命至上，发扬人道主义精神"]),
        ("二、执业规则", ["医师在注册的执业地点、执业类别、执业范围内执业", "实施医疗、预防、保健措施，应当亲自诊查、调查",
                    "签署医学证明文件，不得出具虚假医学证明文件", "实施手术、特殊检查、特殊治疗，应取得患者明确同意",
                    "对需要紧急救治的患者，医师应当采取紧急措施进行诊治"]),
        ("三、定期考核", ["国家实行医师定期考核制度，考核周期为三年", "考核内容：业务水平、工作业绩和职业道德状况",
                    "执业年限较长、无不良行为记录的医师可简化考核程序", "考核不合格的，暂停执业活动三个月至六个月并接受培训",
                    "暂停期满再次考核仍不合格的，注销注册"]),
    ],
    "医学伦理学基本原则": [
        ("一、尊重原则", ["尊重患者的人格尊严与隐私", "尊重患者的自主选择，保障知情同意",
                    "对缺乏自主能力的患者，由其监护人代为决定", "不得因民族、性别、职业、经济状况歧视患者",
                    "尊重不是放任：医师仍有说明与劝导的责任"]),
        ("二、不伤害原则与有利原则", ["不伤害：避免对患者造成不应有的身心伤害", "选择风险最小、效果最好的诊疗方案",
                              "有利：以患者的健康利益为首要考虑", "权衡利弊，使患者获得最大的健康收益",
                              "对可能的伤害须事先告知并尽力防范"]),
        ("三、公正原则", ["医疗资源分配应当公平合理", "同样的医疗需要应当得到同样的对待",
                    "急危重症患者优先救治", "不因个人好恶或利益影响诊疗决策",
                    "拒绝收受患者及其家属的财物"]),
    ],
    "医患沟通技巧": [
        ("一、沟通的基础", ["良好的沟通是诊疗的一部分", "耐心倾听，不随意打断患者的叙述", "使用患者听得懂的语言，少用专业术语",
                     "关注患者的情绪，表达理解与共情", "核实患者是否理解了医嘱和注意事项"]),
        ("二、告知与解释", ["如实告知病情、诊疗方案、风险和替代方案", "不宜向患者说明的，应向其近亲属说明",
                     "重要告知应有书面记录并由患者签字", "解释费用构成，避免因费用产生误解",
                     "对预后不确定的情况，应客观说明，不作承诺"]),
        ("三、困难情境", ["面对愤怒的患者，先处理情绪，再处理问题", "告知坏消息：选择合适场所，循序渐进",
                     "不在患者面前评论其他医师的诊疗", "遇到纠纷苗头，及时向科室和医务部门报告",
                     "沟通后及时记录要点，留存备查"]),
    ],
    "医疗纠纷预防与处理": [
        ("一、预防", ["《医疗纠纷预防和处理条例》自2018年10月1日起施行", "严格遵守法律法规和诊疗规范、常规",
                  "加强医疗质量安全管理，落实核心制度", "按规定书写和妥善保管病历资料", "建立畅通的投诉接待渠道"]),
        ("二、处理途径", ["双方自愿协商", "申请人民调解", "申请行政调解", "向人民法院提起诉讼", "法律、法规规定的其他途径"]),
        ("三、证据与记录", ["发生纠纷时，病历资料应当在双方在场时封存", "疑似输液、输血、注射、用药引起不良后果的，现场实物应封存",
                     "患者死亡，双方对死因有异议的，应在48小时内进行尸检", "抢救结束后6小时内据实补记抢救记录",
                     "任何人不得篡改、伪造、隐匿、毁灭病历资料"]),
    ],
    "病历书写与知情同意": [
        ("一、病历书写的基本要求", ["病历书写应当客观、真实、准确、及时、完整、规范", "使用中文，通用的外文缩写可以使用",
                           "书写过程中出现错字，用双线划在错字上，保留原记录清楚可辨", "上级医务人员有审查修改下级书写病历的责任",
                           "电子病历与纸质病历具有同等效力"]),
        ("二、时限", ["入院记录应当于患者入院后24小时内完成", "首次病程记录应当在患者入院8小时内完成",
                    "危重患者病程记录根据病情变化随时书写", "手术记录应当在术后24小时内完成",
                    "抢救记录应当在抢救结束后6小时内据实补记"]),
        ("三、知情同意", ["手术、麻醉、输血、特殊检查、特殊治疗须签署知情同意书", "同意书载明项目、目的、风险及替代方案",
                     "患者不具备完全民事行为能力时，由其法定代理人签字", "紧急抢救无法取得意见时，经医疗机构负责人批准可立即实施",
                     "知情同意书归入病历保存"]),
    ],
    "临床业务水平要点": [
        ("一、问诊与体格检查", ["问诊：主诉、现病史、既往史、个人史、家族史", "主诉应简明，包括主要症状及持续时间",
                         "体格检查按视、触、叩、听的顺序进行", "重点检查与主诉相关的系统", "检查结果及时、准确记录"]),
        ("二、急危重症的识别", ["胸痛：警惕急性冠脉综合征、主动脉夹层、肺栓塞", "心电图应在首次医疗接触后10分钟内完成",
                         "突发偏瘫、言语不清：警惕急性脑卒中", "发热伴意识改变、低血压：警惕脓毒症",
                         "识别危重症后，立即启动抢救并请上级医师"]),
        ("三、合理用药", ["抗菌药物按非限制、限制、特殊使用分级管理", "根据感染部位和可能的病原菌选择抗菌药物",
                     "注意药物相互作用和肝肾功能对剂量的影响", "询问过敏史，青霉素类使用前按规定皮试",
                     "发现药品不良反应，按规定及时报告"]),
    ],
}
LESSON_SECONDS = {title: sum(len(captions) for _, captions in sections) * SECONDS_PER_CAPTION
                  for title, sections in LESSONS.items()}
TEXTBOOK_CHAPTERS = ("第一章 医师定期考核的法律依据", "第二章 医学伦理学的基本原则", "第三章 医患沟通",
                     "第四章 医疗纠纷的预防和处理", "第五章 病历书写规范")
HUMANITIES_LESSONS = ("医师法解读", "医学伦理学基本原则", "医患沟通技巧", "医疗纠纷预防与处理", "病历书写与知情同意")
MOCK_RULES = [{"kind": "A1", "count": 8, "points": 5, "topic": demo_exams.HUMANITIES},
              {"kind": "X", "count": 2, "points": 10, "topic": demo_exams.HUMANITIES},
              {"kind": "B1", "count": 4, "points": 10, "topic": demo_exams.HUMANITIES}]
PROFESSIONAL_MOCK_RULES = [{"kind": "A1", "count": 10, "points": 6, "topic": demo_exams.PROFESSIONAL, "category": "临床"},
                           {"kind": "A2", "count": 4, "points": 10, "topic": demo_exams.PROFESSIONAL, "category": "临床"}]


# The e-textbook is read on a phone, each page drawn at the screen's width (static/js/textbook.mjs):
# a page 90 mm wide shows at 360 px 1.41× its size, so 11 pt body text is 15.5 px (≥ 14 px).
TEXTBOOK_PAGE = (90 * mm, 160 * mm)
TEXTBOOK_BODY_PT, TEXTBOOK_HEADING_PT = 11, 14
TEXTBOOK_MARGIN = 8 * mm


def wrapped(text: str, width: float) -> list[str]:
    """`text` in lines no wider than `width` at the body size, breaking between characters (Chinese
    needs no spaces) but never inside a run of digits or Latin letters."""
    lines, line = [], ""
    for token in re.findall(r"[0-9A-Za-z.～%]+|.", text):
        if line and stringWidth(line + token, FONT, TEXTBOOK_BODY_PT) > width:
            lines.append(line)
            line = ""
        line += token
    return lines + [line] if line else lines


def textbook_pdf(title: str, chapters: list[str]) -> bytes:
    """The lessons' outlines as chapters: a title page, then each chapter's sections and points."""
    page, buffer = a4(title, TEXTBOOK_PAGE)
    width, height = TEXTBOOK_PAGE
    per_line = int((width - 2 * TEXTBOOK_MARGIN) // TEXTBOOK_BODY_PT)  # Chinese characters are square
    number = 0

    def new_page() -> float:
        nonlocal number
        if number:
            page.setFont(FONT, 10)
            page.drawCentredString(width / 2, 5 * mm, f"第{number}页")
            page.showPage()
        number += 1
        return height - 14 * mm

    y = new_page()
    page.setFont(FONT, TEXTBOOK_HEADING_PT)
    for start in range(0, len(title), per_line * TEXTBOOK_BODY_PT // TEXTBOOK_HEADING_PT):
        page.drawCentredString(width / 2, y - 30 * mm, title[start:start + per_line * TEXTBOOK_BODY_PT // TEXTBOOK_HEADING_PT])
        y -= 8 * mm
    page.setFont(FONT, TEXTBOOK_BODY_PT)
    page.drawCentredString(width / 2, y - 40 * mm, "（示例教材：正式教材由课程管理员上传）")
    for chapter_number, chapter in enumerate(chapters, start=1):
        y = new_page()
        page.setFont(FONT, TEXTBOOK_HEADING_PT)
        page.drawString(TEXTBOOK_MARGIN, y, f"第{chapter_number}章 {chapter}"[:per_line * TEXTBOOK_BODY_PT // TEXTBOOK_HEADING_PT])
        y -= 10 * mm
        for heading, points in LESSONS[chapter]:
            if y < 40 * mm:
                y = new_page()
            page.setFont(FONT, TEXTBOOK_BODY_PT + 1)
            page.drawString(TEXTBOOK_MARGIN, y, heading)
            y -= 7 * mm
            page.setFont(FONT, TEXTBOOK_BODY_PT)
            for index, point in enumerate(points, start=1):
                for line_number, line in enumerate(wrapped(f"{index}. {point}。", width - 2 * TEXTBOOK_MARGIN - TEXTBOOK_BODY_PT)):
                    if y < 14 * mm:
                        y = new_page()
                        page.setFont(FONT, TEXTBOOK_BODY_PT)
                    page.drawString(TEXTBOOK_MARGIN + (TEXTBOOK_BODY_PT if line_number else 0), y, line)
                    y -= 5.5 * mm
            y -= 3 * mm
    new_page()  # numbers the last page
    page.save()
    return buffer.getvalue()


def mock_papers(course: Course, count: int, rules: list[dict]) -> None:
    for number in range(1, count + 1):
        title = f"{course.subject}模拟试卷{number}"
        paper = Paper(province_id=course.province_id, title=title, rules=rules, pass_mark=60, duration_minutes=30)
        db.session.add(paper)
        db.session.flush()
        db.session.add(MockPaper(course_id=course.id, paper_id=paper.id, title=title, position=number))


def seed_course(province: Province, title: str, subject: str, lessons: tuple[str, ...], mocks: int, **target) -> Course:
    course = Course(province_id=province.id, title=title, subject=subject, published=True,
                    description=f"{title}：视频课程、模拟试卷与电子教材，免费学习。", **target)
    db.session.add(course)
    db.session.flush()
    for lesson in lessons:  # stored as the console stores an upload (in order, removed if the seed fails)
        number = list(LESSONS).index(lesson) + 1
        store(course, MediaKind.LESSON, lesson, (LESSON_DIR / f"{number}.mp4").read_bytes(), ".mp4", "video/mp4",
              LESSON_SECONDS[lesson])
    store(course, MediaKind.TEXTBOOK, f"{title}电子教材", textbook_pdf(title, list(lessons) or ["临床业务水平要点"]), ".pdf",
          "application/pdf", None)
    mock_papers(course, mocks, MOCK_RULES if subject == "人文医学" else PROFESSIONAL_MOCK_RULES)
    return course


def seed_courses() -> None:
    """Once: the seed's course cards for each province that has a bank."""
    if db.session.scalar(select(Course.id).limit(1)) is not None:
        return
    for province in db.session.scalars(select(Province).order_by(Province.id)):
        demo_exams.seed_bank(province.id)
        year_name = f"2026{province.name}医师定期考核"
        seed_course(province, f"{year_name}人文医学测评", "人文医学", HUMANITIES_LESSONS, 10, required=True,
                    topic=demo_exams.HUMANITIES)
        for level, lessons in (("执业医师", ("临床业务水平要点",)), ("执业助理医师", ())):
            seed_course(province, f"{year_name}业务水平测评免费学习【{level}】", "业务水平", lessons, 2,
                        topic=demo_exams.PROFESSIONAL, procedure="一般程序", category="临床", level=level)
    db.session.flush()
    seed_learners()


def seed_learners() -> None:
    """Two demo physicians part-way through the 人文医学 course, with a few questions in the 错题本."""
    course = db.session.scalar(select(Course).where(Course.subject == "人文医学").order_by(Course.id))
    if course is None:
        return
    lessons = list(db.session.scalars(select(CourseMedia).where(CourseMedia.course_id == course.id,
                                                                CourseMedia.kind == MediaKind.LESSON)
                                      .order_by(CourseMedia.position)))
    questions = list(db.session.scalars(select(Question.id).where(Question.province_id == course.province_id,
                                                                  Question.topic == course.topic)
                                        .order_by(Question.id).limit(3)))
    for physician in db.session.scalars(select(Physician).order_by(Physician.id.desc()).limit(2)):
        db.session.add(Enrolment(physician_id=physician.id, course_id=course.id))
        watched = lessons[0].duration_seconds
        db.session.add(LessonProgress(physician_id=physician.id, media_id=lessons[0].id, position_seconds=watched,
                                      furthest_seconds=watched, credited_seconds=watched, done=True))
        db.session.add(LessonProgress(physician_id=physician.id, media_id=lessons[1].id, position_seconds=3,
                                      furthest_seconds=3, credited_seconds=3, done=False))
        db.session.add_all(WrongAnswer(physician_id=physician.id, course_id=course.id, question_id=question_id)
                           for question_id in questions)
