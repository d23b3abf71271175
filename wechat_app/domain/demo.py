"""Demo data for development and the simulator (`flask seed-demo`). Idempotent: running it again
changes nothing that exists; everything is keyed by a natural name or number.

Windows of the current cycle are placed around today so the demo is live (registration and
reviews open, exam window ahead); the seed's 2026 Hunan schedule is kept as a second cycle, and
`schedule="seed2026"` makes that one current instead.
"""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from wechat_app import clock
from wechat_app.domain import seals
from wechat_app.domain.accounts import with_id_number
from wechat_app.domain.demo_exams import seed_arrangements, seed_bank, seed_results
from wechat_app.domain.demo_registrations import registered
from wechat_app.domain.demo_training import seed_courses
from wechat_app.domain.idnumbers import check_character, stated_in, to_15
from wechat_app.domain.registration import Status
from wechat_app.domain.transaction import use_case
from wechat_app.extensions import db
from wechat_app.models import (
    Article,
    AssessmentBody,
    Cycle,
    Department,
    Faq,
    HealthAuthority,
    Institution,
    Physician,
    Province,
    Registration,
    Staff,
)

INITIAL_PASSWORD = "666666"

FAQS = [
    ("证件号码和初始密码提示错误，无法登录怎么办？",
     "请先确认输入的证件号码与执业注册系统一致。本系统会自动识别15位和18位身份证号，尾号X大小写均可。"
     "初始密码为666666，改过密码请用新密码。仍提示账号不存在，说明您的信息尚未进入定考系统，"
     "请联系主要执业机构的定考负责人为您【新增医师】或【调入医师】。",
     "登录 登不上 账号不存在 身份证 15位 18位 初始密码 666666 密码错误", 1),
    ("忘记密码怎么办？",
     "已绑定手机的，在登录页点击“忘记密码?”，用短信验证码设置新密码。未绑定手机或手机号已停用的，"
     "请联系主要执业机构的定考负责人【重置密码】，密码将恢复为666666，登录后需立即修改。",
     "忘记密码 找回密码 重置密码 密码忘了", 2),
    ("点击【我要报名】提示报名关闭或“未开通报名”怎么办？",
     "需要主要执业机构先将您纳入本考核周期（开通报名），您才能提交报名信息。请联系本单位定考负责人开通。"
     "开通后首页“当前任务”会显示“已开通报名”。另请留意报名时间，报名窗口结束后无法提交。",
     "报名关闭 未开通 开通报名 我要报名 不能报名 无法报名", 3),
    ("填报时无法选择科室怎么办？",
     "情形1：主要执业机构尚未维护科室信息，请联系本单位定考负责人添加科室并关联诊疗科目。"
     "情形2：科室刚添加，请退出后重新进入报名页面。",
     "科室 选不了 无法选择科室 没有科室 诊疗科目", 4),
    ("调动了工作单位，如何转到新单位？",
     "先由原单位定考负责人在系统中【调离】，再由新单位在【调入医师】中按15位或18位身份证号查询并调入。"
     "原单位未调离时新单位看不到【调入】按钮，请先联系原单位。",
     "调入 调离 调动 换单位 新单位 原单位", 5),
    ("如何修改绑定的手机号？",
     "登录后进入【账户设置】，用新手机号接收验证码即可更换。原手机号无法接收验证码的，"
     "可请主要执业机构【重置密码】并解绑原手机号。",
     "手机号 换手机 绑定手机 验证码 收不到", 6),
    ("如何修改登录密码？",
     "登录后进入【账户设置】修改密码：先输入当前密码，再输入两次新密码。新密码不少于8位，"
     "且至少包含大写字母、小写字母、数字、特殊符号中的三种。",
     "修改密码 改密码 密码规则 新密码", 7),
    ("医疗卫生机构无法审核医师报名信息怎么办？",
     "提示“当前机构暂未指定考核机构”时，请联系主管卫生行政部门为本机构分配考核机构，分配后即可审核。",
     "无法审核 考核机构 未指定 分配考核机构 审核不了", 8),
    ("报名提交后多久审核？审核到哪一步了？",
     "提交后先由医疗卫生机构审核，再由考核机构复核。首页“当前任务”显示当前进度；被驳回时会收到微信通知，"
     "请在规定时间内修改后重新提交。也可点击菜单【医师定考】›【我的状态】查看。",
     "审核 进度 驳回 状态 多久 复核", 9),
    ("简易程序和一般程序有什么区别？",
     "符合条件的医师可执行简易程序（如执业满5年且有良好记录无不良记录、执业满12年无不良记录、"
     "本周期内晋升职称或通过住院医师规范化培训），只需参加人文医学测评；其他医师执行一般程序，"
     "需参加人文医学和业务水平测评。系统会根据您的填报信息自动判断。",
     "简易程序 一般程序 考核程序 区别", 10),
    ("什么时候考试？如何参加考试和查看结果？",
     "测评时间以首页“考核安排”为准，考前会收到微信通知。考试时点击【参加考试】，完成设备检测和人脸验证后开始；"
     "结果在【考核结果】中查看，不合格的医师等待补考安排。考前可在【我要学习】中模拟自测。",
     "考试 测评 什么时候考 成绩 结果 补考 学习", 11),
]

