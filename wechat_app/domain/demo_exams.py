"""Demo exam data: a question bank of every type (人文 questions written from the laws the product
follows; 专业 questions of 临床 and 口腔 written from the standard textbooks and guidelines, and the
执业范围 of each category from the national catalogue in enumerations.json), Hunan's papers (the 临床
paper draws 临床 questions, the 口腔 paper 口腔 ones), and arrangements around today so that every exam
screen can be seen.
"""
from __future__ import annotations

import random
import secrets
from collections import Counter
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
    ("医师定期考核的内容包括", "业务水平、工作业绩和职业道德状况", ["学历、职称和工作年限", "科研成果和论文数量", "门诊量和手术量"], "医师法第四十二条。"),
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
    ("医师在执业活动中应当尊重、关心、爱护患者，依法保护患者的", "隐私和个人信息", ["财产和收入", "社会关系", "工作单位"], "医师法第二十三条。"),
    ("执行简易程序的医师，须由所在医疗机构对其进行", "工作成绩、职业道德评定", ["业务水平测评", "技能操作考试", "论文答辩"], "定期考核管理办法第十六条。"),
]
HUMANITIES_X = [
    ("医学伦理学的基本原则包括", ["尊重原则", "不伤害原则", "有利原则", "公正原则"], ["经济效益原则"], "四项基本原则。"),
    ("医师定期考核的内容包括", ["业务水平", "工作业绩", "职业道德状况"], ["科研经费", "论文数量"], "医师法第四十二条。"),
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


# 专业知识 by category: (stem, right answer(s), wrong answers, explanation). 临床 from the internal
# medicine, surgery and emergency textbooks (人民卫生出版社) and the guidelines named; 口腔 likewise.
CLINICAL_A1 = [
    ("急性心肌梗死时最早升高的血清心肌损伤标志物是", "肌红蛋白", ["肌钙蛋白I", "肌酸激酶同工酶CK-MB", "乳酸脱氢酶"], "肌红蛋白起病后2小时内升高，出现最早但特异性较差。"),
    ("诊断糖尿病时，空腹血浆葡萄糖的诊断切点是", "≥7.0 mmol/L", ["≥5.6 mmol/L", "≥6.1 mmol/L", "≥11.1 mmol/L"], "WHO（1999）糖尿病诊断标准。"),
    ("成人高血压的诊断标准（未使用降压药物，非同日3次测量）是", "收缩压≥140 mmHg和（或）舒张压≥90 mmHg", ["收缩压≥130 mmHg和（或）舒张压≥80 mmHg", "收缩压≥160 mmHg和（或）舒张压≥100 mmHg", "收缩压≥120 mmHg和（或）舒张压≥80 mmHg"], "中国高血压防治指南。"),
    ("社区获得性肺炎最常见的病原体是", "肺炎链球菌", ["金黄色葡萄球菌", "铜绿假单胞菌", "肺炎克雷伯菌"], "内科学：社区获得性肺炎。"),
    ("消化性溃疡最主要的病因是", "幽门螺杆菌感染", ["胃酸分泌过少", "高脂饮食", "长期饮用浓茶"], "内科学：消化性溃疡。"),
    ("成人心肺复苏时胸外按压的频率为", "100～120次/分", ["60～80次/分", "80～100次/分", "120～140次/分"], "心肺复苏指南（2020）。"),
    ("成人心肺复苏时胸外按压的深度为", "5～6 cm", ["2～3 cm", "3～4 cm", "7～8 cm"], "心肺复苏指南（2020）。"),
    ("过敏性休克抢救的首选药物是", "肾上腺素", ["地塞米松", "异丙嗪", "多巴胺"], "肾上腺素肌内注射是过敏性休克的一线治疗。"),
    ("急性阑尾炎最典型的症状是", "转移性右下腹痛", ["左下腹痛", "上腹部持续绞痛伴腰背部放射痛", "全腹弥漫性隐痛"], "外科学：急性阑尾炎。"),
    ("缺铁性贫血的典型血象是", "小细胞低色素性贫血", ["大细胞性贫血", "正常细胞正常色素性贫血", "网织红细胞明显增多"], "内科学：缺铁性贫血。"),
    ("确诊肺结核最可靠的依据是", "痰中查到结核分枝杆菌", ["胸部X线片有阴影", "结核菌素试验阳性", "有低热、盗汗症状"], "内科学：肺结核。"),
    ("有机磷农药中毒时，能使被抑制的胆碱酯酶恢复活性的药物是", "碘解磷定", ["阿托品", "纳洛酮", "亚甲蓝"], "胆碱酯酶复能剂。"),
    ("判断成人心搏骤停最迅速可靠的依据是", "意识丧失伴大动脉搏动消失", ["瞳孔散大", "血压测不出", "心音低钝"], "心肺复苏指南。"),
    ("急性肾损伤少尿期最危险的电解质紊乱是", "高钾血症", ["低钠血症", "高钙血症", "低镁血症"], "高钾血症可致心搏骤停。"),
    ("甲状腺功能亢进症最常见的病因是", "Graves病", ["甲状腺自主高功能腺瘤", "亚急性甲状腺炎", "垂体TSH腺瘤"], "内科学：甲状腺功能亢进症。"),
]
CLINICAL_A2 = [
    ("男，58岁。持续胸骨后压榨性疼痛2小时，含服硝酸甘油不缓解。心电图V1～V4导联ST段弓背向上抬高。最可能的诊断是", "急性前壁心肌梗死", ["稳定型心绞痛", "急性心包炎", "急性胃炎"], "V1～V4导联对应前壁。"),
    ("女，25岁。多饮、多尿、消瘦1个月，恶心、呕吐1天，呼吸深快，呼气有烂苹果味。最可能的诊断是", "糖尿病酮症酸中毒", ["高渗高血糖综合征", "急性胃肠炎", "乳酸性酸中毒"], "内科学：糖尿病急性并发症。"),
    ("男，30岁。饱餐后突发上腹部刀割样剧痛2小时，既往有“胃痛”史，腹肌紧张呈板状，肝浊音界消失。首选的检查是", "立位腹部X线平片", ["胃镜检查", "上消化道钡餐造影", "结肠镜检查"], "消化性溃疡急性穿孔：膈下游离气体。"),
    ("女，65岁。突发右侧肢体无力、言语不清1小时。首选的检查是", "头颅CT平扫", ["脑电图", "腰椎穿刺", "颈部血管超声"], "先排除脑出血，评估溶栓适应证。"),
    ("男，22岁。受凉后寒战、高热，咳铁锈色痰，右下肺可闻及支气管呼吸音。最可能的诊断是", "肺炎链球菌肺炎", ["肺结核", "支气管扩张", "肺脓肿"], "内科学：肺炎链球菌肺炎。"),
    ("女，35岁。怕热、多汗、心悸3个月，甲状腺弥漫性肿大，双眼突出。血FT3、FT4升高，TSH降低。最可能的诊断是", "Graves病", ["单纯性甲状腺肿", "桥本甲状腺炎甲减期", "甲状腺癌"], "内科学：Graves病。"),
    ("男，45岁。反复上腹痛3年，多于餐后2～3小时出现，进食后缓解，常有夜间痛。最可能的诊断是", "十二指肠溃疡", ["胃溃疡", "慢性胆囊炎", "慢性胰腺炎"], "十二指肠溃疡：饥饿痛、夜间痛。"),
    ("男，60岁。高血压病史10年，活动中突发剧烈头痛、呕吐，继而意识障碍，查体右侧偏瘫。最可能的诊断是", "脑出血", ["短暂性脑缺血发作", "偏头痛", "低血糖反应"], "神经病学：脑出血。"),
    ("女，28岁。乏力、面色苍白半年，月经量多。血红蛋白80 g/L，MCV 70 fL，血清铁蛋白降低。治疗首选", "口服铁剂并治疗月经过多", ["输注红细胞", "肌内注射维生素B12", "糖皮质激素"], "内科学：缺铁性贫血。"),
    ("男，19岁。转移性右下腹痛12小时，体温38.2℃，麦氏点压痛、反跳痛。最恰当的处理是", "急诊阑尾切除术", ["口服止痛药后回家观察", "灌肠通便", "腹部热敷"], "外科学：急性阑尾炎。"),
    ("女，40岁。误服有机磷农药1小时，瞳孔针尖样，大汗，双肺湿啰音。除清除毒物外，应立即给予", "阿托品和碘解磷定", ["纳洛酮", "亚甲蓝", "氟马西尼"], "急诊医学：急性有机磷农药中毒。"),
    ("男，50岁。被蜜蜂蜇伤后5分钟出现全身皮疹、呼吸困难，血压70/40 mmHg。首选的治疗是", "肾上腺素肌内注射", ["口服氯雷他定", "静脉注射葡萄糖酸钙", "局部冷敷"], "过敏性休克。"),
]
CLINICAL_X = [
    ("急性ST段抬高型心肌梗死的再灌注治疗包括", ["溶栓治疗", "经皮冠状动脉介入治疗", "冠状动脉旁路移植术"], ["单纯吸氧", "口服利尿剂"], "再灌注治疗。"),
    ("糖尿病的慢性并发症包括", ["糖尿病肾病", "糖尿病视网膜病变", "糖尿病周围神经病变"], ["糖尿病酮症酸中毒", "高渗高血糖综合征"], "后两者为急性并发症。"),
    ("高钾血症的紧急处理包括", ["静脉注射葡萄糖酸钙", "葡萄糖加胰岛素静脉滴注", "必要时血液透析"], ["静脉补钾", "口服保钾利尿剂"], "内科学：高钾血症。"),
    ("休克患者应密切监测的指标包括", ["血压", "尿量", "意识状态"], ["身高", "视力"], "外科学：休克的监测。"),
    ("脑卒中的可干预危险因素有", ["高血压", "糖尿病", "吸烟"], ["年龄", "性别"], "年龄和性别不可干预。"),
    ("抗菌药物合理使用的原则包括", ["有明确指征时才使用", "根据病原学和药敏结果选择药物", "按照分级管理规定使用"], ["所有手术常规联合使用", "病毒性感冒常规使用"], "抗菌药物临床应用指导原则。"),
]
DENTAL_A1 = [
    ("龋病的主要致病菌是", "变异链球菌", ["金黄色葡萄球菌", "大肠埃希菌", "白念珠菌"], "牙体牙髓病学：龋病病因。"),
    ("乳牙一般开始萌出于出生后", "6个月左右", ["1个月左右", "12个月左右", "18个月左右"], "儿童口腔医学。"),
    ("“六龄牙”是指", "第一恒磨牙", ["第二乳磨牙", "第一前磨牙", "上颌中切牙"], "第一恒磨牙约6岁萌出。"),
    ("牙周病的始动因子是", "牙菌斑", ["牙石", "食物嵌塞", "咬合创伤"], "牙周病学。"),
    ("急性牙髓炎疼痛的特点是", "自发性阵发性痛，夜间加重，温度刺激加剧", ["持续性钝痛，咬合时减轻", "仅在咀嚼时疼痛", "无自发痛"], "牙体牙髓病学：急性牙髓炎。"),
    ("预防龋病应用最广、效果最确切的方法是", "氟化物的应用", ["常规服用抗生素", "减少饮水", "定期拔除龋齿"], "口腔预防医学。"),
    ("窝沟封闭的最佳时机是", "牙齿完全萌出、尚未发生龋坏时", ["牙齿萌出之前", "出现深龋之后", "发生牙髓炎之后"], "口腔预防医学。"),
    ("拔牙术后应嘱患者", "咬紧止血纱布约30分钟", ["立即用力漱口", "当天反复吸吮伤口", "术后立即进食热食"], "口腔颌面外科学：拔牙术后医嘱。"),
    ("干槽症多见于", "下颌阻生第三磨牙拔除后", ["上颌中切牙拔除后", "乳牙自然脱落后", "上颌前磨牙正畸减数拔除后"], "口腔颌面外科学。"),
    ("口腔颌面部间隙感染最常见的来源是", "牙源性感染", ["血源性感染", "外伤性感染", "医源性感染"], "口腔颌面外科学。"),
    ("口腔局部麻醉最常用的药物之一是", "利多卡因", ["吗啡", "阿托品", "地西泮"], "口腔局部麻醉。"),
    ("根管治疗的三个主要步骤是", "根管预备、根管消毒和根管充填", ["开髓、拔髓和洁治", "洁治、刮治和根面平整", "麻醉、拔牙和缝合"], "牙体牙髓病学。"),
    ("牙体组织中硬度最高的是", "牙釉质", ["牙本质", "牙骨质", "牙髓"], "口腔组织病理学。"),
    ("口腔癌最常见的病理类型是", "鳞状细胞癌", ["腺癌", "基底细胞癌", "恶性黑色素瘤"], "口腔颌面外科学：口腔癌。"),
]
DENTAL_X = [
    ("龋病病因的四联因素包括", ["细菌", "食物", "宿主", "时间"], ["遗传"], "龋病病因学说。"),
    ("牙周炎的主要临床表现包括", ["牙龈炎症", "牙周袋形成", "牙槽骨吸收"], ["牙釉质发育不全", "乳牙滞留"], "牙周病学。"),
    ("需要暂缓拔牙的情形包括", ["急性心肌梗死后近期", "血压高于180/100 mmHg", "未控制的严重出血性疾病"], ["残根", "反复引起冠周炎的阻生牙"], "后两者为拔牙适应证。"),
]


def professional(province_id: int, rng: random.Random) -> list[Question]:
    """专业知识 of 临床 and 口腔 (each question carries its category: a paper of one category draws only
    its own), and the 执业范围 of every category from the national catalogue."""
    rows = []
    for category, singles, cases, multiples in (("临床", CLINICAL_A1, CLINICAL_A2, CLINICAL_X),
                                                ("口腔", DENTAL_A1, [], DENTAL_X)):
        for kind, items in (("A1", singles), ("A2", cases)):
            rows += [question(province_id, kind, stem, [right], wrong, PROFESSIONAL, rng, category=category,
                              explanation=why) for stem, right, wrong, why in items]
        rows += [question(province_id, "X", stem, right, wrong, PROFESSIONAL, rng, category=category, explanation=why)
                 for stem, right, wrong, why in multiples]
    scopes = enumerations.raw()["practice_scopes"]
    names = Counter(scope["name"] for scope in scopes)
    categories = sorted({scope["category"] for scope in scopes})
    for scope in scopes:
        if names[scope["name"]] > 1:  # 全科医学专业 is a scope of 临床 and of 中医: no single answer
            continue
        rows.append(question(province_id, "A1", f"执业范围“{scope['name']}”属于哪一类别医师", [scope["category"]],
                             [c for c in categories if c != scope["category"]], PROFESSIONAL, rng,
                             category=scope["category"], explanation="医师执业注册管理办法：执业类别与执业范围。"))
    return rows


def split_pools(rows: list[Question]) -> None:
    """Both pools in the demo bank, never the same question in both: of each 知识点 × 题型, every third
    single question and every second group (drawn whole) is 练习, the rest 考试 — enough of each for
    the papers below and the mock papers of demo_training (counted per category too: a 临床 paper draws
from the 临床 questions alone)."""
    seen: dict[tuple, list[str]] = {}
    for row in rows:
        units = seen.setdefault((row.topic, row.kind, row.category), [])
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
CLINICAL_RULES = [{"kind": "A1", "count": 10, "points": 2, "topic": HUMANITIES},
                  {"kind": "A1", "count": 12, "points": 3, "topic": PROFESSIONAL, "category": "临床"},
                  {"kind": "A2", "count": 6, "points": 4, "topic": PROFESSIONAL, "category": "临床"},
                  {"kind": "X", "count": 4, "points": 5, "topic": PROFESSIONAL, "category": "临床"}]
DENTAL_RULES = [{"kind": "A1", "count": 10, "points": 2, "topic": HUMANITIES},
                {"kind": "X", "count": 4, "points": 5, "topic": HUMANITIES},
                {"kind": "A1", "count": 10, "points": 4, "topic": PROFESSIONAL, "category": "口腔"},
                {"kind": "X", "count": 2, "points": 10, "topic": PROFESSIONAL, "category": "口腔"}]


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
            ("医学人文与业务水平综合试卷", get_paper(cycle.province_id, "专业知识业务水平临床测评试卷", CLINICAL_RULES, 90),
             "一般程序", "临床", 1),
            ("医学人文与业务水平综合试卷", get_paper(cycle.province_id, "专业知识业务水平口腔测评试卷", DENTAL_RULES, 90),
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
