"""The `verifier` command: a thin layer over `pipeline.run_batch` and `evaluate`.

Errors a user can cause (no readable document, a bad flag, an unreachable endpoint, an
unreadable gold file, a corrupt database, a batch another process is running) end with one
line on stderr and a non-zero exit, not a traceback. Text from documents and file names is
escaped before it reaches the terminal (`terminal.printable`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from . import __version__, evaluate, pipeline, progress, review
from .budget import BudgetError
from .database import ENV_VAR, DatabaseError, is_postgresql
from .files import read_text
from .ingest import IngestError
from .llm import LLMError, endpoint_configured, settings_from_env
from .locks import BatchBusy
from .report import OutputError, write_schemas
from .store import Jobs, Store, StoreError, WorkQueue
from .terminal import printable, printable_json

RULES_NOTICE = (
    "verifier: no LLM endpoint configured (no --base-url, OPENAI_BASE_URL or OPENAI_API_KEY); "
    "ran the rules backend, which extracts numeric claims only. Qualitative claims need an LLM."
)


class UserError(click.ClickException):
    """A mistake the user can fix: `Error: <one line>` on stderr, exit code 1, no traceback.

    The line is escaped: it often names a file, and a file name can carry terminal escapes.
    """

    def format_message(self) -> str:
        return printable(self.message, one_line=True)


def _warn(message: str) -> None:
    click.echo(f"verifier: {printable(message, one_line=True)}", err=True)


def _echo(text: str) -> None:
    """Echo text that comes from documents or file names, escaped for the terminal."""
    click.echo(printable(text))


def _use_database(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    """`--database URL` stands for VERIFIER_DATABASE_URL in this process (and the processes it starts)."""
    if value:
        if not (is_postgresql(value) or value.startswith("sqlite:///")):
            raise click.BadParameter("use postgresql://USER[:PASSWORD]@HOST[:PORT]/NAME or sqlite:///FILE")
        os.environ[ENV_VAR] = value


F = TypeVar("F", bound=Callable[..., object])


def database_option(command: F) -> F:
    """The database every command that reads or writes the store can be pointed at."""
    option = click.option("--database", metavar="URL", expose_value=False, is_eager=True, callback=_use_database,
                          help="postgresql://… to share batches, jobs and answers with workers on other machines "
                               "(default: $VERIFIER_DATABASE_URL, else SQLite under $VERIFIER_HOME).")
    return option(command)


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
@click.option("--align", "aligner", type=click.Choice(["llm", "code"]), default=None,
              help="Who groups claims into entities and questions. Default: llm with the llm backend, else code.")
@click.option("--embed-model", default=None, metavar="NAME",
              help="An embeddings model of the endpoint for alignment (default: wordllama, offline).")
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
@click.option("--resume", "resume", default=None, metavar="BATCH",
              help="Finish an interrupted batch (the same command resumes the latest unfinished one anyway).")
@click.option("--max-cost", type=click.FloatRange(0), default=None, metavar="USD",
              help="Stop cleanly before the LLM spend would pass this many US dollars.")
@click.option("--prices", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None,
              help="JSON price table per model (USD per million input/output tokens).")
@click.option("--rpm", type=click.IntRange(1), default=None, help="At most this many requests per minute.")
@click.option("--tpm", type=click.IntRange(1), default=None, help="At most this many tokens per minute.")
@click.option("--max-document-mb", type=click.FloatRange(0.001), default=20.0, show_default=True,
              help="Skip (and name) a file larger than this.")
@click.option("--max-claims", type=click.IntRange(1), default=2000, show_default=True,
              help="Claims kept per document; reading stops there and the report names what was left.")
@click.option("--max-document-seconds", type=click.FloatRange(0.1), default=60.0, show_default=True,
              help="Seconds the rules may spend reading one document; the report names what was left.")
@click.option("--wait", is_flag=True,
              help="If another process is running the same batch, wait for it instead of refusing.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@database_option
def run(
    paths: tuple[str, ...], out_dir: Path, backend: str | None, aligner: str | None, embed_model: str | None,
    model: str | None, base_url: str | None,
    concurrency: int, chunk_tokens: int, timeout: float | None, aliases: Path | None, no_cache: bool,
    resume: str | None, max_cost: float | None, prices: Path | None, rpm: int | None, tpm: int | None,
    max_document_mb: float, max_claims: int, max_document_seconds: float, wait: bool, quiet: bool,
) -> None:
    """Verify the documents under PATHS (.txt, .md, .html files or folders) and write a report."""
    chosen = backend or ("llm" if endpoint_configured(base_url) else "rules")
    if chosen == "llm" and not endpoint_configured(base_url):
        raise UserError("--backend llm needs an endpoint: pass --base-url or set OPENAI_BASE_URL "
                        "or OPENAI_API_KEY")
    settings = settings_from_env(model=model, base_url=base_url, timeout=timeout) if chosen == "llm" else None
    if settings is not None:
        settings.requests_per_minute, settings.tokens_per_minute = rpm, tpm
    if aligner == "llm" and chosen != "llm":
        raise UserError("--align llm needs the llm backend and an endpoint")
    options = pipeline.RunOptions(
        paths=list(paths), out_dir=out_dir, backend="llm" if chosen == "llm" else "rules", llm=settings,
        aligner="llm" if aligner == "llm" else "code" if aligner == "code" else None, embed_model=embed_model,
        concurrency=concurrency, chunk_tokens=chunk_tokens, use_cache=not no_cache, aliases=aliases, warn=_warn,
        resume=resume, max_cost=max_cost, prices=prices, progress=progress.for_terminal(quiet), wait=wait,
        max_document_bytes=int(max_document_mb * 1024 * 1024), max_claims=max_claims,
        max_document_seconds=max_document_seconds,
    )
    try:
        result = pipeline.run_batch(options)
    except (IngestError, LLMError, ValueError, pipeline.RunError, BudgetError, StoreError, OutputError,
            BatchBusy) as exc:
        raise UserError(str(exc)) from exc
    except OSError as exc:
        raise UserError(f"{exc.filename or out_dir}: {exc.strerror or exc}") from exc
    if chosen == "rules":  # after the run, so a run refused at the start prints its one line alone
        click.echo(RULES_NOTICE, err=True)
    counts = result.report.counts
    click.echo(
        f"batch {result.report.batch}: {counts.documents} documents, {counts.claims} claims "
        f"({counts.ungrounded_dropped} ungrounded dropped), {counts.contradictions} contradictions, "
        f"{counts.corroborations} corroborations"
    )
    _echo(f"wrote {result.json_path} and {result.md_path}")


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
        questions = evaluate.load_questions(report_path)
        view = evaluate.load_report_view(report_path)
    except evaluate.EvalInputError as exc:
        raise UserError(str(exc)) from exc
    result = evaluate.score(gold, flags, questions, view)
    if as_json:
        click.echo(printable_json(json.dumps(result.as_json(), indent=2)))
    else:
        _echo(evaluate.render_table(gold, flags, result))


@cli.command()
@click.option("--batch", default=None, help="Batch id (default: the latest).")
@click.option("--status", type=click.Choice(["all", *review.STATUSES]), default="all", show_default=True)
@click.option("--severity", type=click.Choice(["major", "minor"]), default=None)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@database_option
def flags(batch: str | None, status: str, severity: str | None, as_json: bool) -> None:
    """List a batch's flagged contradictions with their review status."""
    found = _review(lambda: review.list_flags(None, batch, status, severity))
    if as_json:
        click.echo(printable_json(json.dumps([f.model_dump() for f in found], indent=2, ensure_ascii=False)))
        return
    if not found:
        click.echo("no flags match")
        return
    click.echo(f"{'id':14} {'severity':8} {'status':10} {'question':40} {'values':24} documents")
    for f in found:
        what = (f.question or f"{f.subject} / {f.attribute}")[:40]
        values = " vs ".join(f.values)[:24]
        _echo(f"{f.id:14} {f.severity:8} {f.status:10} {what:40} {values:24} {' vs '.join(f.documents)}")


