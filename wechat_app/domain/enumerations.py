"""The standard lists (民族 GB 3304, 学历 GB/T 4658, 执业类别/范围, 职称, 诊疗科目), shipped with the
package from reference/domain-enumerations.json (sources listed in its `_sources`)."""
from __future__ import annotations

import json
from functools import cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data" / "enumerations.json"

# Put first in the 民族 list: the groups most Hunan physicians pick after 汉族.
HUNAN_FIRST = ("汉族", "土家族", "苗族", "侗族", "瑶族", "白族", "回族", "壮族")


@cache
def raw() -> dict:
    return json.loads(DATA.read_text(encoding="utf-8"))


def ethnicities() -> list[str]:
    names = [e["name"] for e in raw()["ethnicities_gb3304"]] + [e["name"] for e in raw()["ethnicities_extension_codes"]]
    return list(HUNAN_FIRST) + [n for n in names if n not in HUNAN_FIRST]


def education_levels() -> list[str]:
    levels: list[str] = []
    for item in raw()["education_gb4658"]:
        levels.extend(item.get("ui") or [item["name"]])
    return levels


def categories() -> list[str]:
    return [c["name"] for c in raw()["practice_categories"]]


def scopes(category: str | None = None) -> list[str]:
    return [s["name"] for s in raw()["practice_scopes"] if category is None or s["category"] == category]


def levels() -> list[str]:
    return [level["name"] for level in raw()["physician_levels"]]


def titles() -> list[str]:
    return [t["western"].split("（")[0] for t in raw()["professional_titles"]] + \
        [t["tcm"] for t in raw()["professional_titles"] if t["tcm"] != "未评级"]


@cache
def subjects() -> dict[str, str]:
    """诊疗科目 code → name, parents and children alike."""
    names = {}
    for item in raw()["clinical_subjects_catalogue"]:
        names[item["code"]] = item["name"]
        for child in item.get("children", []):
            names[child["code"]] = child["name"]
    return names
