"""yaml fences: parse, yamllint (one process), then schema checks by what the document is.

- Compose file (top-level `services:`): the Compose spec that check-jsonschema vendors.
- Kubernetes manifest (`apiVersion` + `kind`): kubernetes-validate's strict schemas.
- GitHub workflow (`on:` + `jobs:`): the workflow schema that check-jsonschema vendors.
Schema errors point at the line of the offending key, found by walking the YAML node tree.

What the site itself shows is accepted: tags such as MkDocs' `!!python/name:`, `!ENV` and `!relative` (any tag
is valid YAML; what it means is the application's business), and a line holding only `...` where part of a
file is left out (an elided file is parsed and linted, but not held to a schema it only partly shows).
"""
from __future__ import annotations

import json
import re
import textwrap
from functools import lru_cache
from importlib import resources

import jsonschema
import yaml as pyyaml

from scripts import tools
from scripts.snippets.base import Context

LEXERS = {"yaml"}  # Pygments: yaml, yml
RE_PARSABLE = re.compile(r"^(?P<file>.*?):(?P<line>\d+):(?P<col>\d+): \[(?P<level>\w+)\] (?P<msg>.*?)(?: \((?P<rule>[\w-]+)\))?$")
RE_ELISION = re.compile(r"^(?P<indent>[ \t]*)(?:\.\.\.|\u2026)[ \t]*$")
LONG_REPR = 60


class Yaml12Loader(pyyaml.SafeLoader):
    """YAML 1.2 booleans (only true/false), as Compose, Kubernetes and GitHub read them: `on:` stays a string."""


