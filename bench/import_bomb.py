"""Peak memory of the community Excel import fed the two attack files of issue 11.

    .venv/bin/python bench/import_bomb.py [--keep DIR]

Builds, by writing the XML straight into the zip (openpyxl would need the memory we are measuring):
- `huge-string.xlsx`: about 0.5 MB holding one shared string of about 500 million characters;
- `blank-rows.xlsx`: about 1.5 MB holding a header and about 170 million blank rows.
Then, for each file, runs `communities.excel.import_rows_read` in a fresh Python process (no database
needed: the file is refused, or read, before any query) and prints what it answered, the wall time,
and the process's peak resident memory (`resource.getrusage(RUSAGE_SELF).ru_maxrss`) next to the
baseline of a process that only imported Django and the module. The limit is 300 MB.
The numbers go into docs/communities.md."""

import json
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIMIT_MB = 300

CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>
<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>
<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>
</Types>"""
ROOT_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>
</Relationships>"""
WORKBOOK = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">
<sheets><sheet name="社区台账" sheetId="1" r:id="rId1"/></sheets>
</workbook>"""
WORKBOOK_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>
<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>
</Relationships>"""
SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    '<row r="1"><c r="A1" t="inlineStr"><is><t>市州</t></is></c><c r="B1" t="inlineStr"><is><t>社区名称</t></is></c></row>'
)
SHEET_TAIL = "</sheetData></worksheet>"
CHUNK = 1 << 20


def _skeleton(archive: zipfile.ZipFile, *, shared_strings: bool) -> None:
    types = (
        CONTENT_TYPES
        if shared_strings
        else "\n".join(line for line in CONTENT_TYPES.splitlines() if "sharedStrings" not in line)
    )
    archive.writestr("[Content_Types].xml", types)
    archive.writestr("_rels/.rels", ROOT_RELS)
    archive.writestr("xl/workbook.xml", WORKBOOK)
    rels = (
        WORKBOOK_RELS
        if shared_strings
        else WORKBOOK_RELS.replace(
            '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>\n',
            "",
        )
    )
    archive.writestr("xl/_rels/workbook.xml.rels", rels)


def _stream(archive: zipfile.ZipFile, name: str, head: str, body: bytes, repeat: int, tail: str) -> None:
    """Write head + body * repeat + tail as one deflated member without holding it in memory."""
    info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    per_chunk = max(1, CHUNK // len(body))
    block = body * per_chunk
    with archive.open(info, "w", force_zip64=True) as out:
        out.write(head.encode())
        left = repeat
        while left >= per_chunk:
            out.write(block)
            left -= per_chunk
        out.write(body * left)
        out.write(tail.encode())


def huge_string_xlsx(path, *, chars: int = 500_000_000) -> Path:
    """One shared string of `chars` characters, used by cell B2."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        _skeleton(archive, shared_strings=True)
        archive.writestr(
            "xl/worksheets/sheet1.xml",
            SHEET_HEAD + '<row r="2"><c r="A2" t="inlineStr"><is><t>贵阳市</t></is></c>'
            '<c r="B2" t="s"><v>0</v></c></row>' + SHEET_TAIL,
        )
        _stream(
            archive,
            "xl/sharedStrings.xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>',
            b"A",
            chars,
            "</t></si></sst>",
        )
    return Path(path)


def blank_rows_xlsx(path, *, rows: int = 170_000_000) -> Path:
    """A header row, then `rows` empty rows."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        _skeleton(archive, shared_strings=False)
        _stream(archive, "xl/worksheets/sheet1.xml", SHEET_HEAD, b"<row/>", rows, SHEET_TAIL)
    return Path(path)


def far_row_xlsx(path, *, row: int = 170_000_000) -> Path:
    """A header, one data row, then a single row numbered `row`: tiny unpacked, but a reader that fills
    in the rows a sheet skips would make `row` blank rows out of it."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        _skeleton(archive, shared_strings=False)
        archive.writestr(
            "xl/worksheets/sheet1.xml",
            SHEET_HEAD
            + '<row r="2"><c r="A2" t="inlineStr"><is><t>贵阳市</t></is></c><c r="B2" t="inlineStr"><is><t>甲社区</t></is></c></row>'
            + f'<row r="{row}"><c r="A{row}" t="inlineStr"><is><t>贵阳市</t></is></c></row>'
            + SHEET_TAIL,
        )
    return Path(path)


MEASURE = r"""
import json, os, resource, sys, time
sys.path.insert(0, sys.argv[1])
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
import django
django.setup()
from django.core.files.uploadedfile import SimpleUploadedFile
from communities.excel import import_rows_read
from core.errors import DomainError
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
path = sys.argv[2]
with open(path, "rb") as f:
    upload = SimpleUploadedFile(os.path.basename(path), f.read())
started = time.perf_counter()
try:
    rows = import_rows_read(upload)
    answer = f"read {len(rows)} rows"
except DomainError as e:
    answer = f"refused: {e.message}"
elapsed = time.perf_counter() - started
print(json.dumps({"answer": answer, "seconds": elapsed, "baseline_kb": base,
                  "peak_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}, ensure_ascii=False))
"""


def measure(path: Path) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, str(ROOT), str(path)],
        capture_output=True,
        text=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"},
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    keep = sys.argv[sys.argv.index("--keep") + 1] if "--keep" in sys.argv else None
    folder = Path(keep or tempfile.mkdtemp(prefix="import-bomb-"))
    folder.mkdir(parents=True, exist_ok=True)
    worst = 0
    for label, build in (
        ("huge-string.xlsx", huge_string_xlsx),
        ("blank-rows.xlsx", blank_rows_xlsx),
        ("far-row.xlsx", far_row_xlsx),
    ):
        started = time.perf_counter()
        path = build(folder / label)
        built = time.perf_counter() - started
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(m.file_size for m in archive.infolist())
        result = measure(path)
        worst = max(worst, result["peak_kb"])
        print(
            f"{label:18} {path.stat().st_size / 1e6:6.2f} MB on disk, {unpacked / 1e6:8.0f} MB unpacked "
            f"(built in {built:4.1f} s) → {result['answer']}\n"
            f"{'':18} import {result['seconds'] * 1000:7.0f} ms, peak RSS {result['peak_kb'] / 1024:6.1f} MB "
            f"(process baseline {result['baseline_kb'] / 1024:.1f} MB)"
        )
        if not keep:
            path.unlink()
    if not keep:
        folder.rmdir()
    ok = worst / 1024 < LIMIT_MB
    print(f"worst peak {worst / 1024:.1f} MB: {'under' if ok else 'OVER'} the {LIMIT_MB} MB limit")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
