"""Excel in and out (issue 20): exports never write what someone typed as a formula; imports refuse a
file that unpacks too large, or declares too many rows or columns, before a row is read."""
from __future__ import annotations

import io
import zipfile

import pytest
from openpyxl import Workbook, load_workbook

from wechat_app.domain import spreadsheets

HOSTILE = ['=HYPERLINK("http://evil.example","点此查看")', "+1+1", "-2+3", "@SUM(A1:A2)", "\t=1", "\r=1"]


def cells(data: bytes):
    return [cell for row in load_workbook(io.BytesIO(data)).active.iter_rows(min_row=2) for cell in row]


def test_every_cell_that_would_be_a_formula_is_written_as_text():
    data = spreadsheets.export("导出", ("姓名", "分数"), [(value, 1) for value in HOSTILE] + [("张三", -5)])
    found = cells(data)
    texts = [cell for cell in found if isinstance(cell.value, str)]
    # the text kept as it was (XML reads a CR as LF)
    assert [cell.value for cell in texts] == [v.replace("\r", "\n") for v in HOSTILE] + ["张三"]
    assert {cell.data_type for cell in texts} == {"s"}
    assert all(cell.quotePrefix for cell in texts[:-1]) and not texts[-1].quotePrefix
    assert found[-1].value == -5 and found[-1].data_type == "n"  # numbers stay numbers
    assert b"<f>" not in zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")


def rewritten(columns: tuple[str, ...], change) -> bytes:
    """A real workbook with a header row whose sheet XML is passed through `change` (a hand-made file
    can say anything), zipped again at the highest compression."""
    workbook = Workbook()
    workbook.active.append(columns)
    plain = io.BytesIO()
    workbook.save(plain)
    packed = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(plain.getvalue())) as source, \
            zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for member in source.infolist():
            content = source.read(member)
            target.writestr(member.filename, change(content) if member.filename == "xl/worksheets/sheet1.xml" else content)
    return packed.getvalue()


def bomb(columns: tuple[str, ...], unpacked_mb: int) -> bytes:
    """A few hundred KB that unpack to many MB: the sheet padded with whitespace."""
    return rewritten(columns, lambda xml: xml.replace(b"</worksheet>", b" " * (unpacked_mb * 1024 * 1024) + b"</worksheet>"))


def declared(columns: tuple[str, ...], dimension: str) -> bytes:
    """A small workbook whose sheet declares a huge range."""
    def change(xml: bytes) -> bytes:
        start = xml.index(b"<dimension ref=\"") + len(b"<dimension ref=\"")
        return xml[:start] + dimension.encode() + xml[xml.index(b"\"", start):]
    return rewritten(columns, change)


def test_a_file_that_unpacks_too_large_is_refused_before_it_is_read():
    data = bomb(spreadsheets.COLUMNS, 40)
    assert len(data) < spreadsheets.MAX_BYTES
    rows, errors = spreadsheets.read_sheet(data)
    assert rows == [] and errors == ["文件解压后超过16MB，请删除多余的内容或分批导入。"]


@pytest.mark.parametrize("dimension", ["A1:M1000000", "A1:ZZZ2"])
def test_a_sheet_declaring_too_many_rows_or_columns_is_refused(dimension):
    rows, errors = spreadsheets.read_sheet(declared(spreadsheets.COLUMNS, dimension))
    assert rows == [] and "表格超过5000行或50列" in errors[0]


def test_a_template_sized_file_still_imports():
    workbook = Workbook()
    workbook.active.append(spreadsheets.COLUMNS)
    for number in range(spreadsheets.MAX_ROWS):
        workbook.active.append(("张三", "男", "身份证", f"43010319800101{number:04d}", "内科", "执业医师", "临床", "内科专业",
                                "110430100000001", "2005-07-01", "200543110430100001", "2004-12-01", "主治医师"))
    data = io.BytesIO()
    workbook.save(data)
    rows, errors = spreadsheets.read_sheet(data.getvalue())
    assert errors == [] and len(rows) == spreadsheets.MAX_ROWS + 1
