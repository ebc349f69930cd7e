"""The one reader of the product's YAML configuration files (the mechanism files in members/mechanisms/,
the creation standards in communities/standards/, the deadline rules inside a mechanism file).

`yaml_read` parses safely (plain data only, never Python objects) and keeps every node with its line,
so a reader that checks the file can name the line and the field of a mistake; `yaml_data` turns the
nodes into dicts, lists and scalars for a reader that needs no lines. A file that is not UTF-8 or not
YAML is refused with a Chinese message naming the file, the line and the column."""

from pathlib import Path

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import Node

from .errors import DomainError


class YamlFileError(DomainError):
    code = "config_file_invalid"


def yaml_read(source: Path | str | bytes, *, filename: str = "", error=YamlFileError) -> Node | None:
    """The composed YAML of `source` (a path, or the file's bytes with its `filename`), None for an empty
    file. Raises `error` (a DomainError class; YamlFileError by default) when the file cannot be read."""
    if not isinstance(source, bytes):
        path = Path(source)
        filename = filename or path.name
        try:
            source = path.read_bytes()
        except OSError as exc:
            raise error(f"无法读取配置文件 {path}：{exc.strerror}") from exc
    try:
        text = source.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(f"{filename} 不是 UTF-8 编码的文本（第 {exc.start} 字节）。") from exc
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"第 {mark.line + 1} 行第 {mark.column + 1} 列" if mark else ""
        raise error(f"{filename} {where}：YAML 格式错误（{exc.problem}）。") from exc


def yaml_data(node: Node | None):
    """The plain data (dicts, lists, str, int, bool, dates, None) a composed YAML node stands for."""
    if node is None:
        return None
    return SafeConstructor().construct_document(node)