ARTICLES = [
    ("政策", "中华人民共和国医师法", date(2024, 8, 15)),
    ("政策", "卫生部办公厅关于进一步做好医师定期考核管理工作的通知", date(2024, 8, 15)),
    ("政策", "医师定期考核管理办法", date(2024, 8, 15)),
    ("通知", "湖南省卫生健康委关于做好2023-2025年医师定期考核工作的通知", date(2025, 3, 1)),
    ("手册", "卫生行政操作手册", date(2024, 8, 15)),
    ("手册", "医疗卫生机构操作手册", date(2024, 8, 15)),
    ("手册", "考核机构操作手册", date(2024, 8, 15)),
    ("手册", "医师个人操作手册", date(2024, 8, 15)),
]

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英", "华", "平"]


def get_or_create(model, lookup: dict, **values):
    row = db.session.scalar(select(model).filter_by(**lookup))
    if row is None:
        row = model(**lookup, **values)
        db.session.add(row)
        db.session.flush()
    return row


def gender_of(id18: str) -> str:
    stated = stated_in(id18)
    if stated is None:
        raise AssertionError("demo ID numbers are valid")
    return stated[0]


def demo_id_number(serial: int, want_x: bool) -> str:
    """A valid 18-character number in 长沙市天心区 (430103); with want_x, one whose check is X."""
    birth = date(1960, 1, 1) + timedelta(days=serial * 211)
    for seq in range(serial * 7 % 900 + 10, 1000):
        first17 = f"430103{birth:%Y%m%d}{seq:03d}"
        check = check_character(first17)
        if (check == "X") == want_x:
            return first17 + check
    raise AssertionError("unreachable: every tenth sequence has an X check")


def live_windows(today: date) -> dict:
    return dict(
        assessor_apply_start=today - timedelta(days=30), assessor_apply_end=today - timedelta(days=20),
        registration_start=today - timedelta(days=7), registration_end=today + timedelta(days=21),
        review_start=today - timedelta(days=7), review_end=today + timedelta(days=24),
        exemption_start=today - timedelta(days=7), exemption_end=today + timedelta(days=7),
        exemption_review_start=today, exemption_review_end=today + timedelta(days=14),
        # the demo's papers are open now (demo_exams.seed_arrangements), so its 测评 window is too
        test_start=today - timedelta(days=1), test_end=today + timedelta(days=9),
    )


SEED_2026_WINDOWS = dict(
    assessor_apply_start=date(2026, 3, 30), assessor_apply_end=date(2026, 4, 8),
    registration_start=date(2026, 4, 13), registration_end=date(2026, 5, 6),
    review_start=date(2026, 4, 13), review_end=date(2026, 5, 9),
    exemption_start=date(2026, 4, 13), exemption_end=date(2026, 5, 6),
    exemption_review_start=date(2026, 4, 13), exemption_review_end=date(2026, 5, 9),
    test_start=date(2026, 5, 11), test_end=date(2026, 5, 20),
)


