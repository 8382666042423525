"""The search backend's seam: Whoosh is imported only inside ``search.backend.whoosh``,
and only with the Whoosh-Reloaded version whose internals that package was checked
against (its docstring lists them)."""
from __future__ import annotations

import ast
import importlib.metadata
import io
import pickle
import re
from pathlib import Path

import pytest

from search.backend import IndexStore, Writer
from search.backend.whoosh import CHECKED_WHOOSH_VERSION

PROJECT_ROOT = Path(__file__).resolve().parents[2]
BACKEND = PROJECT_ROOT / "search" / "backend" / "whoosh"


def test_the_installed_whoosh_reloaded_is_the_version_the_backend_was_checked_against():
    installed = importlib.metadata.version("Whoosh-Reloaded")
    if installed != CHECKED_WHOOSH_VERSION:
        pytest.fail(
            f"Whoosh-Reloaded {installed} is installed, but search/backend/whoosh relies on private "
            f"internals of Whoosh-Reloaded {CHECKED_WHOOSH_VERSION} (listed in its __init__ docstring). "
            f"Check each of them in {installed}'s source, run tests/search, then set "
            f"CHECKED_WHOOSH_VERSION and the pin in requirements.txt to {installed}.",
            pytrace=False,
        )


def test_requirements_pin_the_checked_version():
    pins = re.findall(r"^Whoosh-Reloaded==(\S+)\s*$", (PROJECT_ROOT / "requirements.txt").read_text(encoding="utf-8"),
                      flags=re.MULTILINE | re.IGNORECASE)
    assert pins == [CHECKED_WHOOSH_VERSION], (
        f"requirements.txt pins Whoosh-Reloaded {pins or 'nowhere'}; search/backend/whoosh was checked against "
        f"{CHECKED_WHOOSH_VERSION}")


def _imports_whoosh(path: Path) -> list[int]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level:
            names = [node.module or ""]
        else:
            continue
        if any(name == "whoosh" or name.startswith("whoosh.") for name in names):
            lines.append(node.lineno)
    return lines


def test_only_the_backend_imports_whoosh():
    outside = {}
    for path in sorted([*(PROJECT_ROOT / "search").rglob("*.py"), *(PROJECT_ROOT / "participation").rglob("*.py")]):
        if BACKEND in path.parents:
            continue
        lines = _imports_whoosh(path)
        if lines:
            outside[str(path.relative_to(PROJECT_ROOT))] = lines
    assert not outside, f"Whoosh imported outside search/backend/whoosh: {outside}"
    assert _imports_whoosh(BACKEND / "codec.py"), "the check itself finds nothing"


#: The classes of this package an index's table of contents names (it pickles the schema
#: and the segments with their codec), by module path.
PICKLED = {
    "search.backend.whoosh.codec": {"SearchCodec", "StringColumn", "Int64Column", "TextColumn"},
    "search.backend.whoosh.schema": {"WordTokenizer", "GramTokenizer", "CountedTerms", "CountedText"},
}


def test_the_classes_an_index_pickles_keep_their_module_paths(tmp_path):
    """A class moved to another module makes every existing generation unreadable (and
    rebuilt from the database): move one only with a SCHEMA_VERSION bump, and update
    PICKLED."""
    _name, path, ix = IndexStore(tmp_path).create_generation()
    with Writer(ix) as writer:
        writer.upsert({"doc_id": "opinion:1", "kind": "opinion", "parts": ["停车位不足。"], "draft": "1"})
    named: dict[str, set[str]] = {}

    class Recording(pickle.Unpickler):
        def find_class(self, module, name):
            if module.startswith("search."):
                named.setdefault(module, set()).add(name)
            return super().find_class(module, name)

    tocs = list(path.glob("*.toc"))
    assert tocs
    for toc in tocs:
        # Whoosh's TOC (TOC.write): a header, the schema pickled with protocol 2 (after its
        # length), the generation and an unused number (4 bytes each), the segments pickled.
        data = toc.read_bytes()
        stream = io.BytesIO(data[data.index(b"\x80\x02"):])
        Recording(stream).load()
        stream.seek(8, io.SEEK_CUR)
        Recording(stream).load()
    assert named == PICKLED
