"""FAQ keyword matching for chat."""
from __future__ import annotations

from wechat_app.domain.demo import seed_demo
from wechat_app.domain.faq import faq_index


def test_best_match_wins(db):
    seed_demo()
    faq_index.invalidate()
    assert faq_index.match("我调动了单位，原单位要先调离吗").question.startswith("调动了工作单位")
    assert faq_index.match("没有科室可选").question.startswith("填报时无法选择科室")
    assert faq_index.match("收不到验证码，想换手机号").question.startswith("如何修改绑定的手机号")
    assert faq_index.match("今天天气") is None


def test_every_seed_faq_is_reachable_by_its_own_keywords(db):
    seed_demo()
    faq_index.invalidate()
    for entry in faq_index.entries():
        assert faq_index.match(" ".join(entry.keywords)) == entry
