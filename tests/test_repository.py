"""The repository stands on its own: no file of the product points outside it."""

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Spelled in parts so that this file does not name them itself.
OUTSIDE = tuple(a + b for a, b in (("../", "shared"), ("/work/", "shared"), ("/work/", "main"), ("/work/", "wt/")))


def test_no_tracked_file_refers_outside_the_repository():
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    hits = []
    for name in files:
        path = ROOT / name
        if path.suffix in {".mo", ".png", ".jpg", ".xlsx", ".docx", ".ico", ".woff", ".woff2"} or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="ignore")
        hits += [f"{name}: {marker}" for marker in OUTSIDE if marker in text]
    assert not hits, "\n".join(hits)
