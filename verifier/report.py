"""Reports: `report.json` for programs, `report.md` for people, and the public schemas.

`report.json` is validated against `schemas/report.schema.json` before it is written,
so a consumer can rely on the published schema, not on our code.
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, get_args, get_origin

import fastjsonschema
from pydantic import TypeAdapter

from . import resource_dir, timing
from .models import AsOf, Contradiction, Explained, Gold, GroundedClaim, Report, Timeline
from .terminal import printable

SCHEMAS: dict[str, type[Report] | type[Gold]] = {"report": Report, "gold": Gold}
SCHEMA_DIR = resource_dir("schemas")


def schema_of(name: str) -> dict[str, Any]:
    """The JSON Schema of a public format, generated from its pydantic model."""
    schema = SCHEMAS[name].model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema


def write_schemas(directory: Path = SCHEMA_DIR) -> list[Path]:
    """Regenerate schemas/*.schema.json from the models."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name in SCHEMAS:
        path = directory / f"{name}.schema.json"
        path.write_text(json.dumps(schema_of(name), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(path)
    return written


def _published_schema(name: str) -> dict[str, Any]:
    path = SCHEMA_DIR / f"{name}.schema.json"
    if path.exists():
        loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return loaded
    return schema_of(name)


@functools.cache
def _report_validator() -> Callable[[Any], Any]:
    """The published report schema compiled to code once (a large report validates in milliseconds)."""
    return fastjsonschema.compile(_published_schema("report"))


@functools.cache
def _item_validator(field: str) -> Callable[[Any], Any]:
    """The published schema of one item of the report's list `field`, compiled once, with the
    definitions it refers to: a report is validated item by item as it is written, never whole."""
    schema = _published_schema("report")
    return fastjsonschema.compile({**schema["properties"][field]["items"], "$defs": schema.get("$defs", {})})


@functools.cache
def _item_adapter(field: str) -> TypeAdapter[Any]:
    """The serializer of one item of the report's list `field`, as the report's own field serializes
    it (the declared type, not the item's own class: a subclass adds nothing to report.json)."""
    (item_type,) = get_args(Report.model_fields[field].annotation)
    return TypeAdapter(item_type)


_LIST_FIELDS = tuple(name for name, info in Report.model_fields.items() if get_origin(info.annotation) is list)


class OutputError(Exception):
    """The report could not be written where asked; the one-line message says where and why."""


REPORT_FILES = ("report.json", "report.md")


def check_out_dir(out_dir: Path) -> None:
    """Fail before any work when the report could not be written to `out_dir`.

    Without this a long batch would find out at its last step. Nothing is created here: the
    nearest existing folder on the way must be writable, and report files already there overwritable.
    """
    existing = out_dir
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise OutputError(f"cannot write the report to {out_dir}: {existing} is a file, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write the report to {out_dir}: {existing} is not writable")
    for name in REPORT_FILES:
        target = out_dir / name
        if target.is_dir() or (target.exists() and not os.access(target, os.W_OK)):
            raise OutputError(f"cannot write the report to {target}: it is a folder or read-only")


def write_report(report: Report, out_dir: Path) -> tuple[Path, Path]:
    """Validate report.json against the published schema, then write it and report.md into `out_dir`.

    report.json is encoded, validated and written one list item at a time: encoding the whole report
    to one string and decoding it again for the validator held about three copies of the batch
    (a tenth of a GB per 10,000 documents) at the run's peak. The bytes are those of
    `report.model_dump_json(indent=2)`. It is written beside its final name and renamed once the last
    item is valid, so an invalid report leaves nothing behind, as before.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path, md_path = out_dir / "report.json", out_dir / "report.md"
    partial = out_dir / f".report.json.{os.getpid()}.partial"
    try:
        with partial.open("w", encoding="utf-8") as out:
            for chunk in report_json_chunks(report):
                out.write(chunk)
            out.write("\n")
        os.replace(partial, json_path)
    finally:
        partial.unlink(missing_ok=True)
    md_path.write_text(render_markdown(report), encoding="utf-8")
    return json_path, md_path


def report_json_chunks(report: Report) -> Iterator[str]:
    """`report.model_dump_json(indent=2)` in pieces, each validated against the published schema
    before it is yielded (ValueError at the first that is not): the report without its lists, then
    each list's items, encoded as the report encodes them and indented to their depth."""
    skeleton_text = report.model_copy(update={name: [] for name in _LIST_FIELDS}).model_dump_json(indent=2)
    _validate(_report_validator(), skeleton_text)
    for line in skeleton_text.split("\n"):
        name, items = _streamed_list(line, report)
        if name is None or not items:
            yield line + "\n" if line != "}" else line
            continue
        comma = "," if line.endswith(",") else ""
        adapter, validator = _item_adapter(name), _item_validator(name)
        yield f'  "{name}": [\n'
        for n, item in enumerate(items):
            text = adapter.dump_json(item, indent=2).decode("utf-8")
            _validate(validator, text)
            yield ("" if n == 0 else ",\n") + "    " + text.replace("\n", "\n    ")
        yield f"\n  ]{comma}\n"


def _streamed_list(line: str, report: Report) -> tuple[str | None, list[Any]]:
    """The report's list a line of the skeleton stands for ('  "claims": [],'), with its items."""
    for name in _LIST_FIELDS:
        if line in (f'  "{name}": [],', f'  "{name}": []'):
            items: list[Any] = getattr(report, name)
            return name, items
    return None, []


def _validate(validator: Callable[[Any], Any], text: str) -> None:
    try:
        validator(json.loads(text))
    except fastjsonschema.JsonSchemaException as exc:
        raise ValueError(f"report does not match schemas/report.schema.json: {exc}") from exc


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]|~!])")
_HTML_SPECIAL = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_LINE_START = re.compile(r"^(\d+)(?=[.)])|^(?=[#>+=-])")


def _cell(text: str) -> str:
    """A value from a document or a model, shown as text on one line: no HTML a viewer would
    run ('<script>', '<img onerror>'), no Markdown that would turn it into a link, an image or
    emphasis, no '|' that would break a table row."""
    flat = printable(" ".join(text.split()), one_line=True).translate(_HTML_SPECIAL)
    return _MARKDOWN_SPECIAL.sub(r"\\\1", flat)


def _line(text: str) -> str:
    """`_cell` for a value that opens a line: nor a heading, quote, list or rule either."""
    return _LINE_START.sub(lambda m: (m.group(1) or "") + "\\", _cell(text), count=1)


def _when(as_of: AsOf | None) -> str:
    if as_of is None:
        return ""
    span = timing.describe(as_of)
    return f"{span} (document date)" if as_of.source == "document" else f"{span} ({as_of.text})"


def _side(claim: GroundedClaim) -> str:
    """One side of a flag: document, offsets, the quote, and what the claim says."""
    extras = [f"{claim.subject} — {claim.attribute}: {claim.value}"]
    framed = claim.frame.describe() if claim.frame else ""
    if framed:
        extras.append("frame: " + framed)
    if claim.conditions:
        extras.append("conditions: " + ", ".join(claim.conditions))
    if claim.as_of is not None:
        extras.append("as of " + _when(claim.as_of))
    if claim.asserted_by:
        extras.append("asserted by: " + claim.asserted_by)
    if claim.hedged:
        extras.append("hedged")
    tail = f" <br>_{_cell('; '.join(extras))}_"
    return f"**{_cell(claim.document)}** ({claim.start}–{claim.end}): “{_cell(claim.quote)}”{tail}"


def _contradiction_md(n: int, flag: Contradiction) -> list[str]:
    a, b = flag.claims
    attributes = a.attribute if a.attribute == b.attribute else f"{a.attribute} / {b.attribute}"
    title = flag.question or f"{a.subject} — {attributes}:"
    lines = [
        f"### {n}. {_cell(title)} {_cell(a.value)} vs {_cell(b.value)}",
        "",
        f"`{flag.id}` · {flag.kind} · **{flag.severity}**" + (" · conditions differ" if flag.conditions_differ else ""),
        "",
        "| | |",
        "|---|---|",
        f"| {_side(a)} | {_side(b)} |",
        "",
        _line(flag.rationale),
        "",
    ]
    return lines


def _explained_md(explained: list[Explained]) -> list[str]:
    """Differences the stated conditions explain: listed for a reader, not queued as flags."""
    if not explained:
        return []
    lines = [f"## Explained differences ({len(explained)})", "",
             "Answers that differ where their frames or conditions say why (another time or period, a forecast "
             "against an outcome, a partial against the final count, another basis, mode or scope). They are "
             "not flags.", ""]
    for e in explained:
        a, b = e.claims
        lines.append(f"- **{_cell(e.question)}** {_framed(a)} vs {_framed(b)}: {_cell(e.reason)}")
    return [*lines, ""]


def _framed(claim: GroundedClaim) -> str:
    """'41,300 (a_wire, 2026-02-15, partial count; 60% of sites counted)': a value with its document,
    its time and its frame."""
    parts = [claim.document, _when(claim.as_of), claim.frame.describe() if claim.frame else ""]
    return f"{_cell(claim.value)} ({_cell(', '.join(p for p in parts if p))})"


def _timelines_md(report: Report, timelines: list[Timeline]) -> list[str]:
    """Answers to one question at different times: updates, oldest first."""
    if not timelines:
        return []
    lines = [f"## Updates over time ({len(timelines)})", "",
             "Answers read at different times: a change, not a contradiction (a running count that falls "
             "is flagged above).", ""]
    for t in timelines:
        points = " → ".join(f"{_cell(p.value)} ({_cell(_when(p.as_of) or 'time not stated')}, {_cell(p.document)})"
                            for p in t.points)
        lines.append(f"- **{_cell(t.question)}** {points}")
    return [*lines, ""]


def render_markdown(report: Report) -> str:
    """Contradictions first, with both quotes side by side; then corroborations; then counts."""
    lines = [f"# Verification report `{report.batch}`", ""]
    lines += [f"Backend: **{report.backend}**" + (f", model `{report.model}`" if report.model else "")
              + f", aligned by {'the LLM, checked by code' if report.aligner == 'llm' else 'code'}"
              + f" · {report.counts.documents} documents · created {report.created}", ""]
    lines += [f"## Contradictions ({len(report.contradictions)})", ""]
    if not report.contradictions:
        lines += ["None found.", ""]
    for n, flag in enumerate(report.contradictions, start=1):
        lines += _contradiction_md(n, flag)
    lines += _explained_md(report.explained) + _timelines_md(report, report.timelines)
    lines += [f"## Corroborations ({len(report.corroborations)})", ""]
    if report.corroborations:
        lines += ["| Subject | Attribute | Value | Documents |", "|---|---|---|---|"]
        for c in report.corroborations:
            values = " / ".join(dict.fromkeys(cl.value for cl in c.claims))
            documents = ", ".join(c.documents)
            lines.append(f"| {_cell(c.subject)} | {_cell(c.attribute)} | {_cell(values)} | {_cell(documents)} |")
        lines.append("")
    else:
        lines += ["None found.", ""]
    if report.skipped:
        lines += ["## Skipped files", ""] + [f"- {_cell(s.path)}: {_cell(s.reason)}" for s in report.skipped] + [""]
    if report.notes:
        lines += ["## Notes", ""] + [f"- {_cell(n)}" for n in report.notes] + [""]
    if report.failures:
        lines += ["## Failed calls and chunks", ""] + [f"- {_cell(f)}" for f in report.failures] + [""]
    if report.unprocessed:
        lines += ["## Not processed (budget reached)", ""] + [f"- {_cell(d)}" for d in report.unprocessed] + [""]
    counts, usage = report.counts, report.usage
    lines += [
        "## Counts", "",
        "| | |", "|---|---|",
        f"| documents | {counts.documents} |",
        f"| skipped files | {counts.skipped_files} |",
        f"| claims (grounded) | {counts.claims} |",
        f"| ungrounded claims dropped | {counts.ungrounded_dropped} |",
        f"| single-source claims | {counts.single_source} |",
        f"| entities | {counts.entities} |",
        f"| questions (with two or more documents) | {counts.questions} ({counts.questions_compared}) |",
        f"| questions sent to the judge (calls) | {counts.judge_groups} ({counts.judge_calls}) |",
        f"| figures joined by the safety net | {counts.safety_net} |",
        f"| questions joined by pairing | {counts.paired} |",
        f"| figure pairs compared | {counts.candidate_pairs} |",
        f"| LLM calls | {usage.llm_calls}"
        + (" (" + ", ".join(f"{k} {v}" for k, v in usage.calls_by_stage.items()) + ")" if usage.calls_by_stage else "")
        + " |",
        f"| tokens (prompt + completion) | {usage.total_tokens} ({usage.prompt_tokens} + {usage.completion_tokens}) |",
        f"| cache hits | {usage.cache_hits} |",
        f"| failed chunks | {usage.failed_chunks} |",
        f"| seconds | {usage.seconds:.2f} |",
    ]
    if usage.cost_usd is not None:
        lines.append(f"| cost (from the price table) | ${usage.cost_usd:.4f} |")
    lines.append("")
    return "\n".join(lines)