def has_data() -> bool:
    return db.session.scalar(select(Province.id).limit(1)) is not None


@use_case()
def seed_demo(schedule: str = "live") -> dict:
    """Load the demo; returns counts of what exists afterwards. One transaction."""
    hunan, tianxin, hn_commission, body, (hospital, centre, clinic) = seed_organisations()
    departments = [
        get_or_create(Department, {"institution_id": hospital.id, "name": "内科"}, subject_codes=["03", "03.01", "03.02"]),
        get_or_create(Department, {"institution_id": hospital.id, "name": "外科"}, subject_codes=["04", "04.01", "04.02"]),
        get_or_create(Department, {"institution_id": hospital.id, "name": "儿科"}, subject_codes=["07"]),
        get_or_create(Department, {"institution_id": centre.id, "name": "全科医疗科"}, subject_codes=["02"]),
        get_or_create(Department, {"institution_id": centre.id, "name": "预防保健科"}, subject_codes=["01"]),
    ]
    current = seed_cycles(hunan, schedule)
    seed_staff(hospital, centre, clinic, body, tianxin, hn_commission)
    seed_physicians(hospital, centre, clinic, departments, current)
    seed_bank(hunan.id)
    seed_arrangements(current, body.id)
    seed_results(current, hospital.id)
    seed_courses()
    for question, answer, keywords, sort_order in FAQS:
        get_or_create(Faq, {"question": question}, answer=answer, keywords=keywords, sort_order=sort_order)
    for kind, title, published in ARTICLES:
        get_or_create(Article, {"title": title}, kind=kind, province_id=hunan.id, published_on=published,
                      body=f"{title}（示例内容，由管理员在后台维护）。")
    db.session.flush()
    return {model.__tablename__: db.session.query(model).count()
            for model in (Province, Institution, Department, Physician, Cycle, Faq, Article, Registration, Staff)}


def seed_organisations():
    """Hunan's authorities (province › city › district), one assessment body, three institutions;
    Guangxi's authority, to show that provinces do not see each other."""
    hunan = get_or_create(Province, {"code": "43"}, name="湖南")
    guangxi = get_or_create(Province, {"code": "45"}, name="广西")
    hn_commission = get_or_create(HealthAuthority, {"name": "湖南省卫生健康委员会"}, province_id=hunan.id, level="省")
    cs_commission = get_or_create(HealthAuthority, {"name": "长沙市卫生健康委员会"}, province_id=hunan.id, level="市",
                                  parent_id=hn_commission.id)
    tianxin = get_or_create(HealthAuthority, {"name": "长沙市天心区卫生健康局"}, province_id=hunan.id, level="区县",
                            parent_id=cs_commission.id)
    get_or_create(HealthAuthority, {"name": "广西壮族自治区卫生健康委员会"}, province_id=guangxi.id, level="省")
    body = get_or_create(AssessmentBody, {"name": "长沙市医学会医师定期考核办公室"}, province_id=hunan.id)
    if body.seal_png is None:
        body.seal_png = seals.drawn_seal(body.name)
    hospital = get_or_create(Institution, {"name": "长沙市天心区人民医院"}, province_id=hunan.id,
                             health_authority_id=tianxin.id, assessment_body_id=body.id, kind="医院", beds=320)
    centre = get_or_create(Institution, {"name": "天心区坡子街社区卫生服务中心"}, province_id=hunan.id,
                           health_authority_id=tianxin.id, assessment_body_id=body.id, kind="社区卫生服务中心", beds=40)
    clinic = get_or_create(Institution, {"name": "天心区仁和诊所"}, province_id=hunan.id,
                           health_authority_id=tianxin.id, assessment_body_id=None, kind="诊所")
    return hunan, tianxin, hn_commission, body, (hospital, centre, clinic)