Yaml12Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:bool"]
    for k, v in pyyaml.SafeLoader.yaml_implicit_resolvers.copy().items()
}
Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _untagged(loader, _suffix, node):
    if isinstance(node, pyyaml.MappingNode):
        return loader.construct_mapping(node)
    if isinstance(node, pyyaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_scalar(node)


for _prefix in ("!", "tag:yaml.org,2002:python/"):
    Yaml12Loader.add_multi_constructor(_prefix, _untagged)


def elided_lines(fence) -> set[int]:
    """1-based lines that only say "part of the file is left out here" (`...`)."""
    return {i for i, line in enumerate(fence.body, 1) if RE_ELISION.match(line)}


def _render(fence):
    """The block as a file: elisions as comments, and a fragment shown at its depth (every line indented) dedented."""
    body = [RE_ELISION.sub(r"\g<indent># ...", line) for line in fence.body]
    return textwrap.dedent("\n".join(body) + ("\n" if body else "")), 0


def kind_of(doc) -> str | None:
    if not isinstance(doc, dict):
        return None
    if "apiVersion" in doc and "kind" in doc:
        return "kubernetes"
    if "services" in doc:
        return "compose"
    if "on" in doc and "jobs" in doc:
        return "workflow"
    return None


@lru_cache(maxsize=None)
def _vendored(name: str):
    ref = resources.files("check_jsonschema.builtin_schemas.vendor").joinpath(f"{name}.json")
    schema = json.loads(ref.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)


@lru_cache(maxsize=None)
def _k8s_defs(version: str):
    from kubernetes_validate import utils as kv
    return kv.schema_contents(f"kubernetes-json-schema/v{version}-local-strict/_definitions.json", version)


@lru_cache(maxsize=None)
def _k8s_validator(api_version: str, kind: str):
    """Same schema choice as kubernetes_validate.validate(strict=True), with the validator cached."""
    from kubernetes_validate import utils as kv
    from referencing import Registry, Resource

    version = kv.latest_version()
    api = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    try:
        schema = kv.schema_contents(
            f"kubernetes-json-schema/v{version}-local-strict/{kind.lower()}-{api}.json", version)
    except FileNotFoundError:
        return version, None
    registry = Resource.from_contents(schema) @ Registry()
    registry = Resource.from_contents(_k8s_defs(version)) @ registry
    return version, jsonschema.validators.Draft202012Validator(schema, registry=registry)


def node_line(node, path, extra_key: str | None = None) -> int:
    """0-based line of the value at `path` inside a composed YAML node (the key's line for mappings)."""
    line = node.start_mark.line
    for key in path:
        if isinstance(node, pyyaml.MappingNode):
            for k, v in node.value:
                if k.value == str(key):
                    line, node = k.start_mark.line, v
                    break
            else:
                return line
        elif isinstance(node, pyyaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
            line = node.start_mark.line
        else:
            return line
    if extra_key and isinstance(node, pyyaml.MappingNode):
        for k, _ in node.value:
            if k.value == extra_key:
                return k.start_mark.line
    return line


def _describe(value) -> str:
    if isinstance(value, dict):
        keys = ", ".join(map(str, list(value)[:4])) + (", …" if len(value) > 4 else "")
        return f"a mapping ({keys})"
    if isinstance(value, list):
        return f"a list of {len(value)} item(s)"
    if isinstance(value, str):
        return f"a string of {len(value)} characters"
    return type(value).__name__


def _message(err) -> str:
    """jsonschema's message with long Python reprs (a whole mapping, a list of allowed values) said in words."""
    msg = err.message
    instance = repr(err.instance)
    if len(instance) > LONG_REPR and instance in msg:
        msg = msg.replace(instance, _describe(err.instance))
    allowed = repr(err.validator_value)
    if len(allowed) > LONG_REPR and allowed in msg:
        msg = msg.replace(allowed, f"the {len(err.validator_value)} values the schema allows"
                          if isinstance(err.validator_value, list) else "what the schema allows")
    return msg


def _deepest(err):
    """A oneOf/anyOf failure explains itself better through its most specific sub-error."""
    while err.context:
        err = max(err.context, key=lambda e: (len(e.absolute_path), e.validator != "required"))
    return err


def _schema_errors(validator, doc):
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(map(str, e.absolute_path)))
    return [_deepest(e) for e in errors]


def _validate(ctx: Context, fence, doc, node, line0: int) -> None:
    kind = kind_of(doc)
    if kind is None:
        return
    if kind == "kubernetes":
        if not isinstance(doc.get("apiVersion"), str) or not isinstance(doc.get("kind"), str):
            ctx.report(fence, line0 + 1, "yaml-kubernetes", "apiVersion and kind must be strings")
            return
        version, validator = _k8s_validator(doc["apiVersion"], doc["kind"])
        if validator is None:
            ctx.report(fence, node_line(node, ["kind"]) + 1, "yaml-kubernetes",
                       f"Kubernetes {version} has no kind {doc['kind']} in {doc['apiVersion']}")
            return
        check_id, label = "yaml-kubernetes", f"Kubernetes {version} {doc['kind']}"
    elif kind == "compose":
        validator, check_id, label = _vendored("compose-spec"), "yaml-compose", "Compose spec"
    else:
        validator, check_id, label = _vendored("github-workflows"), "yaml-workflow", "GitHub workflow schema"
    for err in _schema_errors(validator, doc):
        extra = None
        m = re.search(r"\('([^']+)'(?:, '[^']+')* (?:was|were) unexpected\)", err.message)
        if m:
            extra = m.group(1)
        where = "/".join(map(str, err.absolute_path)) or "(top level)"
        ctx.report(fence, node_line(node, list(err.absolute_path), extra) + 1, check_id,
                   f"{label}: {where}: {_message(err)}")


def _parse(ctx: Context, fence) -> bool:
    text, _ = _render(fence)
    try:
        nodes = list(pyyaml.compose_all(text, Loader=Yaml12Loader))
        docs = list(pyyaml.load_all(text, Loader=Yaml12Loader))
    except pyyaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        ctx.report(fence, (mark.line + 1) if mark else 1, "yaml-parse", problem)
        return False
    if elided_lines(fence):
        return True
    for doc, node in zip(docs, nodes):
        if node is not None:
            _validate(ctx, fence, doc, node, node.start_mark.line)
    return True


def _yamllint(ctx: Context, fences) -> None:
    if not fences:
        return
    files = ctx.write(fences, "yaml", ".yaml", _render)
    args = [tools.which("yamllint"), "--format", "parsable"]
    config = ctx.config_file(".yamllint.yaml")
    if config is not None:
        args += ["--config-file", str(config)]
    proc = tools.run(args + sorted(k for k in files if "/" in k))
    if proc.returncode not in (0, 1):
        raise tools.UsageError(f"yamllint failed: {(proc.stderr or proc.stdout).strip()[:300]}")
    for raw in proc.stdout.splitlines():
        m = RE_PARSABLE.match(raw)
        if not m or m.group("file") not in files:
            continue
        fence, offset = files[m.group("file")]
        rule = m.group("rule") or "syntax"
        if int(m.group("line")) - offset in elided_lines(fence):
            continue
        ctx.report(fence, int(m.group("line")) - offset, "yaml-yamllint", f"{rule}: {m.group('msg')}")


def check(ctx: Context, fences) -> None:
    parsed = [f for f in fences if _parse(ctx, f)]
    _yamllint(ctx, parsed)
