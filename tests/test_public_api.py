"""The package root re-exports every public construct, lazily.

``from secure_sagemaker import KeyRing`` gives the class that ``secure_sagemaker.encryption``
defines. The re-exports are resolved on first use (PEP 562 ``__getattr__``), so that
``import secure_sagemaker`` and the pure-Python rule engine and CLI never import ``aws_cdk``:
that is what keeps ``secure-sagemaker audit`` fast.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
import subprocess
import sys

import pytest
from constructs import Construct

import secure_sagemaker
from tests.helpers import ROOT

#: What keeps `audit` fast: none of these may be imported by the package root, the engine or the CLI.
CDK_MODULES = ("aws_cdk", "constructs", "cdk_nag", "jsii")


def _public_constructs() -> dict[str, type]:
    """Every public Construct subclass defined in a module of secure_sagemaker, by name."""
    found: dict[str, type] = {}
    for info in pkgutil.walk_packages(secure_sagemaker.__path__, "secure_sagemaker."):
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if (
                inspect.isclass(obj)
                and obj.__module__ == module.__name__
                and not name.startswith("_")
                and issubclass(obj, Construct)
            ):
                assert name not in found, f"two public constructs named {name}: {found[name]} and {obj}"
                found[name] = obj
    return found


def _type_checking_imports() -> dict[str, str]:
    """Name -> module of the ``from M import N`` lines in __init__.py's ``if TYPE_CHECKING:`` block."""
    tree = ast.parse((ROOT / "secure_sagemaker" / "__init__.py").read_text())
    (block,) = [n for n in tree.body if isinstance(n, ast.If) and ast.unparse(n.test) == "TYPE_CHECKING"]
    imports = {}
    for node in block.body:
        assert isinstance(node, ast.ImportFrom) and node.module, ast.unparse(node)
        for alias in node.names:
            assert alias.asname is None, ast.unparse(node)
            imports[alias.name] = node.module
    return imports


@pytest.mark.parametrize("name", secure_sagemaker.__all__)
def test_every_exported_name_is_the_object_its_module_defines(name: str) -> None:
    exported = getattr(secure_sagemaker, name)
    module = importlib.import_module(secure_sagemaker._EXPORTS[name])
    assert exported is getattr(module, name)
    # Its module is where it is defined (or, for a function, where it lives): no re-export of a re-export.
    assert exported.__module__ == module.__name__
    namespace: dict = {}
    exec(f"from secure_sagemaker import {name}", namespace)  # noqa: S102 - the import users write
    assert namespace[name] is exported


def test_all_lists_the_lazy_table_once_and_dir_shows_it() -> None:
    assert len(secure_sagemaker.__all__) == len(set(secure_sagemaker.__all__))
    assert set(secure_sagemaker.__all__) == set(secure_sagemaker._EXPORTS)
    listed = dir(secure_sagemaker)
    assert set(secure_sagemaker.__all__) <= set(listed)
    assert "__version__" in listed
    assert listed == sorted(listed)


def test_type_checkers_see_the_same_names_as_the_lazy_table() -> None:
    """The ``if TYPE_CHECKING:`` imports (what IDEs and mypy read) match what runs."""
    assert _type_checking_imports() == secure_sagemaker._EXPORTS


def test_every_public_construct_is_exported_from_the_package_root() -> None:
    constructs = _public_constructs()
    assert {"KeyRing", "SecureSageMakerStack", "ProtectedInferenceApi"} <= set(constructs)  # the walk found them
    missing = sorted(set(constructs) - set(secure_sagemaker.__all__))
    assert missing == [], (
        f"add these constructs to _EXPORTS (and the TYPE_CHECKING block) in secure_sagemaker/__init__.py: {missing}"
    )
    for name, cls in constructs.items():
        assert getattr(secure_sagemaker, name) is cls