def seed_cycles(hunan: Province, schedule: str) -> Cycle:
    """The live cycle (windows around today) and the seed's 2026 schedule; `schedule` picks the current one."""
    today = clock.today()
    current = get_or_create(Cycle, {"province_id": hunan.id, "name": "2023-2025年度医师定期考核"},
                            period_start=date(2023, 1, 1), period_end=date(2025, 12, 31),
                            cutoff_date=date(2025, 12, 31), **live_windows(today))
    seed2026 = get_or_create(Cycle, {"province_id": hunan.id, "name": "湖南2026时间安排（示例）"},
                             period_start=date(2024, 1, 1), period_end=date(2026, 12, 31),
                             cutoff_date=date(2026, 12, 31), **SEED_2026_WINDOWS)
    current.is_current = schedule != "seed2026"
    seed2026.is_current = schedule == "seed2026"
    if current.is_current:
        for key, value in live_windows(today).items():
            setattr(current, key, value)
    return current


def seed_physicians(hospital, centre, clinic, departments, cycle) -> None:
    password_hash = generate_password_hash(INITIAL_PASSWORD)  # one hash: the demo's 50 share a password
    institutions = [hospital] * 30 + [centre] * 14 + [clinic] * 6
    statuses = [None, Status.OPEN, Status.PENDING_INSTITUTION, Status.PENDING_ASSESSOR, Status.AWAITING_TEST]
    for serial in range(1, 51):
        id18 = demo_id_number(serial, want_x=serial % 10 == 3)
        legacy = serial % 10 == 7  # some institutions registered the old 15-digit number
        stored = to_15(id18) if legacy else id18
        if db.session.scalar(with_id_number(id18)) is not None:
            continue
        institution = institutions[serial - 1]
        own_departments = [d for d in departments if d.institution_id == institution.id]
        physician = Physician(
            name=f"{SURNAMES[serial % len(SURNAMES)]}{GIVEN[serial % len(GIVEN)]}（演示医师{serial}号）",
            gender=gender_of(id18), id_number=stored,  # as the ID number states it
            birth_date=date(int(id18[6:10]), int(id18[10:12]), int(id18[12:14])),
            institution_id=institution.id,
            department_id=own_departments[serial % len(own_departments)].id if own_departments else None,
            level="执业医师" if serial % 5 else "执业助理医师", category="临床", practice_scope="内科专业",
            certificate_number=f"1104301{serial:08d}", certificate_date=date(2005 + serial % 15, 7, 1),
            title="主治医师", password_hash=password_hash, must_change_password=True,
            # A phone on record, as the institution would keep it (fictional numbers): the first sign-in
            # with 666666 asks for the code sent there, which the simulator shows (短信).
            phone=f"199000{serial:05d}",
        )
        db.session.add(physician)
        db.session.flush()
        status = statuses[serial % len(statuses)]
        if physician.department_id is None and status not in (None, Status.OPEN):
            status = Status.OPEN  # the clinic keeps no departments yet, so step 2 cannot be completed (FAQ 4)
        registered(physician, cycle, status, "简易程序" if serial % 2 else "一般程序", serial)


DEMO_STAFF_PASSWORD = "Dkt@2026demo"  # development demo only; production staff are created by the authority


def seed_staff(hospital, centre, clinic, body, tianxin, province_authority) -> None:
    password_hash = generate_password_hash(DEMO_STAFF_PASSWORD)
    accounts = [
        ("rmyy", "人民医院定考负责人", "institution", {"institution_id": hospital.id}),
        ("pzjzx", "坡子街社区卫生服务中心定考负责人", "institution", {"institution_id": centre.id}),
        ("rhzs", "仁和诊所定考负责人", "institution", {"institution_id": clinic.id}),
        ("kaohe", "考核办公室审核员", "assessor", {"assessment_body_id": body.id}),
        ("txwjj", "天心区卫健局", "authority", {"health_authority_id": tianxin.id}),
        ("hnwjw", "湖南省卫健委", "authority", {"health_authority_id": province_authority.id}),
    ]
    for username, name, role, scope in accounts:
        get_or_create(Staff, {"username": username}, name=name, role=role, password_hash=password_hash, **scope)
