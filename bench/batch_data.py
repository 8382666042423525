"""Seeded generator of liaison-point batch tables, and writers for them in the forms
people upload: an .xlsx as Excel saves it (shared strings, a dimension element), an
.xlsx as openpyxl writes it (inline strings), and CSV in the encodings Chinese Excel
writes. Used by bench/bench_batches.py and by tests/batches.
"""
from __future__ import annotations

import csv
import io
import random
import zipfile
from xml.sax.saxutils import escape

HEADERS = ["条款", "意见内容", "态度", "修改建议", "理由", "提出人类别", "提出人", "地区", "反映群众人数"]
STANCES = ["赞成", "反对", "修改", "新增", "删除", "其他"]
CATEGORIES = ["公民", "居民", "人大代表", "企业", "律师", "专家", "单位"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"
REGIONS = ["东城区", "西城区", "南湖区", "北山区", "新区", ""]
PHRASES = [
    "建议明确服务设施的配建标准", "社区助餐点的覆盖范围应当扩大", "补贴对象的认定程序需要简化",
    "应当加强对服务机构的监督检查", "建议增加志愿服务激励措施", "独居老人的紧急呼叫设备应当免费配置",
    "服务用房不得挪作他用的规定要细化", "建议把失能评估结果与补贴标准挂钩", "家庭照护者也应当得到培训和喘息服务",
    "条文中的“适时调整”过于原则，建议规定调整周期", "建议对违规改变用途的行为规定罚款数额",
]


def generate_rows(count: int, citations: list[str], *, seed: int = 20260315) -> list[list]:
    """``count`` rows of the canonical columns, reproducible for a seed. ``citations``
    are the clause cells to choose from (as people write them)."""
    rnd = random.Random(seed)
    rows = []
    for n in range(count):
        body = "；".join(rnd.sample(PHRASES, rnd.randint(1, 3))) + f"（第{n + 1}条意见）。"
        proposed = rnd.choice(["", "", "修改为：" + rnd.choice(PHRASES) + "。"])
        reason = rnd.choice(["", "群众反映较多。", "与上位法衔接。", "便于操作执行。"])
        name = rnd.choice(["", ""]) or (rnd.choice(SURNAMES) + rnd.choice(GIVEN) + rnd.choice(["", rnd.choice(GIVEN)]))
        rows.append([rnd.choice(citations), body, rnd.choice(STANCES), proposed, reason, rnd.choice(CATEGORIES),
                     name, rnd.choice(REGIONS), rnd.choice([1, 1, 1, 2, 3, 5, 12])])
    return rows


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def excel_like_xlsx(rows: list[list], *, sheet_title: str = "意见建议汇总表", header: list | None = None) -> bytes:
    """An .xlsx laid out as Excel saves one: strings in the shared string table,
    numbers as numbers, a <dimension> element."""
    table = [header or HEADERS] + rows
    strings: dict[str, int] = {}
    sheet_rows = []
    width = max(len(row) for row in table)
    for r, row in enumerate(table, start=1):
        cells = []
        for c, value in enumerate(row):
            ref = f"{_column_letter(c)}{r}"
            if value is None or value == "":
                continue
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                cells.append(f'<c r="{ref}"><v>{value}</v></c>')
            else:
                index = strings.setdefault(str(value), len(strings))
                cells.append(f'<c r="{ref}" t="s"><v>{index}</v></c>')
        sheet_rows.append(f'<row r="{r}">{"".join(cells)}</row>')
    ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel_ns = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    sheet = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{ns}" xmlns:r="{rel_ns}">'
             f'<dimension ref="A1:{_column_letter(width - 1)}{len(table)}"/>'
             f'<sheetData>{"".join(sheet_rows)}</sheetData></worksheet>')
    shared = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="{ns}" count="{len(strings)}" '
              f'uniqueCount="{len(strings)}">'
              + "".join(f'<si><t xml:space="preserve">{escape(text)}</t></si>' for text in strings)
              + "</sst>")
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.worksheet+xml"/>'
            '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.sharedStrings+xml"/>'
            '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'spreadsheetml.styles+xml"/></Types>'),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'officeDocument" Target="xl/workbook.xml"/></Relationships>'),
        "xl/workbook.xml": (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="{ns}" xmlns:r="{rel_ns}">'
            f'<sheets><sheet name="{escape(sheet_title)}" sheetId="1" r:id="rId1"/></sheets></workbook>'),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'worksheet" Target="worksheets/sheet1.xml"/>'
            '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'sharedStrings" Target="sharedStrings.xml"/>'
            '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'styles" Target="styles.xml"/></Relationships>'),
        "xl/styles.xml": (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<styleSheet xmlns="{ns}">'
            '<fonts count="1"><font><sz val="11"/><name val="等线"/></font></fonts>'
            '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
            '<borders count="1"><border/></borders>'
            '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
            '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
            '</styleSheet>'),
        "xl/worksheets/sheet1.xml": sheet,
        "xl/sharedStrings.xml": shared,
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            # A fixed timestamp: the same rows give the same bytes (and digest) whenever
            # they are made, as tests of "the same file again" assume.
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content.encode("utf-8"))
    return buffer.getvalue()


def openpyxl_xlsx(rows: list[list], *, sheet_title: str = "意见建议汇总表", header: list | None = None) -> bytes:
    """An .xlsx as openpyxl writes one (inline strings), as other systems export."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title)
    sheet.append(header or HEADERS)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows: list[list], *, encoding: str = "utf-8", delimiter: str = ",", header: list | None = None) -> bytes:
    """Delimited text as Excel saves it: "CSV UTF-8" is utf-8 with a BOM (utf-8-sig),
    "CSV" on Chinese Windows is GBK (gb18030 here), "Unicode text" is UTF-16 with
    tabs."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header or HEADERS)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)