@cli.command()
@click.argument("flag_id")
@click.option("--batch", default=None, help="Batch id (default: the latest).")
@database_option
def show(flag_id: str, batch: str | None) -> None:
    """Show a flag: both quotes in their passages, conditions, sources, rationale and decisions."""
    detail = _review(lambda: review.show_flag(flag_id, None, batch))
    p = printable
    values = p(" vs ".join(detail.values))
    click.echo(f"{p(detail.id)}  {detail.severity} {detail.kind}  status: {detail.status}  batch: {p(detail.batch)}")
    if detail.question:
        click.echo(f"{p(detail.question)} {values}")
    click.echo(f"{p(detail.subject)} — {p(detail.attribute)}: {values}")
    for n, side in enumerate(detail.claims, start=1):
        click.echo("")
        click.echo(click.style(f"[{n}] {p(side.document)}", bold=True) + f"  {p(side.title)}")
        quote = click.style(f"»{p(side.quote)}«", bold=True, underline=True)
        click.echo("    " + " ".join(f"{p(side.before)}{quote}{p(side.after)}".split()))
        extras = [f"conditions: {', '.join(side.conditions) or 'none stated'}",
                  f"asserted by: {side.asserted_by or 'the author'}"]
        if side.hedged:
            extras.append("hedged")
        click.echo("    " + p("; ".join(extras)))
    click.echo("")
    click.echo(f"rationale: {p(detail.rationale)}")
    click.echo("decisions:" if detail.history else "decisions: none yet")
    for h in detail.history:
        click.echo(f"  {h.decided_at}  {h.decision:10} {p(h.reviewer or '-')}  {p(h.note)}")


