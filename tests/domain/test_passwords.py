"""The password policy (seed FAQ 10) and the rules added around it."""
from __future__ import annotations

import pytest

from wechat_app.domain.passwords import policy_errors

IDS = ("430103197901010422", "430103790101042")


@pytest.mark.parametrize("password", ["Abcdefg1", "abcdef1!", "ABCDEF1!", "Abcdefg!", "Zz9#Zz9#"])
def test_three_of_four_classes_and_eight_characters_pass(password):
    assert policy_errors(password, id_numbers=IDS) == []


@pytest.mark.parametrize("password", ["Abcde1!", "abcdefgh", "abcdefg1", "ABCDEFG1", "12345678", "666666"])
def test_weak_passwords_fail(password):
    assert policy_errors(password, id_numbers=IDS)


def test_not_the_old_one_and_not_the_id_number():
    assert "新密码不能与原密码相同。" in policy_errors("Abcdefg1", id_numbers=IDS, old="Abcdefg1")
    assert "密码不能包含证件号码。" in policy_errors("Aa!430103197901010422", id_numbers=IDS)
    assert "密码不能包含证件号码。" in policy_errors("x430103790101042!A", id_numbers=IDS)
