"""The one check every upload goes through: type by extension *and* content, size, name.

One size limit and one list of types for the whole product (items, reports, community evidence):
people learn one rule, and every upload form shows it (`upload_rules_text`, the `upload_rules`
template tag). The community Excel import is not an upload of a document but of data, and has its
own, narrower rule (communities/excel.py)."""

import os
import unicodedata

MB = 1024 * 1024
UPLOAD_MAX_BYTES = 20 * MB
# Office documents, PDF, images and the WPS/OFD formats Chinese government offices use.
UPLOAD_TYPES = frozenset(
    {
        ".pdf",
        ".doc",
        ".docx",
        ".xls",
        ".xlsx",
        ".ppt",
        ".pptx",
        ".wps",
        ".et",
        ".ofd",
        ".txt",
        ".jpg",
        ".jpeg",
        ".png",
        ".zip",
    }
)
OFFICE_DOCUMENTS = UPLOAD_TYPES  # the name the apps knew it by
# A file whose name claims one of these types must start with the matching bytes.
SIGNATURES = {
    ".pdf": (b"%PDF",),
    ".png": (b"\x89PNG",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".docx": (b"PK\x03\x04",),
    ".xlsx": (b"PK\x03\x04",),
    ".pptx": (b"PK\x03\x04",),
    ".zip": (b"PK\x03\x04",),
    ".ofd": (b"PK\x03\x04",),
    ".doc": (b"\xd0\xcf\x11\xe0",),
    ".xls": (b"\xd0\xcf\x11\xe0",),
    ".ppt": (b"\xd0\xcf\x11\xe0",),
}
# The name people see is kept as typed, up to NAME_MAX characters (what the name columns hold); longer
# names are refused with a message. The name on disk is a different matter: file systems count
# bytes (255), and a Chinese character is three of them in UTF-8, so a 100-character Chinese name
# does not fit. `storage_name` shortens it to STORAGE_NAME_MAX_BYTES, keeping the extension, with
# room left for the suffix Django adds when the name is taken.
NAME_MAX = 120
STORAGE_NAME_MAX_BYTES = 150


def upload_types_text() -> str:
    return "、".join(sorted(e.lstrip(".").upper() for e in UPLOAD_TYPES))


def upload_rules_text() -> str:
    """The rule as every upload form states it."""
    return (
        f"允许的类型：{upload_types_text()}；单个文件不超过 {UPLOAD_MAX_BYTES // MB} MB，文件名不超过 {NAME_MAX} 字。"
    )


def upload_accept() -> str:
    """For the file input's `accept` attribute (a hint to the browser; the server checks again)."""
    return ",".join(sorted(UPLOAD_TYPES))


def _clean_name(raw: str) -> str:
    # Browsers send the base name; some send a path. Control characters (a NUL among them, which
    # PostgreSQL cannot store) are dropped rather than refused: they are never what the person typed.
    name = os.path.basename((raw or "").replace("\\", "/"))
    return "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf")).strip()


def upload_check(upload, *, field: str = "file") -> str:
    """Return the file's name as people will see it, or raise a DomainError with a Chinese message
    naming the file."""
    from .errors import DomainError

    name = _clean_name(upload.name)
    ext = os.path.splitext(name)[1].lower()
    if ext not in UPLOAD_TYPES:
        raise DomainError(
            f"不支持的文件类型“{ext or '无扩展名'}”（{name}）。{upload_rules_text()}", code="file_type", field=field
        )
    if upload.size == 0:
        raise DomainError(f"文件“{name}”是空的。", code="file_empty", field=field)
    if upload.size > UPLOAD_MAX_BYTES:
        raise DomainError(
            f"文件“{name}”过大（{upload.size / MB:.1f} MB），单个文件不能超过 {UPLOAD_MAX_BYTES // MB} MB。",
            code="file_size",
            field=field,
        )
    signatures = SIGNATURES.get(ext)
    if signatures:
        head = upload.read(8)
        upload.seek(0)
        if not any(head.startswith(s) for s in signatures):
            raise DomainError(f"文件“{name}”的内容与扩展名“{ext}”不符。", code="file_type", field=field)
    if len(name) > NAME_MAX:
        raise DomainError(
            f"文件名不能超过 {NAME_MAX} 字（当前 {len(name)} 字），请改短后重新上传。", code="too_long", field=field
        )
    return name


def storage_name(name: str, *, max_bytes: int = STORAGE_NAME_MAX_BYTES) -> str:
    """The name to store a checked upload under: the same name, its stem cut (at a character
    boundary) so that the whole is at most `max_bytes` bytes of UTF-8; the extension is kept."""
    stem, ext = os.path.splitext(name)
    room = max_bytes - len(ext.encode())
    encoded = stem.encode()
    if len(encoded) <= room:
        return name
    return encoded[:room].decode("utf-8", errors="ignore").rstrip() + ext
