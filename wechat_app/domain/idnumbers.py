"""Chinese resident ID numbers (GB 11643-1999): the 18-character form with its ISO 7064 MOD 11-2
check character, and the legacy 15-digit form (no century, no check character).

Region codes are not checked: codes are retired and re-issued over the years, and refusing an
old one would lock a physician out of an account the institution registered under it.
"""
from __future__ import annotations

from stdnum.iso7064 import mod_11_2


def check_character(first17: str) -> str:
    return mod_11_2.calc_check_digit(first17)


def to_18(id15: str) -> str:
    """The 18-character number for a legacy 15-digit one (born 19xx, as all 15-digit numbers are)."""
    first17 = id15[:6] + "19" + id15[6:]
    return first17 + check_character(first17)


def to_15(id18: str) -> str:
    """The legacy form: drop the century digits "19" and the check character."""
    return id18[:6] + id18[8:17]