def test_unknown_attribute_raises_attribute_error() -> None:
    with pytest.raises(AttributeError, match=r"^module 'secure_sagemaker' has no attribute 'NoSuchThing'$"):
        secure_sagemaker.NoSuchThing  # noqa: B018
    assert not hasattr(secure_sagemaker, "NoSuchThing")
    with pytest.raises(ImportError, match="NoSuchThing"):
        exec("from secure_sagemaker import NoSuchThing", {})  # noqa: S102
    # Submodules still import as submodules, not through the lazy table.
    namespace: dict = {}
    exec("from secure_sagemaker import storage, nag", namespace)  # noqa: S102
    assert namespace["storage"] is importlib.import_module("secure_sagemaker.storage")


def _fresh_python(code: str) -> list[str]:
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout.splitlines()


def test_importing_the_package_engine_and_cli_does_not_import_the_cdk() -> None:
    """What keeps `secure-sagemaker audit` fast; the first construct looked up then brings the CDK in."""
    code = (
        "import sys\n"
        "import secure_sagemaker, secure_sagemaker.nag.engine, secure_sagemaker.cli\n"
        "dir(secure_sagemaker); secure_sagemaker.__version__; secure_sagemaker.__all__\n"
        f"print(sorted(m for m in {CDK_MODULES!r} if m in sys.modules))\n"
        "from secure_sagemaker import KeyRing\n"
        "print('aws_cdk' in sys.modules, KeyRing.__module__)\n"
    )
    before, after = _fresh_python(code)
    assert before == "[]", f"imported without any construct being used: {before}"
    assert after == "True secure_sagemaker.encryption"


def _prop_doc(doc: str, prop: str) -> str | None:
    """The text documenting ``prop`` in a construct's docstring (``:param prop:`` or ``- ``prop``:``)."""
    for pattern in (rf":param {prop}:", rf"^\s*- ``{prop}``"):
        match = re.search(pattern, doc, re.MULTILINE)
        if match:
            rest = doc[match.end() :]
            end = re.search(r"\n(?=\S)|\n\s*\n|\n\s*- ``", rest)
            return rest[: end.start()] if end else rest
    return None


def prop_doc_problems(cls: type) -> list[str]:
    """Keyword-only props of ``cls`` whose docstring entry is missing or states no default."""
    doc = inspect.getdoc(cls) or ""
    problems = []
    for prop, parameter in inspect.signature(cls.__init__).parameters.items():
        if parameter.kind is not parameter.KEYWORD_ONLY:
            continue
        text = _prop_doc(doc, prop)
        if text is None:
            problems.append(f"{cls.__name__}.{prop}: not documented")
        elif not re.search(r"\b(Default|Required|required)\b", text):
            problems.append(f"{cls.__name__}.{prop}: no default (say 'Default: ...' or 'Required')")
    return problems


CONSTRUCTS = sorted(
    n
    for n in secure_sagemaker.__all__
    if inspect.isclass(getattr(secure_sagemaker, n))
    and issubclass(getattr(secure_sagemaker, n), Construct)
    # a class that keeps its base's __init__ (DeployTimeZonesStack) has no props of its own
    and "__init__" in vars(getattr(secure_sagemaker, n))
)


@pytest.mark.parametrize("name", CONSTRUCTS)
def test_every_prop_of_every_construct_is_documented_with_its_default(name: str) -> None:
    assert prop_doc_problems(getattr(secure_sagemaker, name)) == []


def test_prop_doc_problems_reports_a_missing_prop_and_a_missing_default() -> None:
    class Example(Construct):
        """An example.

        :param documented: what it is. Default: none.
        :param vague: what it is, with no default stated.
        """

        def __init__(self, scope, id, *, documented=None, vague=None, forgotten=None) -> None:
            super().__init__(scope, id)

    assert prop_doc_problems(Example) == [
        "Example.vague: no default (say 'Default: ...' or 'Required')",
        "Example.forgotten: not documented",
    ]
