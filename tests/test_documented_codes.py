"""The docs name only codes the code sends, and every code the domain declares is documented.

Codes are read from the source (every upper-case string constant in ``traceapp``, plus the
``INVALID_<GS1 code>`` that ``validation`` and ``verifyItem`` build from the GS1 errors' codes)
and from the docs (every back-quoted upper-case identifier). ``TRACEAPP_*`` names in the docs are
settings: each must be read by the code.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

from traceapp.errors import DomainError

ROOT = Path(__file__).resolve().parent.parent
CODE_LIKE = re.compile(r"`([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)`")
# Upper-case names the docs quote that are not error codes: Flask/WSGI settings. (Our own
# module constants, e.g. ``MAX_REPORT_BODY``, are recognised as constants by ``_constant_names``.)
NOT_CODES = frozenset({"MAX_CONTENT_LENGTH", "REMOTE_ADDR"})


def _constants(folder: Path) -> Iterator[str]:
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                yield node.value


def _constant_names() -> set[str]:
    """Upper-case names assigned in ``traceapp``: constants the docs may quote by name."""
    names = set()
    for path in (ROOT / "traceapp").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets = node.targets if isinstance(node, ast.Assign) else []
            if isinstance(node, ast.AnnAssign):
                targets = [node.target]
            names |= {t.id for t in targets if isinstance(t, ast.Name) and t.id.isupper()}
    return names


def _gs1_codes() -> set[str]:
    """The lower-case ``code=`` of every GS1 error raised in ``traceapp/gs1``."""
    codes = set()
    for path in (ROOT / "traceapp" / "gs1").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.keyword)
                and node.arg == "code"
                and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str)
            ):
                codes.add(node.value.value)
    return codes


def _sent_codes() -> set[str]:
    constants = {c for c in _constants(ROOT / "traceapp") if c.isupper()}
    return constants | {"INVALID_" + code.upper() for code in _gs1_codes()}


def _documented() -> dict[str, list[str]]:
    named: dict[str, list[str]] = {}
    for path in sorted((ROOT / "docs").glob("*.md")):
        for match in CODE_LIKE.finditer(path.read_text(encoding="utf-8")):
            named.setdefault(match.group(1), []).append(path.name)
    return named


def _subclasses(cls: type[DomainError]) -> Iterator[type[DomainError]]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_every_code_the_docs_name_is_sent_by_the_code() -> None:
    sent = _sent_codes()
    constants = _constant_names()
    named = {
        code: files
        for code, files in _documented().items()
        if not code.startswith("TRACEAPP_") and code not in NOT_CODES | constants
    }
    assert "INVALID_CHECK_DIGIT" in named  # the GS1 codes are named as the API sends them
    unknown = {code: files for code, files in named.items() if code not in sent}
    assert not unknown, f"docs name codes the code never sends: {unknown}"


def test_every_setting_the_docs_name_is_read() -> None:
    read = set(_constants(ROOT / "traceapp")) | set(_constants(ROOT / "tests"))
    settings = {code for code in _documented() if code.startswith("TRACEAPP_")}
    assert "TRACEAPP_DATABASE_URL" in settings
    unread = sorted(
        s for s in settings if s not in read and s.removeprefix("TRACEAPP_") not in read
    )
    assert not unread, f"docs name settings nothing reads: {unread}"


def test_every_declared_domain_code_is_documented() -> None:
    import traceapp.server  # noqa: F401  (imports every domain's errors)

    declared = {cls.code for cls in _subclasses(DomainError)} | {
        c for c in _keyword_codes() if c.isupper()
    }
    docs = "".join(p.read_text(encoding="utf-8") for p in (ROOT / "docs").glob("*.md"))
    undocumented = sorted(code for code in declared if f"`{code}`" not in docs)
    assert not undocumented, f"codes the API can send but the docs never name: {undocumented}"


def _keyword_codes() -> Iterator[str]:
    """``code="…"`` passed to an error anywhere in ``traceapp``."""
    for path in (ROOT / "traceapp").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.keyword)
                and node.arg == "code"
                and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str)
            ):
                yield node.value.value
