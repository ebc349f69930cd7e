"""The one check every upload goes through: type by extension *and* content, size, name.

Each app states what it accepts (`extensions`, `max_bytes`); the messages are the same everywhere."""

import os

MB = 1024 * 1024
# Office documents, PDF, images and the WPS/OFD formats Chinese government offices use.
OFFICE_DOCUMENTS = frozenset({".pdf", ".doc", ".docx", ".xls", ".xlsx", ".ppt", ".pptx", ".wps", ".et", ".ofd",
                              ".txt", ".jpg", ".jpeg", ".png", ".zip"})
# A file whose name claims one of these types must start with the matching bytes.
SIGNATURES = {
    ".pdf": (b"%PDF",), ".png": (b"\x89PNG",), ".jpg": (b"\xff\xd8\xff",), ".jpeg": (b"\xff\xd8\xff",),
    ".docx": (b"PK\x03\x04",), ".xlsx": (b"PK\x03\x04",), ".pptx": (b"PK\x03\x04",), ".zip": (b"PK\x03\x04",),
    ".ofd": (b"PK\x03\x04",), ".doc": (b"\xd0\xcf\x11\xe0",), ".xls": (b"\xd0\xcf\x11\xe0",),
    ".ppt": (b"\xd0\xcf\x11\xe0",),
}
NAME_MAX = 120


def upload_check(upload, *, extensions=OFFICE_DOCUMENTS, max_bytes: int = 10 * MB, field: str = "file") -> str:
    """Return the file's base name, or raise a DomainError with a Chinese message naming the file."""
    from .errors import DomainError

    name = os.path.basename(upload.name or "")
    ext = os.path.splitext(name)[1].lower()
    if ext not in extensions:
        allowed = "、".join(sorted(e.lstrip(".").upper() for e in extensions))
        raise DomainError(f"不支持的文件类型“{ext or '无扩展名'}”（{name}）。允许：{allowed}。",
                          code="file_type", field=field)
    if upload.size == 0:
        raise DomainError(f"文件“{name}”是空的。", code="file_empty", field=field)
    if upload.size > max_bytes:
        raise DomainError(f"文件“{name}”过大（{upload.size / MB:.1f} MB），单个文件不能超过 {max_bytes // MB} MB。",
                          code="file_size", field=field)
    signatures = SIGNATURES.get(ext)
    if signatures:
        head = upload.read(8)
        upload.seek(0)
        if not any(head.startswith(s) for s in signatures):
            raise DomainError(f"文件“{name}”的内容与扩展名“{ext}”不符。", code="file_type", field=field)
    if len(name) > NAME_MAX:
        raise DomainError(f"文件名不能超过 {NAME_MAX} 字。", code="too_long", field=field)
    return name
