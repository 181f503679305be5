"""Reading CloudFormation templates from files, folders and cloud assemblies, without the CDK.

JSON and YAML are accepted; YAML may use CloudFormation's short-form tags (``!Ref``,
``!GetAtt a.b``, ``!Sub``, ``!If``...), which become the long form (``{"Fn::GetAtt": ["a", "b"]}``).
Every problem is a :class:`TemplateError` whose message is one line naming the file.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import yaml

try:  # libyaml parses much faster when PyYAML was built with it
    _BaseLoader = yaml.CSafeLoader  # type: ignore[attr-defined]
except AttributeError:  # pragma: no cover
    _BaseLoader = yaml.SafeLoader  # type: ignore[misc]

TEMPLATE_SUFFIXES = (".json", ".yaml", ".yml", ".template")
_SKIP_DIRS = {".git", ".hg", ".svn", ".venv", "venv", "node_modules", "__pycache__", ".tox", ".mypy_cache"}


class TemplateError(Exception):
    """A path that cannot be read as a CloudFormation template; the message is one line."""


@dataclass
class LoadedTemplate:
    """A template read from disk: where it came from, its body and the line of each resource."""

    path: Path
    display: str
    body: dict
    lines: dict[str, int] = field(default_factory=dict)
    account: str | None = None


# --------------------------------------------------------------------------------------------
# YAML with CloudFormation short-form tags
# --------------------------------------------------------------------------------------------

_SHORT_TAGS = {
    "Ref": "Ref",
    "Condition": "Condition",
    **{
        name: f"Fn::{name}"
        for name in (
            "And",
            "Base64",
            "Cidr",
            "Equals",
            "FindInMap",
            "ForEach",
            "GetAtt",
            "GetAZs",
            "If",
            "ImportValue",
            "Join",
            "Length",
            "Not",
            "Or",
            "Select",
            "Split",
            "Sub",
            "ToJsonString",
            "Transform",
        )
    },
}


class CloudFormationLoader(_BaseLoader):  # type: ignore[misc, valid-type]
    """A safe YAML loader that understands CloudFormation's short-form intrinsic tags.

    Dates stay strings (``Version: 2012-10-17`` is a string to CloudFormation), and unknown
    tags produce their plain value instead of an error.
    """

    yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
    }


def _construct_plain(loader: yaml.Loader, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_mapping(node, deep=True)


def _short_tag(long_name: str):
    def construct(loader: yaml.Loader, node: yaml.Node) -> dict:
        value = _construct_plain(loader, node)
        if long_name == "Fn::GetAtt" and isinstance(value, str):
            value = value.split(".", 1)
        return {long_name: value}

    return construct


for _short, _long in _SHORT_TAGS.items():
    CloudFormationLoader.add_constructor(f"!{_short}", _short_tag(_long))
CloudFormationLoader.add_multi_constructor("!", lambda loader, suffix, node: _construct_plain(loader, node))


#: How many nodes a YAML document may expand to once aliases are followed, and how deep it may
#: nest. A 5,000-resource template is a few hundred thousand nodes; a "billion laughs" document is
#: hundreds of millions, and every rule that walked it would take that long.
MAX_YAML_NODES = 2_000_000
MAX_YAML_DEPTH = 100


class YamlBombError(ValueError):
    """A YAML document whose aliases expand beyond the bounds (or refer to themselves)."""


def _check_expansion(root: yaml.Node) -> None:
    """Raise :class:`YamlBombError` when ``root`` expands (aliases followed) beyond the bounds.

    Aliases share their anchor's node, so sizes are memoised per node: the check is linear in the
    document as written, not in its expansion. The message names the top-level section and the
    resource where the bound is crossed.
    """
    sizes: dict[int, tuple[int, int]] = {}  # node id -> (expanded nodes, height)
    active: set[int] = set()

    def measure(node: yaml.Node, depth: int) -> tuple[int, int]:
        key = id(node)
        if key in sizes:
            size, height = sizes[key]
            if depth + height > MAX_YAML_DEPTH:
                raise YamlBombError(f"nests more than {MAX_YAML_DEPTH} levels deep once aliases are followed")
            return size, height
        if key in active:
            raise YamlBombError("an alias refers to a node that contains it (a recursive alias)")
        if depth > MAX_YAML_DEPTH:
            raise YamlBombError(f"nests more than {MAX_YAML_DEPTH} levels deep once aliases are followed")
        active.add(key)
        size, height = 1, 0
        if isinstance(node, yaml.SequenceNode):
            children = node.value
        elif isinstance(node, yaml.MappingNode):
            children = [child for pair in node.value for child in pair]
        else:
            children = []
        for child in children:
            child_size, child_height = measure(child, depth + 1)
            size += child_size
            height = max(height, child_height + 1)
            if size > MAX_YAML_NODES:
                raise YamlBombError(f"aliases expand it to more than {MAX_YAML_NODES:,} nodes (an alias bomb?)")
        active.discard(key)
        sizes[key] = (size, height)
        return size, height

    if not isinstance(root, yaml.MappingNode):
        measure(root, 0)
        return
    total = 0
    for key, value in root.value:
        section = getattr(key, "value", "?")
        parts = value.value if section == "Resources" and isinstance(value, yaml.MappingNode) else [(None, value)]
        for name, item in parts:
            where = f"resource {name.value}" if name is not None and hasattr(name, "value") else f"section {section}"
            try:
                size, _ = measure(item, 2 if name is not None else 1)
            except YamlBombError as exc:
                raise YamlBombError(f"{where}: {exc}") from None
            total += size
            if total > MAX_YAML_NODES:
                raise YamlBombError(
                    f"{where}: aliases expand the document to more than {MAX_YAML_NODES:,} nodes (an alias bomb?)"
                )


def parse_yaml(text: str) -> tuple[Any, dict[str, int]]:
    """Parse YAML text; return the data and the line of each key under ``Resources``.

    Raises :class:`YamlBombError` when aliases expand the document beyond the bounds."""
    loader = CloudFormationLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, {}
        if "&" in text:  # without an anchor there is no alias to expand (deep nesting fails in construction)
            _check_expansion(node)
        data = loader.construct_document(node)
    finally:
        loader.dispose()
    lines: dict[str, int] = {}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if getattr(key, "value", None) == "Resources" and isinstance(value, yaml.MappingNode):
                for resource_key, _ in value.value:
                    if isinstance(resource_key, yaml.ScalarNode):
                        lines.setdefault(str(resource_key.value), resource_key.start_mark.line + 1)
    return data, lines


_JSON_KEY = re.compile(r'^([ \t]*)"((?:[^"\\\n]|\\.)*)"[ \t]*:', re.MULTILINE)
_RESOURCES_KEY = re.compile(r'^([ \t]*)"Resources"[ \t]*:', re.MULTILINE)


def json_resource_lines(text: str) -> dict[str, int]:
    """The line of each key directly under ``Resources`` in pretty-printed JSON (empty if minified).

    Only the Resources section is scanned, and only for keys at its children's indentation: on a
    5,000-resource template this is most of the cost of reading it, so it matters.
    """
    lines: dict[str, int] = {}
    section = _RESOURCES_KEY.search(text)
    if section is None:
        return lines
    resources_indent = len(section.group(1).expandtabs(1))
    first = _JSON_KEY.search(text, section.end())
    if first is None or len(first.group(1).expandtabs(1)) <= resources_indent:
        return lines
    child = first.group(1)
    # The section ends at the first line indented no deeper than "Resources" that opens a key or
    # closes a mapping.
    closing = re.compile(r"^[ \t]{0,%d}[\"}]" % max(len(section.group(1)), 0), re.MULTILINE).search(text, section.end())
    end = closing.start() if closing else len(text)
    child_key = re.compile(r'^%s"((?:[^"\\\n]|\\.)*)"[ \t]*:' % re.escape(child), re.MULTILINE)
    line = text.count("\n", 0, first.start()) + 1
    position = first.start()
    for match in child_key.finditer(text, first.start(), end):
        line += text.count("\n", position, match.start())
        position = match.start()
        lines.setdefault(match.group(1), line)
    return lines


# --------------------------------------------------------------------------------------------
# Files, folders and cloud assemblies
# --------------------------------------------------------------------------------------------


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def load_file(
    path: Path, display: str | None = None, *, account: str | None = None, discovered: bool = False
) -> LoadedTemplate | None:
    """Read one template file. With ``discovered``, a file that is not a template is skipped (None)."""
    display = display or str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise TemplateError(f"{display}: no such file or directory") from None
    except IsADirectoryError:
        raise TemplateError(f"{display}: is a directory") from None
    except OSError as exc:
        raise TemplateError(f"{display}: cannot be read ({_one_line(exc.strerror or exc)})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TemplateError(f"{display}: is not UTF-8 text (byte {exc.start})") from None
    if not text.strip():
        if discovered:
            return None
        raise TemplateError(f"{display}: is empty")
    looks_json = path.suffix.lower() == ".json" or text.lstrip().startswith("{")
    body: Any
    lines: dict[str, int] = {}
    if looks_json:
        try:
            body = json.loads(text)
            lines = json_resource_lines(text)
        except json.JSONDecodeError as exc:
            if path.suffix.lower() == ".json":
                raise TemplateError(
                    f"{display}: malformed JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
                ) from None
            body = None
            looks_json = False
        except RecursionError:
            raise TemplateError(f"{display}: malformed JSON: nested too deeply") from None
    if not looks_json:
        try:
            body, lines = parse_yaml(text)
        except YamlBombError as exc:
            raise TemplateError(f"{display}: refused: {_one_line(exc)}") from None
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
            problem = exc.problem or exc.context or "cannot be parsed"
            raise TemplateError(f"{display}: malformed YAML: {_one_line(problem)}{where}") from None
        except (yaml.YAMLError, RecursionError, ValueError, TypeError) as exc:
            raise TemplateError(f"{display}: malformed YAML: {_one_line(exc)}") from None
    if not isinstance(body, dict) or not isinstance(body.get("Resources"), dict):
        if discovered:
            return None
        what = "a JSON" if looks_json else "a YAML"
        shape = "mapping" if isinstance(body, dict) else type(body).__name__
        detail = "has no Resources section" if isinstance(body, dict) else f"is {what} {shape}, not a mapping"
        raise TemplateError(f"{display}: not a CloudFormation template ({detail})")
    return LoadedTemplate(path=path, display=display, body=body, lines=lines, account=account)


def _account_of(environment: Any) -> str | None:
    if isinstance(environment, str) and environment.startswith("aws://"):
        account = environment[len("aws://") :].split("/", 1)[0]
        return account if account.isdigit() else None
    return None


def _assembly_templates(folder: Path, display: str, depth: int = 0) -> list[tuple[Path, str, str | None]]:
    """``(path, display, account)`` of every stack template a cloud assembly (and nested ones) lists."""
    manifest_path = folder / "manifest.json"
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise TemplateError(
            f"{display}/manifest.json: cannot be read as a cloud assembly manifest ({_one_line(exc)})"
        ) from None
    found: list[tuple[Path, str, str | None]] = []
    artifacts = manifest.get("artifacts") if isinstance(manifest, dict) else None
    for artifact in (artifacts or {}).values() if isinstance(artifacts, dict) else []:
        if not isinstance(artifact, dict):
            continue
        properties = artifact.get("properties") if isinstance(artifact.get("properties"), dict) else {}
        if artifact.get("type") == "aws:cloudformation:stack" and isinstance(properties.get("templateFile"), str):
            name = properties["templateFile"]
            found.append((folder / name, f"{display}/{name}", _account_of(artifact.get("environment"))))
        elif (
            artifact.get("type") == "cdk:cloud-assembly"
            and isinstance(properties.get("directoryName"), str)
            and depth < 8
        ):
            nested = properties["directoryName"]
            if (folder / nested / "manifest.json").is_file():
                found.extend(_assembly_templates(folder / nested, f"{display}/{nested}", depth + 1))
    return found


def _folder_files(folder: Path) -> Iterable[Path]:
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder).parts
        if any(part in _SKIP_DIRS or part.startswith(".") for part in relative[:-1]):
            continue
        if path.is_file() and path.suffix.lower() in TEMPLATE_SUFFIXES:
            yield path


def load_paths(paths: Iterable[str], *, account: str | None = None) -> list[LoadedTemplate]:
    """Every template under ``paths``: files, folders (searched recursively) and cdk.out assemblies."""
    loaded: list[LoadedTemplate] = []
    for raw in paths:
        path = Path(raw)
        display = raw.rstrip("/") or raw
        if not path.exists():
            raise TemplateError(f"{display}: no such file or directory")
        if path.is_dir():
            if (path / "manifest.json").is_file():
                entries = _assembly_templates(path, display)
                found = [load_file(p, d, account=a or account) for p, d, a in entries]
            else:
                found = [
                    load_file(p, str(Path(display) / p.relative_to(path)), account=account, discovered=True)
                    for p in _folder_files(path)
                ]
            templates = [t for t in found if t is not None]
            if not templates:
                raise TemplateError(
                    f"{display}: no CloudFormation templates found (looked for {', '.join(TEMPLATE_SUFFIXES)} "
                    f"files with a Resources section)"
                )
            loaded.extend(templates)
        else:
            template = load_file(path, display, account=account)
            if template is not None:
                loaded.append(template)
    return loaded
