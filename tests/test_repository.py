"""The repository stands on its own and keeps its shape: no file of the product points outside it, the
apps import only the apps below them with no import circles, one function reads YAML, and the code
passes the linter and the formatter (docs/decisions.md 2, 37, 38)."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
# Spelled in parts so that this file does not name them itself.
OUTSIDE = tuple(a + b for a, b in (("../", "shared"), ("/work/", "shared"), ("/work/", "main"), ("/work/", "wt/")))
# A path of this machine's workplace, wherever it starts a word ("/work/…", not ".../tasks/3/work/").
OUTSIDE_PATH = re.compile(r"(?<![\w}/.-])" + "/wo" + r"rk/\w")
# The style, journeys and domain notes outside the repository, by name, however they are reached.
OUTSIDE_DOCS = re.compile("sha" + r"red/(style|journeys|domain)\.md")
BINARY = {".mo", ".png", ".jpg", ".xlsx", ".docx", ".ico", ".woff", ".woff2"}


def _tracked() -> list[str]:
    return subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()


def test_no_tracked_file_refers_outside_the_repository():
    hits = []
    for name in _tracked():
        path = ROOT / name
        if path.suffix in BINARY or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="ignore")
        hits += [f"{name}: {marker}" for marker in OUTSIDE if marker in text]
        hits += [
            f"{name}:{text.count(chr(10), 0, m.start()) + 1}: {m.group(0)}"
            for pattern in (OUTSIDE_PATH, OUTSIDE_DOCS)
            for m in pattern.finditer(text)
        ]
    assert not hits, "\n".join(hits)


def test_the_apps_keep_their_layers_and_no_import_circles():
    """import-linter's contracts in pyproject.toml: config > dashboard > meetings | communities > tasks >
    deadlines > workflow > members > core, and no circle among the modules of any app — imports inside
    functions count as much as those at the top of a file."""
    result = subprocess.run([BIN / "lint-imports", "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]


def test_one_function_reads_yaml():
    """Every YAML configuration file is read by core.yamlfile.yaml_read: no other module parses YAML."""
    parse = re.compile(r"\byaml\.(safe_load|load|full_load|unsafe_load|compose|safe_load_all|load_all|parse)\(")
    hits = []
    for name in _tracked():
        if not name.endswith(".py") or name.startswith("tests/") or name == "core/yamlfile.py":
            continue
        text = (ROOT / name).read_text(encoding="utf-8")
        hits += [f"{name}: {m.group(0)}" for m in parse.finditer(text)]
    assert not hits, "\n".join(hits)


def test_ruff_lint():
    """ruff check . (rules in pyproject.toml) — the same as the pre-commit hook."""
    result = subprocess.run([BIN / "ruff", "check", "--no-cache", "."], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]


def test_ruff_format():
    """ruff format --check . — every Python file as the formatter writes it (`ruff format .` fixes it)."""
    result = subprocess.run(
        [BIN / "ruff", "format", "--check", "--no-cache", "."], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
