"""axe-core in a Playwright page: the browser tests' WCAG 2.1 AA check (DESIGN §13).

axe-core is vendored under tests/fixtures/vendor/axe-core/ (see its VENDOR.md) and never served
by the app. Our pages' Content-Security-Policy refuses inline scripts, so ``add_script_tag``
would be blocked (and would log a CSP refusal the tests count as an error); the source is
evaluated through the DevTools protocol instead, which the page's CSP does not govern.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Page

AXE_JS = Path(__file__).resolve().parents[1] / "fixtures" / "vendor" / "axe-core" / "axe.min.js"
WCAG_21_AA = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")

_RUN = """tags => axe.run(document, {
    runOnly: {type: "tag", values: tags},
    resultTypes: ["violations"],
}).then(result => result.violations.map(v => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    helpUrl: v.helpUrl,
    nodes: v.nodes.map(n => ({target: n.target, summary: n.failureSummary})),
})))"""


@cache
def _axe_source() -> str:
    # A trailing expression so the script is not taken for a function to call.
    return AXE_JS.read_text(encoding="utf-8") + "\n;void 0;"


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """The WCAG 2.0/2.1 A and AA violations axe-core finds in the page as it is now."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(_axe_source())
    violations: list[dict[str, Any]] = page.evaluate(_RUN, list(WCAG_21_AA))
    return violations


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']}  <{v['helpUrl']}>")
        for node in v["nodes"]:
            # A target is a CSS selector, or a list of them through shadow roots and frames.
            target = ", ".join(
                " >>> ".join(t) if isinstance(t, list) else t for t in node["target"]
            )
            summary = " ".join(str(node["summary"] or "").split())
            lines.append(f"    {target}: {summary}")
    return "\n".join(lines)


def assert_accessible(page: Page, where: str) -> None:
    """Fail the test, listing rule, impact, selectors and help link, if axe finds a violation."""
    violations = axe_violations(page)
    if violations:
        version = page.evaluate("axe.version")
        heading = f"axe-core {version}: WCAG 2.1 AA violations on {where} ({page.url}):"
        pytest.fail(heading + "\n" + describe(violations), pytrace=False)
