"""The `verifier` command: a thin layer over `pipeline.run_batch` and `evaluate`.

Errors a user can cause (no readable document, a bad flag, an unreachable endpoint, an
unreadable gold file) end with one line on stderr and a non-zero exit, not a traceback.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from . import __version__, evaluate, pipeline
from .ingest import IngestError
from .llm import LLMError, endpoint_configured, settings_from_env
from .report import write_schemas

RULES_NOTICE = (
    "verifier: no LLM endpoint configured (no --base-url, OPENAI_BASE_URL or OPENAI_API_KEY); "
    "ran the rules backend, which extracts numeric claims only. Qualitative claims need an LLM."
)


def _warn(message: str) -> None:
    click.echo(f"verifier: {message}", err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="verifier")
def cli() -> None:
    """Cross-check the claims of several documents about one event and flag contradictions."""


@cli.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("verifier-out"),
              show_default=True, help="Folder that receives report.json and report.md.")
@click.option("--backend", type=click.Choice(["llm", "rules"]), default=None,
              help="Extractor. Default: llm when an endpoint is configured, else rules.")
@click.option("--model", default=None, help="Model name (default: $VERIFIER_MODEL or gpt-4o-mini).")
@click.option("--base-url", default=None, help="OpenAI-compatible endpoint (default: $OPENAI_BASE_URL).")
@click.option("--concurrency", type=click.IntRange(1, 256), default=4, show_default=True,
              help="LLM calls in flight at once.")
@click.option("--chunk-tokens", type=click.IntRange(100, 200_000), default=1200, show_default=True,
              help="Token budget of one extraction chunk.")
@click.option("--timeout", type=click.FloatRange(1, 3600), default=None, help="Seconds per LLM request.")
@click.option("--aliases", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None,
              help='JSON object of name aliases, e.g. {"MuseSpark": "Muse Spark"}.')
@click.option("--no-cache", is_flag=True, help="Ask the model again instead of using cached answers.")
def run(
    paths: tuple[str, ...], out_dir: Path, backend: str | None, model: str | None, base_url: str | None,
    concurrency: int, chunk_tokens: int, timeout: float | None, aliases: Path | None, no_cache: bool,
) -> None:
    """Verify the documents under PATHS (.txt, .md, .html files or folders) and write a report."""
    chosen = backend or ("llm" if endpoint_configured(base_url) else "rules")
    if chosen == "llm" and not endpoint_configured(base_url):
        raise click.ClickException("--backend llm needs an endpoint: pass --base-url or set OPENAI_BASE_URL "
                                   "or OPENAI_API_KEY")
    if chosen == "rules":
        click.echo(RULES_NOTICE, err=True)
    options = pipeline.RunOptions(
        paths=list(paths), out_dir=out_dir, backend="llm" if chosen == "llm" else "rules",
        llm=settings_from_env(model=model, base_url=base_url, timeout=timeout) if chosen == "llm" else None,
        concurrency=concurrency, chunk_tokens=chunk_tokens, use_cache=not no_cache, aliases=aliases, warn=_warn,
    )
    try:
        result = pipeline.run_batch(options)
    except (IngestError, LLMError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    except OSError as exc:
        raise click.ClickException(f"{exc.filename or out_dir}: {exc.strerror or exc}") from exc
    counts = result.report.counts
    click.echo(
        f"batch {result.report.batch}: {counts.documents} documents, {counts.claims} claims "
        f"({counts.ungrounded_dropped} ungrounded dropped), {counts.contradictions} contradictions, "
        f"{counts.corroborations} corroborations"
    )
    click.echo(f"wrote {result.json_path} and {result.md_path}")


@cli.command(name="eval")
@click.option("--gold", "gold_path", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Gold file in the format of tests/gold/seeds.json.")
@click.argument("report_path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of a table.")
def eval_command(gold_path: Path, report_path: Path, as_json: bool) -> None:
    """Score REPORT_PATH (a report.json) against a gold file: recall, precision, false alarms."""
    try:
        gold = evaluate.load_gold(gold_path)
        flags = evaluate.load_flags(report_path)
    except evaluate.EvalInputError as exc:
        raise click.ClickException(str(exc)) from exc
    result = evaluate.score(gold, flags)
    if as_json:
        click.echo(json.dumps(result.as_json(), indent=2))
    else:
        click.echo(evaluate.render_table(gold, flags, result))


@cli.command()
@click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where to write (default: the project's schemas/ folder).")
def schemas(directory: Path | None) -> None:
    """Regenerate the JSON Schemas of the report and gold formats from the models."""
    for path in write_schemas(directory) if directory else write_schemas():
        click.echo(f"wrote {path}")


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="verifier")


if __name__ == "__main__":  # pragma: no cover
    main()