@cli.command()
@click.argument("flag_id")
@click.argument("decision", type=click.Choice(["confirmed", "dismissed", "needs-info"]))
@click.option("--note", default="", help="Why; shown in the history and exports.")
@click.option("--reviewer", default=lambda: os.environ.get("USER", ""), help="Who decides (default: $USER).")
@database_option
def decide(flag_id: str, decision: str, note: str, reviewer: str) -> None:
    """Record a decision on a flag; the latest decision is its status."""
    record = _review(lambda: review.decide(flag_id, decision, note, reviewer))  # type: ignore[arg-type]
    _echo(f"{flag_id}: {record.decision} at {record.decided_at}" + (f" by {reviewer}" if reviewer else ""))


@cli.command(name="export")
@click.option("--batch", default=None, help="Batch id (default: the latest).")
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl", "claimreview"]), required=True,
              help="csv or jsonl of every flag; claimreview: schema.org JSON-LD of confirmed flags.")
@click.option("--out", "out_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="File to write (default: standard output).")
@database_option
def export_command(batch: str | None, fmt: str, out_file: Path | None) -> None:
    """Export a batch's flags and decisions."""
    text = _review(lambda: review.export(None, batch, fmt))
    if out_file is None:
        click.echo(text, nl=False)
    else:
        try:
            out_file.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise UserError(f"cannot write {out_file}: {exc.strerror or exc}") from exc
        click.echo(f"wrote {printable(out_file, one_line=True)}", err=True)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option("--token", default=None,
              help="Required on every request when set; needed off loopback. Visible in `ps`: "
                   "prefer --token-file or $VERIFIER_TOKEN.")
@click.option("--token-file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Read the token from this file (its first line).")
@click.option("--allowed-host", "allowed_hosts", multiple=True, metavar="NAME",
              help="Also answer requests whose Host is NAME (repeatable); loopback names and --host always.")
@click.option("--max-note-chars", type=click.IntRange(1, 1_000_000), default=10_000, show_default=True,
              help="Longest note a decision may carry.")
@click.option("--workers", type=click.IntRange(0, 64), default=1, show_default=True,
              help="Batches run at once in this process; the rest wait their turn. 0: none, the server is the API "
                   "and review pages in front of `verifier worker` processes.")
@click.option("--model", default=None, help="The server's model (default: $VERIFIER_MODEL or gpt-4o-mini).")
@click.option("--base-url", default=None, help="The server's OpenAI-compatible endpoint (default: $OPENAI_BASE_URL).")
@click.option("--allow-root", type=click.Path(file_okay=False, exists=True, path_type=Path), default=None,
              help="Let clients name files on the server, only under this folder (off by default).")
@click.option("--allow-client-endpoints", is_flag=True,
              help="Let a client send its own base_url (off: the server is never a proxy to another host).")
@click.option("--max-files", type=click.IntRange(1), default=500, show_default=True, help="Files per uploaded batch.")
@click.option("--max-file-mb", type=click.FloatRange(0.001), default=20.0, show_default=True,
              help="Megabytes per uploaded file.")
@click.option("--max-batch-mb", type=click.FloatRange(0.001), default=200.0, show_default=True,
              help="Megabytes per uploaded batch.")
@click.option("--max-streams", type=click.IntRange(1), default=512, show_default=True,
              help="Event streams open at once in all; more are refused with 429.")
@click.option("--max-streams-per-client", type=click.IntRange(1), default=128, show_default=True,
              help="Event streams open at once from one client address; more are refused with 429.")
@database_option
def serve(host: str, port: int, token: str | None, token_file: Path | None, allowed_hosts: tuple[str, ...],
          max_note_chars: int, workers: int, model: str | None, base_url: str | None, allow_root: Path | None,
          allow_client_endpoints: bool, max_files: int, max_file_mb: float, max_batch_mb: float, max_streams: int,
          max_streams_per_client: int) -> None:
    """Serve the review queue and the batch API in the browser and over HTTP (/batches, /api/batches,
    /api/flags, /openapi.json). Batches run in the background; one left running resumes on start."""
    from . import web
    from .service import BatchService, Limits

    secret, source = _serve_token(token, token_file)
    try:
        web.check_binding(host, secret)
    except web.BindingError as exc:
        raise UserError(str(exc)) from exc
    _review(lambda: Store.open().close())  # a corrupt database fails here, not on the first request
    import uvicorn

    settings = settings_from_env(model=model, base_url=base_url) if endpoint_configured(base_url) else None
    limits = Limits(max_files=max_files, max_file_bytes=int(max_file_mb * 1024 * 1024),
                    max_batch_bytes=int(max_batch_mb * 1024 * 1024), max_streams=max_streams,
                    max_streams_per_client=max_streams_per_client)
    service = BatchService(workers=workers, llm=settings, limits=limits, allow_root=allow_root,
                           allow_client_endpoints=allow_client_endpoints)
    resumed = service.start()
    if resumed:
        click.echo(f"resuming {len(resumed)} unfinished batch(es): {', '.join(resumed)}", err=True)
    click.echo(_serving_line(host, port, source), err=True)
    if host in ("0.0.0.0", "::") and not allowed_hosts:
        _warn("only loopback Host names are answered; add --allowed-host NAME for the name clients use")
    app = web.create_app(token=secret, host=host, allowed_hosts=allowed_hosts, max_note_chars=max_note_chars,
                         service=service)
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning")
    finally:
        service.close()


def _serve_token(token: str | None, token_file: Path | None) -> tuple[str | None, str]:
    """The token and where it came from (--token, --token-file, $VERIFIER_TOKEN), never echoed."""
    if token is not None and token_file is not None:
        raise click.ClickException("pass --token or --token-file, not both")
    if token is not None:
        _warn("--token on the command line is visible to other users in `ps`; prefer --token-file or "
              "$VERIFIER_TOKEN")
        return _nonempty(token, "--token"), "--token"
    if token_file is not None:
        try:
            text = read_text(token_file)
        except (OSError, UnicodeDecodeError) as exc:
            raise click.ClickException(f"{token_file}: cannot read the token file ({exc})") from exc
        return _nonempty(text.splitlines()[0] if text.strip() else "", str(token_file)), f"file {token_file}"
    from_env = os.environ.get("VERIFIER_TOKEN")
    if from_env is not None:
        return _nonempty(from_env, "$VERIFIER_TOKEN"), "$VERIFIER_TOKEN"
    return None, ""


def _nonempty(token: str, where: str) -> str:
    """An empty token would silently turn authentication off, so it is an error."""
    if not token.strip():
        raise click.ClickException(f"{where}: the token is empty")
    return token.strip()


def _serving_line(host: str, port: int, source: str) -> str:
    """Where the queue is served and where its token came from; the token itself never reaches a log."""
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{port}/"
    if not source:
        return f"reviewing at {url} (no token)"
    return f"reviewing at {url} (token from {source}; open {url}?token=TOKEN once, or send Authorization: Bearer)"


T = TypeVar("T")


def _review(action: Callable[[], T]) -> T:
    """Run a review action, turning a missing batch or flag, or an unusable database, into a one-line error."""
    try:
        return action()
    except (review.ReviewError, StoreError, DatabaseError) as exc:
        raise UserError(str(exc)) from exc


@cli.command()
@database_option
@click.option("--model", default=None, help="The model (default: $VERIFIER_MODEL or gpt-4o-mini).")
@click.option("--base-url", default=None, help="OpenAI-compatible endpoint (default: $OPENAI_BASE_URL).")
@click.option("--slice-size", type=click.IntRange(1, 100_000), default=50, show_default=True,
              help="Documents taken at once from a batch, so that several workers share a large one.")
@click.option("--lease-seconds", type=click.FloatRange(1, 3600), default=30.0, show_default=True,
              help="How long what a worker holds stays its own without a heartbeat (one every third of it).")
@click.option("--exit-when-idle", is_flag=True, help="Stop once no batch is queued or running.")
def worker(model: str | None, base_url: str | None, slice_size: int, lease_seconds: float,
           exit_when_idle: bool) -> None:
    """Run batches submitted over HTTP, with other workers on this or other machines that reach the same
    database: whole jobs, and slices of large batches, each held with a lease renewed by a heartbeat."""
    from .workers import WorkerOptions, run_worker

    settings = settings_from_env(model=model, base_url=base_url) if endpoint_configured(base_url) else None
    options = WorkerOptions(llm=settings, slice_size=slice_size, lease_seconds=lease_seconds,
                            exit_when_idle=exit_when_idle, log=_warn)
    _review(lambda: run_worker(options))


@cli.command()
@database_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")
def status(as_json: bool) -> None:
    """Show each worker (host, pid, what it holds, last heartbeat; 'lost' when that is older than its lease)
    and each unfinished batch's slices."""
    def read() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        store = Store.open()
        try:
            workers = [vars(w) for w in WorkQueue(store).workers()]
            jobs = Jobs(store)
            rows = jobs.unfinished()
            slices = jobs.slice_counts([j.id for j in rows])
            batches = [{"job": j.id, "status": j.status, "stage": j.stage, "batch": j.batch_id,
                        "slices": vars(slices[j.id]) if j.id in slices else None} for j in rows]
        finally:
            store.close()
        return workers, batches

    workers, batches = _review(read)
    if as_json:
        click.echo(json.dumps({"workers": workers, "batches": batches}, indent=2))
        return
    click.echo(f"{'worker':34} {'host':16} {'pid':>7} {'state':11} {'job / slice':28} last heartbeat")
    for w in workers:
        holds = f"{w['job_id']} / {w['slice']}" if w["job_id"] and w["slice"] is not None else str(w["job_id"] or "-")
        _echo(f"{w['id']!s:34} {w['host']!s:16} {w['pid']!s:>7} {w['state']!s:11} {holds:28} "
              f"{w['seconds_since_heartbeat']} s ago")
    if not workers:
        click.echo("no worker has started")
    click.echo("")
    click.echo(f"{'batch job':24} {'status':9} {'stage':8} slices done / running / waiting, documents")
    for b in batches:
        c = b["slices"]
        counts = (f"{c['done']} / {c['running']} / {c['waiting']}, {c['documents_done']}/{c['documents_total']}"
                  if c else "not in slices")
        _echo(f"{b['job']!s:24} {b['status']!s:9} {b['stage']!s:8} {counts}")
    if not batches:
        click.echo("no batch is queued or running")


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
