"""Word documents in the layout of Chinese official documents (党政机关公文格式, GB/T 9704-2012), for
the office to finish and issue in Word or WPS: 情况通报, 会议纪要.

The layout, as the standard gives it: A4; margins top 37 mm, bottom 35 mm, left 28 mm, right 26 mm;
the issuing organ's name in red 小标宋 above a red rule; the document number (文号) centred under it;
the title in 2号 (22 pt) 小标宋, centred; the body in 3号 (16 pt) 仿宋_GB2312 with a 2-character first-line
indent and a fixed 28.95 pt line pitch (22 lines a page); first-level headings in 3号 黑体 ("一、"),
second-level in 3号 楷体; page numbers in 4号 (14 pt) Song-style Arabic numerals as "— 1 —" at the
bottom, right on odd pages, left on even ones. Fonts are named, not embedded: offices have them; a
machine without them falls back to its own serif face."""

import io

from docx import Document
from docx.enum.section import WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

FANGSONG = "仿宋_GB2312"
XIAOBIAOSONG = "方正小标宋简体"
HEITI = "黑体"
KAITI = "楷体_GB2312"
SONGTI = "宋体"
RED = RGBColor(0xC0, 0x00, 0x00)
BODY_PT = 16  # 3号
TITLE_PT = 22  # 2号
PAGE_NUMBER_PT = 14  # 4号
LINE_PITCH = Pt(28.95)


def _font(run, name: str, size: float, *, bold=False, colour=None):
    run.font.name = name
    run.font.size = Pt(size)
    run.font.bold = bold
    # East-Asian text takes the eastAsia font slot; without it Word shows Chinese in its default face.
    rpr = run._element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for slot in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(slot), name)
    if colour is not None:
        run.font.color.rgb = colour


def _pitch(paragraph, *, indent=True, align=None, before=0, after=0):
    fmt = paragraph.paragraph_format
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = LINE_PITCH
    fmt.space_before, fmt.space_after = Pt(before), Pt(after)
    if indent:
        fmt.first_line_indent = Pt(BODY_PT * 2)
    if align is not None:
        paragraph.alignment = align


def _field(run, instruction: str):
    """A Word field (here PAGE) inside `run`: Word and WPS fill it in when they lay out the page."""
    begin, text, end = OxmlElement("w:fldChar"), OxmlElement("w:instrText"), OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    text.set(qn("xml:space"), "preserve")
    text.text = instruction
    end.set(qn("w:fldCharType"), "end")
    for el in (begin, text, end):
        run._r.append(el)


class OfficialDocument:
    """One document, written top to bottom: `heading`, `paragraph`, `table`, then `signature`;
    `to_bytes()` gives the .docx."""

    def __init__(self, *, issuer: str, doc_number: str, title: str, kind: str = ""):
        self.doc = Document()
        self.doc.settings.odd_and_even_pages_header_footer = True
        section = self.doc.sections[0]
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.top_margin, section.bottom_margin = Mm(37), Mm(35)
        section.left_margin, section.right_margin = Mm(28), Mm(26)
        section.start_type = WD_SECTION.NEW_PAGE
        self._page_numbers(section)
        normal = self.doc.styles["Normal"]
        normal.font.name, normal.font.size = FANGSONG, Pt(BODY_PT)
        normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FANGSONG)

        head = self.doc.add_paragraph()
        _pitch(head, indent=False, align=WD_ALIGN_PARAGRAPH.CENTER, after=6)
        _font(head.add_run(issuer + (kind or "")), XIAOBIAOSONG, 26, colour=RED)
        number = self.doc.add_paragraph()
        _pitch(number, indent=False, align=WD_ALIGN_PARAGRAPH.CENTER)
        _font(number.add_run(doc_number), FANGSONG, BODY_PT)
        self._red_rule()
        heading = self.doc.add_paragraph()
        _pitch(heading, indent=False, align=WD_ALIGN_PARAGRAPH.CENTER, before=12, after=12)
        heading.paragraph_format.line_spacing = Pt(36)
        _font(heading.add_run(title), XIAOBIAOSONG, TITLE_PT)
        self.title = title
        self.doc.core_properties.title = title
        self.doc.core_properties.author = issuer

    def _red_rule(self):
        p = self.doc.add_paragraph()
        _pitch(p, indent=False)
        border = OxmlElement("w:pBdr")
        bottom = OxmlElement("w:bottom")
        for key, value in {"w:val": "single", "w:sz": "18", "w:space": "1", "w:color": "C00000"}.items():
            bottom.set(qn(key), value)
        border.append(bottom)
        p._p.get_or_add_pPr().append(border)

    def _page_numbers(self, section):
        for footer, align in (
            (section.footer, WD_ALIGN_PARAGRAPH.RIGHT),
            (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT),
        ):
            p = footer.paragraphs[0]
            p.alignment = align
            _font(p.add_run("— "), SONGTI, PAGE_NUMBER_PT)
            run = p.add_run()
            _font(run, SONGTI, PAGE_NUMBER_PT)
            _field(run, "PAGE")
            _font(p.add_run(" —"), SONGTI, PAGE_NUMBER_PT)

    def heading(self, text: str, level: int = 1):
        p = self.doc.add_paragraph()
        _pitch(p)
        _font(p.add_run(text), HEITI if level == 1 else KAITI, BODY_PT)
        return p

    def paragraph(self, text: str, *, indent: bool = True, align=None):
        p = self.doc.add_paragraph()
        _pitch(p, indent=indent, align=align)
        _font(p.add_run(text), FANGSONG, BODY_PT)
        return p

    def table(self, headers: list[str], rows: list[list]):
        table = self.doc.add_table(rows=1, cols=len(headers))
        table.style = "Table Grid"
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        for cell, text in zip(table.rows[0].cells, headers):
            cell.text = ""
            _font(cell.paragraphs[0].add_run(str(text)), HEITI, 12)
            cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
        for row in rows:
            cells = table.add_row().cells
            for cell, value in zip(cells, row):
                cell.text = ""
                _font(cell.paragraphs[0].add_run("" if value is None else str(value)), FANGSONG, 12)
                cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
        return table

    def signature(self, organ: str, date_text: str):
        """The issuing organ and the date, right-aligned after a blank line (公文的落款)."""
        self.doc.add_paragraph()
        for text in (organ, date_text):
            p = self.doc.add_paragraph()
            _pitch(p, indent=False, align=WD_ALIGN_PARAGRAPH.RIGHT)
            p.paragraph_format.right_indent = Pt(BODY_PT * 4)
            _font(p.add_run(text), FANGSONG, BODY_PT)

    def to_bytes(self) -> bytes:
        out = io.BytesIO()
        self.doc.save(out)
        return out.getvalue()


DOCX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
