"""A small structural checker for OpenTofu modules, standing in for ``tofu validate``.

Provider plugins cannot be downloaded where the tests run, so ``validate`` is out of reach. This
reads every ``.tf`` of a module with python-hcl2 and checks what validate would catch without
provider schemas: references to undeclared variables, locals, modules, module outputs, data
sources and resources; module calls whose inputs do not match the called module's variables;
resource types whose provider is not required; unused variables; ``file()`` paths that do not
exist; tfvars that set undeclared variables.

python-hcl2 (v7+) renders labels and string literals with their quotes and expressions as
``${...}``; the helpers below undo that.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hcl2

REPO_ROOT = Path(__file__).resolve().parents[2]
ROOTS = {"iac": REPO_ROOT / "iac", "postgres/iac": REPO_ROOT / "postgres" / "iac"}

# Arguments every module block takes besides the module's own variables.
MODULE_META_ARGS = {"source", "version", "for_each", "count", "depends_on", "providers"}
# Reference prefixes that are not objects of the module itself.
BUILTIN_PREFIXES = {"each", "count", "path", "self", "terraform"}
BUILTIN_RESOURCE_TYPES = {"terraform_data", "null_resource"}

# var.x / local.x / data.t.n / module.m.out, with an optional [key] before the attribute.
_REF = re.compile(
    r"(?<![\w.\"])(var|local|module|data)\.([A-Za-z_][\w-]*)(?:\[[^\]]*\])?(?:\.([A-Za-z_][\w-]*))?"
)
_RESOURCE_REF = re.compile(r"(?<![\w./\"])([a-z][a-z0-9]*_[a-z0-9_]+)\.([A-Za-z_][\w-]*)")
_PATH_MODULE_FILE = re.compile(
    r"\b(?:file|filesha256|filebase64|templatefile)\(\"\$\{path\.module\}/([^\"]+)\""
)


def unquote(text: str) -> str:
    """A label or string literal as HCL means it: ``'"name"'`` -> ``name``."""
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return text[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    return text


def interpolations(value: str) -> Iterator[str]:
    """The expression texts in one rendered value: a whole ``${...}`` or each ``${...}`` of a template."""
    if value.startswith("${") and value.endswith("}") and not value.startswith('"'):
        yield value[2:-1]
        return
    i = 0
    while (start := value.find("${", i)) != -1:
        if start > 0 and value[start - 1] == "$":  # $${ is a literal ${
            i = start + 2
            continue
        depth, j = 1, start + 2
        while j < len(value) and depth:
            depth += {"{": 1, "}": -1}.get(value[j], 0)
            j += 1
        yield value[start + 2 : j - 1]
        i = j


def walk_values(node: Any) -> Iterator[str]:
    """Every string value under ``node`` (blocks, attributes, lists), skipping parser bookkeeping."""
    if isinstance(node, dict):
        for key, val in node.items():
            if not str(key).startswith("__"):
                yield from walk_values(val)
    elif isinstance(node, list):
        for item in node:
            yield from walk_values(item)
    elif isinstance(node, str):
        yield node


def expressions(node: Any) -> Iterator[str]:
    for value in walk_values(node):
        yield from interpolations(value)


@dataclass
class TfModule:
    """The declarations of one directory of ``.tf`` files."""

    path: Path
    variables: dict[str, dict[str, Any]] = field(default_factory=dict)
    locals: dict[str, Any] = field(default_factory=dict)
    resources: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    data: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    modules: dict[str, dict[str, Any]] = field(default_factory=dict)
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    providers: dict[str, dict[str, Any]] = field(default_factory=dict)
    terraform: list[dict[str, Any]] = field(default_factory=list)
    raw: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def required_providers(self) -> dict[str, dict[str, str]]:
        found: dict[str, dict[str, str]] = {}
        for block in self.terraform:
            for rp in block.get("required_providers", []):
                for name, spec in rp.items():
                    if not name.startswith("__"):
                        found[name] = {k: unquote(v) for k, v in spec.items() if not k.startswith("__")}
        return found

    @property
    def backends(self) -> dict[str, dict[str, str]]:
        found: dict[str, dict[str, str]] = {}
        for block in self.terraform:
            for backend in block.get("backend", []):
                for kind, body in backend.items():
                    found[unquote(kind)] = {k: unquote(v) for k, v in body.items() if not k.startswith("__")}
        return found

    def bodies(self) -> Iterator[tuple[str, Any]]:
        """(where, body) of every declaration whose expressions are evaluated."""
        for name, body in self.variables.items():
            yield f"variable.{name}", body
        for name, expr in self.locals.items():
            yield f"local.{name}", expr
        for (rtype, name), body in self.resources.items():
            yield f"{rtype}.{name}", body
        for (dtype, name), body in self.data.items():
            yield f"data.{dtype}.{name}", body
        for name, body in self.modules.items():
            yield f"module.{name}", body
        for name, body in self.outputs.items():
            yield f"output.{name}", body
        for name, body in self.providers.items():
            yield f"provider.{name}", body


def load_module(path: Path) -> TfModule:
    mod = TfModule(path=path)
    for tf in sorted(path.glob("*.tf")):
        with tf.open() as fh:
            doc = hcl2.load(fh)
        mod.raw[tf.name] = doc
        for block in doc.get("variable", []):
            mod.variables.update({unquote(k): v for k, v in block.items() if not k.startswith("__")})
        for block in doc.get("locals", []):
            mod.locals.update({k: v for k, v in block.items() if not k.startswith("__")})
        for kind, target in (("resource", mod.resources), ("data", mod.data)):
            for block in doc.get(kind, []):
                for rtype, named in block.items():
                    for name, body in named.items():
                        if not name.startswith("__"):
                            target[(unquote(rtype), unquote(name))] = body
        for block in doc.get("module", []):
            mod.modules.update({unquote(k): v for k, v in block.items() if not k.startswith("__")})
        for block in doc.get("output", []):
            mod.outputs.update({unquote(k): v for k, v in block.items() if not k.startswith("__")})
        for block in doc.get("provider", []):
            mod.providers.update({unquote(k): v for k, v in block.items() if not k.startswith("__")})
        mod.terraform.extend(doc.get("terraform", []))
    return mod


def module_source_dir(mod: TfModule, call: dict[str, Any]) -> Path | None:
    source = unquote(call.get("source", ""))
    if source.startswith(("./", "../")):
        return (mod.path / source).resolve()
    return None


def _is_sensitive(body: dict[str, Any]) -> bool:
    return body.get("sensitive") is True


def check_module(mod: TfModule) -> list[str]:
    """Every structural problem of ``mod`` (and of the local modules it calls), one line each."""
    problems: list[str] = []
    providers = mod.required_providers
    used_vars: set[str] = set()

    for where, body in mod.bodies():
        for expr in expressions(body):
            for kind, name, attr in _REF.findall(expr):
                if kind == "var":
                    used_vars.add(name)
                    if name not in mod.variables:
                        problems.append(f"{mod.path.name}: {where} uses undeclared var.{name}")
                elif kind == "local" and name not in mod.locals:
                    problems.append(f"{mod.path.name}: {where} uses undeclared local.{name}")
                elif kind == "data" and (name, attr) not in mod.data:
                    problems.append(f"{mod.path.name}: {where} uses undeclared data.{name}.{attr}")
                elif kind == "module":
                    problems.extend(_check_module_ref(mod, where, name, attr))
            for rtype, name in _RESOURCE_REF.findall(expr):
                known_type = rtype in BUILTIN_RESOURCE_TYPES or rtype.split("_", 1)[0] in providers
                if known_type and (rtype, name) not in mod.resources:
                    problems.append(f"{mod.path.name}: {where} uses undeclared resource {rtype}.{name}")
        for value in walk_values(body):
            for rel in _PATH_MODULE_FILE.findall(value):
                if not (mod.path / rel).is_file():
                    problems.append(f"{mod.path.name}: {where} reads missing file {rel}")

    for where, body in mod.bodies():
        if not isinstance(body, dict) or where.startswith(("variable.", "output.", "local.", "provider.")):
            continue
        exprs = list(expressions({k: v for k, v in body.items() if k not in {"for_each", "count"}}))
        if "for_each" not in body and any(re.search(r"\beach\.(key|value)\b", e) for e in exprs):
            problems.append(f"{mod.path.name}: {where} uses each.* without for_each")
        if "count" not in body and any(re.search(r"\bcount\.index\b", e) for e in exprs):
            problems.append(f"{mod.path.name}: {where} uses count.index without count")

    for name in sorted(set(mod.variables) - used_vars):
        problems.append(f"{mod.path.name}: variable {name} is declared but never used")
    problems.extend(_check_declarations(mod))
    for name, call in mod.modules.items():
        problems.extend(_check_module_call(mod, name, call))
    problems.extend(_check_tfvars(mod))
    return problems


def _check_module_ref(mod: TfModule, where: str, name: str, attr: str) -> list[str]:
    if name not in mod.modules:
        return [f"{mod.path.name}: {where} uses undeclared module.{name}"]
    src = module_source_dir(mod, mod.modules[name])
    if src is not None and attr and attr not in load_module(src).outputs:
        return [f"{mod.path.name}: {where} uses module.{name}.{attr}, not an output of {src.name}"]
    return []


def _check_declarations(mod: TfModule) -> list[str]:
    problems: list[str] = []
    providers = mod.required_providers
    for name, spec in providers.items():
        if not spec.get("source") or not spec.get("version"):
            problems.append(f"{mod.path.name}: provider {name} needs both source and version")
    for rtype, _ in [*mod.resources, *mod.data]:
        if rtype not in BUILTIN_RESOURCE_TYPES and rtype.split("_", 1)[0] not in providers:
            problems.append(f"{mod.path.name}: {rtype} belongs to no provider in required_providers")
    for name, body in mod.variables.items():
        if "type" not in body:
            problems.append(f"{mod.path.name}: variable {name} has no type")
        if not unquote(str(body.get("description", ""))).strip():
            problems.append(f"{mod.path.name}: variable {name} has no description")
        if re.search(r"_(password|token|secret|secrets|private_key)$", name) and not _is_sensitive(body):
            problems.append(f"{mod.path.name}: variable {name} looks secret but is not sensitive")
    for name, body in mod.outputs.items():
        if not unquote(str(body.get("description", ""))).strip():
            problems.append(f"{mod.path.name}: output {name} has no description")
        leaks = [e for e in expressions(body.get("value", "")) if ".result" in e and "random_password." in e]
        sensitive_vars = [n for e in expressions(body.get("value", "")) for k, n, _ in _REF.findall(e)
                          if k == "var" and _is_sensitive(mod.variables.get(n, {}))]
        if (leaks or sensitive_vars) and not _is_sensitive(body):
            problems.append(f"{mod.path.name}: output {name} exposes a secret but is not sensitive")
    return problems


def _check_module_call(mod: TfModule, name: str, call: dict[str, Any]) -> list[str]:
    src = module_source_dir(mod, call)
    if src is None:
        return []
    if not src.is_dir() or not list(src.glob("*.tf")):
        return [f"{mod.path.name}: module {name} points at {src}, which has no .tf files"]
    child = load_module(src)
    given = {k for k in call if not k.startswith("__")} - MODULE_META_ARGS
    required = {v for v, body in child.variables.items() if "default" not in body}
    where = f"{mod.path.name}: module {name}"
    problems = [f"{where} passes unknown input {i}" for i in sorted(given - set(child.variables))]
    problems += [f"{where} misses required input {i}" for i in sorted(required - given)]
    problems += [f"{src.name} (module {name}): {p}" for p in check_module(child)]
    return problems


def _check_tfvars(mod: TfModule) -> list[str]:
    problems: list[str] = []
    for tfvars in sorted(mod.path.glob("*.tfvars")):
        with tfvars.open() as fh:
            doc = hcl2.load(fh)
        for key in doc:
            if not key.startswith("__") and key not in mod.variables:
                problems.append(f"{mod.path.name}: {tfvars.name} sets undeclared variable {key}")
    return problems
