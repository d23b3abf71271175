"""In the browser (WeChat user agent, 390 px): the five steps with uploads, a save and a reload
midway, preview, 提交信息; then a rejected registration fixed and resubmitted."""
from __future__ import annotations

import re

from sqlalchemy import select

from tests.helpers import enrolled, image_bytes
from wechat_app.domain.idnumbers import stated_in
from wechat_app.domain.registration import Action, Actor, Role, apply
from wechat_app.models import Registration


def images(tmp_path, *names):
    paths = []
    for name in names:
        path = tmp_path / name
        path.write_bytes(image_bytes("JPEG", size=(800, 600)))
        paths.append(str(path))
    return paths


def at_step(page, live, n):
    page.wait_for_url(re.compile(re.escape(f"{live}/m/registration/step/{n}") + r"$"))


def fill_five_steps(page, live, tmp_path, physician):
    page.goto(f"{live}/m/registration")
    at_step(page, live, 1)
    page.set_input_files("#photo", images(tmp_path, "photo.jpg"))
    page.get_by_label(stated_in(physician.id_number_18)[0]).check()  # as the ID number states
    page.select_option("#ethnicity", "苗族")
    page.fill("#birth", f"{physician.birth_date:%Y-%m-%d}")
    page.select_option("#education", "大学本科")
    page.fill("#email", "miao@example.cn")
    page.get_by_role("button", name="保存").click()  # save midway, then reload: nothing lost
    page.wait_for_selector("text=已保存。")
    page.reload()
    assert page.input_value("#email") == "miao@example.cn" and page.input_value("#ethnicity") == "苗族"
    assert page.locator(".uploader-file img").count() == 1
    page.get_by_role("button", name="下一步").click()

    at_step(page, live, 2)
    page.select_option("#department", str(physician.department_id))
    page.locator("#specialties .check:not([hidden]) input").first.check()
    page.select_option("#title", "主治医师")
    page.fill("#title_date", "2018-09-01")
    page.select_option("#level", "执业医师")
    page.get_by_label("否", exact=True).check()
    page.select_option("#category", "临床")
    page.select_option("#scope", "内科专业")
    page.fill("#certificate_number", "110430100000777")
    page.fill("#certificate_date", "2008-07-01")
    page.set_input_files("#certificate_pages", images(tmp_path, "page1.jpg", "page2.jpg"))
    page.get_by_role("button", name="下一步").click()

    at_step(page, live, 3)
    page.get_by_role("button", name="+ 添加").nth(1).click()  # 教育经历
    page.select_option("#education-0-level", "大学本科")
    page.fill("#education-0-school", "中南大学湘雅医学院")
    page.fill("#education-0-start", "2001-09-01")
    page.fill("#education-0-end", "2006-07-01")
    page.get_by_role("button", name="下一步").click()

    at_step(page, live, 4)
    page.locator("input[name=good_record][value=无]").check()
    page.locator("input[name=bad_record][value=无]").check()
    page.locator("input[name=workload][value=合格]").check()
    page.get_by_role("button", name="下一步").click()

    at_step(page, live, 5)
    assert "符合" in page.inner_text(".conditions")  # 17 years, no bad record: condition (2)
    page.locator("input[name=procedure][value=简易程序]").check()
    page.set_input_files("#evidence", images(tmp_path, "evidence.jpg"))
    page.fill("#statement", "本人自2008年取得执业证书以来，严格遵守医疗卫生法律法规和诊疗规范，认真完成临床工作任务，"
                            "考核周期内无不良执业行为记录，特申请执行简易程序。")
    page.get_by_role("button", name="下一步").click()


def test_five_steps_save_reload_submit(app, demo, live, phone, signed_in, tmp_path):
    physician = enrolled(demo)
    signed_in(phone, physician)
    fill_five_steps(phone, live, tmp_path, physician)
    phone.wait_for_url(f"{live}/m/registration/preview")
    assert "苗族" in phone.content() and "中南大学湘雅医学院" in phone.content()
    phone.get_by_role("button", name="提交信息").click()
    phone.wait_for_url(f"{live}/m/registration/done")
    assert phone.inner_text("#done-message") == "个人报名信息提交成功，请耐心等待机构审核。"
    phone.get_by_role("link", name="返回首页").click()
    assert phone.inner_text("#current-task") == "已报名-待医疗卫生机构审核"
    assert "您本周期执行：简易程序" in phone.content()


def test_rejected_registration_fixed_and_resubmitted(app, demo, live, phone, signed_in, tmp_path):
    physician = enrolled(demo)
    signed_in(phone, physician)
    fill_five_steps(phone, live, tmp_path, physician)
    phone.get_by_role("button", name="提交信息").click()
    phone.wait_for_url(f"{live}/m/registration/done")
    with app.app_context():
        from wechat_app.extensions import db

        reg = db.session.scalar(select(Registration).where(Registration.physician_id == physician.id))
        apply(reg, Action.INSTITUTION_REJECT, Actor(Role.INSTITUTION, 1), reason="邮箱填写有误")
        reg.rejected_by, reg.reject_reason, reg.resubmit_deadline = "医疗卫生机构", "邮箱填写有误", reg.cycle.registration_end
        db.session.commit()
    phone.goto(f"{live}/m/")
    assert "邮箱填写有误" in phone.inner_text("#rejection")
    phone.get_by_role("link", name="修改并重新提交").click()
    at_step(phone, live, 1)
    assert phone.input_value("#email") == "miao@example.cn"
    phone.fill("#email", "miao.fixed@example.cn")
    for _ in range(5):  # 下一步 through the five steps
        phone.get_by_role("button", name="下一步").click()
    phone.wait_for_url(f"{live}/m/registration/preview")
    assert "miao.fixed@example.cn" in phone.content()
    phone.get_by_role("button", name="提交信息").click()
    phone.wait_for_url(f"{live}/m/registration/done")
    phone.goto(f"{live}/m/")
    assert phone.inner_text("#current-task") == "已报名-待医疗卫生机构审核"
