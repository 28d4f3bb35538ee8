"""bench/RESULTS.md: one section per benchmark script, replaced in place, in a fixed order."""

from __future__ import annotations

from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
ORDER = ("Core (", "Chat (", "Web UI (", "Accounts (")


def table_section(title: str, intro: list[str], results: dict[str, str], met: dict[str, bool]) -> str:
    """A `## title` section: intro bullet lines, then the measurements and the targets as tables."""
    lines = [f"## {title}", "", *intro, "", "| measurement | result |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in results.items()]
    lines += ["", "| target | met |", "|---|---|"]
    lines += [f"| {k} | {'yes' if v else '**NO**'} |" for k, v in met.items()]
    return "\n".join(lines) + "\n"


def replace_section(section: str) -> Path:
    """Put `section` (starting "## <title>") in place of the section with the same title prefix."""
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    head, *parts = text.split("\n## ")
    sections = {_key(p): "## " + p.strip("\n") + "\n" for p in parts}
    sections[_key(section.removeprefix("## "))] = section.strip("\n") + "\n"
    ordered = sorted(sections, key=lambda k: ORDER.index(k) if k in ORDER else len(ORDER))
    RESULTS.write_text(head.rstrip("\n") + "\n\n" + "\n".join(sections[k] for k in ordered))
    return RESULTS


def _key(part: str) -> str:
    return next((o for o in ORDER if part.startswith(o)), part.split("\n", 1)[0])
