"""The one door to an LLM: client, structured output, retries, cache and usage.

Every model call of verifier is made here: `Calls` renders each prompt from the values the
stages hand over (claims, subject groups, judge items) and asks through `LLM.structured`, so
the rules that make model output safe to use live in one place:

- one retry layer for transport faults (429 honouring Retry-After, 5xx, timeouts,
  connection errors), bounded in attempts and total time; other 4xx fail at once;
- bounded re-asks for invalid output (instructor re-asks with the validation error),
  ending in `LLMOutputError` carrying the attempts and the tokens spent;
- a disk cache keyed on what determines the answer (model, messages, response schema,
  prompt hash, temperature, seed) and never on the endpoint or key, storing JSON that
  is re-validated on read;
- token usage counted per call and summed per batch.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
import logging
import os
import re
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlparse

import diskcache
import instructor
import openai
from instructor.core import IncompleteOutputException, InstructorRetryException
from pydantic import BaseModel, ValidationError
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    retry_if_exception_type,
    stop_after_attempt,
    stop_after_delay,
)

from . import resource_dir, timing
from .database import DatabaseError
from .models import (
    EntityClaims,
    EntityGrouping,
    ExtractedClaims,
    GroundedClaim,
    GroupVerdict,
    JudgeItem,
    QuestionAssignment,
    SubjectGroup,
)
from .text import short

T = TypeVar("T", bound=BaseModel)
R = TypeVar("R")

# instructor logs every failed attempt at ERROR; verifier reports failures itself, once
for _name in ("instructor", "instructor.v2.retry", "instructor.v2", "instructor.core"):
    logging.getLogger(_name).setLevel(logging.CRITICAL)

PROMPTS_DIR = Path(os.environ.get("VERIFIER_PROMPTS") or resource_dir("prompts"))


@functools.cache
def schema_of(response_model: type[BaseModel]) -> dict[str, Any]:
    """A response model's JSON Schema, built once: it is sent, and hashed, with every call."""
    return response_model.model_json_schema()


@functools.cache
def instructor_model(response_model: type[T]) -> type[T]:
    """instructor's wrapper of a response model, built once, whose JSON Schema is generated once.

    Given a plain model, instructor builds a new pydantic class around it and generates that
    class's schema on every call: about 1.5 ms of the interpreter lock per call, which the 16
    threads of a batch take turns at. Given a class that already is its wrapper, instructor uses
    it as it is, so the wrapper is made here the way instructor makes it (the same name, fields
    and docstring, so the same prompt) and its schema is kept; each call gets a copy of it.
    """
    wrapped = instructor.response_schema(response_model)
    schema = wrapped.model_json_schema()

    def model_json_schema(cls: type[BaseModel], *args: Any, **kwargs: Any) -> dict[str, Any]:
        if args or kwargs:
            return BaseModel.model_json_schema.__func__(cls, *args, **kwargs)  # type: ignore[attr-defined,no-any-return]
        return copy.deepcopy(schema)

    wrapped.model_json_schema = classmethod(model_json_schema)  # type: ignore[method-assign,assignment]
    return wrapped


class LLMError(Exception):
    """An LLM call failed for good; the message is one line a user can act on."""


class LLMTransportError(LLMError):
    """The endpoint could not be reached or kept failing after bounded retries."""


class LLMOutputError(LLMError):
    """The model's output stayed invalid after the bounded re-asks.

    `truncated` is set when the output was cut at the token limit: the caller can retry
    with less input (a smaller chunk) rather than ask the same thing again.
    """

    def __init__(self, message: str, attempts: int, usage: dict[str, int], truncated: bool = False,
                 empty: bool = False) -> None:
        super().__init__(message)
        self.attempts = attempts
        self.usage = usage
        self.truncated = truncated
        self.empty = empty


@dataclass(frozen=True)
class Prompt:
    """A prompt file: system and user templates, and the hash of the file's content."""

    name: str
    system: str
    user: str
    hash: str

    def render(self, variables: dict[str, str]) -> list[dict[str, str]]:
        """Messages with `{{name}}` placeholders filled (braces in JSON examples stay)."""
        def fill(template: str) -> str:
            return re.sub(r"\{\{(\w+)\}\}", lambda m: variables[m.group(1)], template)

        return [{"role": "system", "content": fill(self.system).strip()},
                {"role": "user", "content": fill(self.user).strip()}]


def load_prompt(name: str, directory: Path | None = None) -> Prompt:
    """Read prompts/NAME.md, split at its '<!-- system -->' and '<!-- user -->' markers."""
    path = (directory or PROMPTS_DIR) / f"{name}.md"
    try:
        content = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise LLMError(f"prompt {name!r} not found at {path}: {exc.strerror}") from exc
    parts = re.split(r"<!--\s*(system|user)\s*-->", content)
    sections = {parts[i]: parts[i + 1] for i in range(1, len(parts) - 1, 2)}
    if "system" not in sections or "user" not in sections:
        raise LLMError(f"prompt {path} needs '<!-- system -->' and '<!-- user -->' sections")
    digest = hashlib.sha256(content.encode()).hexdigest()[:16]
    return Prompt(name=name, system=sections["system"], user=sections["user"], hash=digest)


@dataclass
class LLMSettings:
    """Where and how to call the model; from flags or the OPENAI_* environment."""

    model: str = "gpt-4o-mini"
    base_url: str | None = None
    api_key: str | None = None
    timeout: float = 120.0
    temperature: float = 0.0
    seed: int = 7
    max_reasks: int = 2
    max_transport_retries: int = 4
    max_retry_seconds: float = 120.0
    max_tokens: int | None = 2048
    schema_in_response_format: bool | None = None
    cache_dir: Path | None = None
    answers_url: str | None = None  # a database every worker reaches: answers kept there, not in cache_dir
    requests_per_minute: int | None = None
    tokens_per_minute: int | None = None
    backoff_seconds: float = 0.5

    def wants_schema_in_response_format(self) -> bool:
        """llama.cpp and others constrain output by a schema sent in response_format.

        OpenAI's own API takes instructor's JSON mode as is; every other host gets the
        schema too (servers that do not use it ignore it).
        """
        if self.schema_in_response_format is not None:
            return self.schema_in_response_format
        host = urlparse(self.base_url or "https://api.openai.com/v1").hostname or ""
        return not host.endswith("openai.com")


@dataclass
class Usage:
    """Counters for one batch; shared by worker threads, so guarded by a lock."""

    calls: int = 0
    cache_hits: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, tokens: dict[str, int], cached: bool) -> None:
        with self.lock:
            if cached:
                self.cache_hits += 1
            else:
                self.calls += 1
                self.prompt_tokens += tokens.get("prompt_tokens", 0)
                self.completion_tokens += tokens.get("completion_tokens", 0)


class RateLimiter:
    """Requests and tokens per minute, over a sliding window, shared by all worker threads.

    Every HTTP request (re-asks included) waits here first; tokens are estimated from
    the request (its characters / 4 plus the completion allowance).
    """

    def __init__(self, rpm: int | None, tpm: int | None, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.rpm, self.tpm = rpm, tpm
        self.clock, self.sleep = clock, sleep
        self.sent: list[tuple[float, int]] = []
        self.lock = threading.Lock()

    def acquire(self, tokens: int) -> None:
        if not self.rpm and not self.tpm:
            return
        while True:
            with self.lock:
                now = self.clock()
                self.sent = [(t, n) for t, n in self.sent if now - t < 60.0]
                requests_ok = not self.rpm or len(self.sent) < self.rpm
                tokens_ok = not self.tpm or not self.sent or sum(n for _, n in self.sent) + tokens <= self.tpm
                if requests_ok and tokens_ok:
                    self.sent.append((now, tokens))
                    return
                wait = 60.0 - (now - self.sent[0][0])
            self.sleep(max(wait, 0.01))


class _Transient(Exception):
    """A fault worth retrying, carrying how long the server asked us to wait."""

    def __init__(self, cause: Exception, wait: float | None) -> None:
        super().__init__(str(cause))
        self.cause = cause
        self.wait = wait


_CACHE_PROBE = "verifier:probe"
# Each thread that reads the answer cache opens its own SQLite connection, and diskcache's
# defaults give each one a 64 MB memory map and a 32 MB page cache: with 16 calls in flight
# that is most of a long batch's memory. Answers are read once per call, so neither pays off.
# Nothing is evicted: an evicted answer is a model call paid for again (the cache is cleared
# by deleting its folder).
CACHE_SETTINGS: dict[str, Any] = {"sqlite_mmap_size": 0, "sqlite_cache_size": 256, "eviction_policy": "none"}


def _warn_on_stderr(message: str) -> None:
    print(f"verifier: {message}", file=sys.stderr)


def open_cache(directory: Path, warn: Callable[[str], None]) -> diskcache.Cache | None:
    """The answer cache in `directory`; one that cannot be read is moved aside and started afresh.

    The cache only saves calls, so a corrupt or unreadable one must not stop a batch: it is
    renamed with a timestamp (kept for whoever wants to look), with one warning, and the
    run goes on with an empty cache, or with none if even that cannot be made.
    """
    try:
        return _open_probed(directory)
    except (sqlite3.DatabaseError, OSError) as exc:
        reason = exc
    aside = _move_aside(directory, warn, reason)
    if aside is None:
        return None
    warn(f"the answer cache {directory} is unusable ({reason}); moved it to {aside} and started a new one")
    try:
        return _open_probed(directory)
    except (sqlite3.DatabaseError, OSError) as exc:
        warn(f"cannot create a new answer cache in {directory} ({exc}); going on without a cache")
        return None


def _open_probed(directory: Path) -> diskcache.Cache:
    """Open the cache and read from it once, so a damaged file fails here rather than mid-run."""
    cache = diskcache.Cache(str(directory), timeout=30, **CACHE_SETTINGS)
    try:
        cache.get(_CACHE_PROBE)
        len(cache)
    except BaseException:
        cache.close()
        raise
    return cache


def _move_aside(directory: Path, warn: Callable[[str], None], reason: Exception) -> Path | None:
    """Rename a broken cache to `<name>.broken-<timestamp>`; the path it went to, or None (warned)."""
    aside = directory.with_name(f"{directory.name}.broken-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}")
    try:
        directory.rename(aside)
    except OSError as exc:
        warn(f"the answer cache {directory} is unusable ({reason}) and cannot be moved aside"
             f" ({exc.strerror or exc}); going on without a cache")
        return None
    return aside


def _shared_answers(url: str, warn: Callable[[str], None]) -> Any:
    """The answers kept in the database (PostgreSQL), where every worker on every machine finds them."""
    from .store import SharedAnswers

    return SharedAnswers(url, warn)


class LLM:
    """Structured calls to an OpenAI-compatible endpoint, cached and retried."""

    def __init__(self, settings: LLMSettings, warn: Callable[[str], None] | None = None) -> None:
        self.settings = settings
        self.warn = warn or _warn_on_stderr
        self.usage = Usage()
        self.sleep: Callable[[float], None] = time.sleep  # tests replace it to observe back-off
        self._client = openai.OpenAI(
            base_url=settings.base_url,
            api_key=settings.api_key or "not-needed",
            timeout=settings.timeout,
            max_retries=0,  # transport retries happen once, here, not inside the client
        )
        self._instructor = instructor.from_openai(self._client, mode=instructor.Mode.JSON)
        self.limiter = RateLimiter(settings.requests_per_minute, settings.tokens_per_minute)
        self._instructor.on("completion:kwargs", self._before_request)
        self._cache: Any = (_shared_answers(settings.answers_url, self.warn) if settings.answers_url
                            else open_cache(settings.cache_dir, self.warn) if settings.cache_dir else None)
        self._cache_error: Exception | None = None  # why the cache was dropped mid-run
        self._cache_writes = threading.Lock()

    def _before_request(self, *args: Any, **kwargs: Any) -> None:
        """Wait for the rate limits before every request, re-asks included."""
        characters = sum(len(str(m.get("content", ""))) for m in kwargs.get("messages", []) if isinstance(m, dict))
        self.limiter.acquire(characters // 4 + (self.settings.max_tokens or 0))

    def close(self) -> None:
        if self._cache is not None:
            self._cache.close()
        if self._cache_error is not None and self.settings.cache_dir is not None:
            aside = _move_aside(self.settings.cache_dir, self.warn, self._cache_error)
            if aside is not None:
                self.warn(f"moved the failed answer cache {self.settings.cache_dir} to {aside}")
        self._client.close()

    def _cache_get(self, key: str) -> object:
        """A cached entry, or None; a cache that fails mid-run is dropped, not fatal."""
        cache = self._cache
        if cache is None:
            return None
        try:
            return cache.get(key)
        except (sqlite3.DatabaseError, OSError, DatabaseError) as exc:
            self._drop_cache(exc)
            return None

    def _cache_set(self, key: str, value: str) -> None:
        cache = self._cache
        if cache is None:
            return
        try:
            with self._cache_writes:  # one writer at a time: SQLite's busy wait is far slower than a lock
                cache.set(key, value)
        except (sqlite3.DatabaseError, OSError, DatabaseError) as exc:
            self._drop_cache(exc)

    def _drop_cache(self, error: Exception) -> None:
        """Go on without the cache (it only saves calls); it is moved aside when the run closes."""
        with self._cache_writes:
            if self._cache is None:
                return
            self._cache = None
            self._cache_error = error
        self.warn(f"the answer cache {self.settings.cache_dir} failed ({error}); going on without it")

    def cache_key(self, prompt: Prompt, messages: list[dict[str, str]], response_model: type[BaseModel]) -> str:
        """What determines an answer; the endpoint and key do not."""
        material = {
            "model": self.settings.model,
            "messages": messages,
            "schema": schema_of(response_model),
            "prompt": prompt.name,
            "prompt_hash": prompt.hash,
            "temperature": self.settings.temperature,
            "seed": self.settings.seed,
        }
        return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()

    def structured(
        self, prompt: Prompt, variables: dict[str, str], response_model: type[T], use_cache: bool = True
    ) -> T:
        """Ask the model for a `response_model`, from the cache when the same call was made."""
        messages = prompt.render(variables)
        key = self.cache_key(prompt, messages, response_model)
        if use_cache:
            hit = self._cache_get(key)
            if isinstance(hit, str):
                try:
                    stored = json.loads(hit)
                    value = response_model.model_validate(stored["response"])
                except (ValueError, KeyError, ValidationError):
                    value = None  # an unreadable entry is a miss, never an error
                if value is not None:
                    self.usage.add({}, cached=True)
                    return value
        try:
            value, tokens = self._call_with_retries(messages, response_model)
        except LLMOutputError as exc:
            self.usage.add(exc.usage, cached=False)  # a failed call still costs its tokens
            raise
        self.usage.add(tokens, cached=False)
        if self._cache is not None:
            entry = {"response": value.model_dump(mode="json"), "usage": tokens, "prompt_hash": prompt.hash,
                     "model": self.settings.model}
            self._cache_set(key, json.dumps(entry))
        return value

    def embed(self, model: str, texts: list[str]) -> list[list[float]]:
        """Embeddings of `texts` from the endpoint's `/v1/embeddings` model, cached per text.

        Transport faults are retried like every other call; each request carries at most
        256 texts.
        """
        out: dict[str, list[float]] = {}
        missing: list[str] = []
        for text in dict.fromkeys(texts):
            key = hashlib.sha256(json.dumps({"embed": model, "text": text}).encode()).hexdigest()
            hit = self._cache_get(key)
            if isinstance(hit, str):
                out[text] = json.loads(hit)
                self.usage.add({}, cached=True)
            else:
                missing.append(text)
        for start in range(0, len(missing), 256):
            part = missing[start:start + 256]
            response = self._with_transport_retries(lambda part=part: self._client.embeddings.create(  # type: ignore[misc]
                model=model, input=part))
            tokens = _usage_dict(getattr(response, "usage", None))
            self.usage.add({"prompt_tokens": tokens.get("prompt_tokens", 0)}, cached=False)
            for text, item in zip(part, response.data, strict=True):
                vector = [float(x) for x in item.embedding]
                out[text] = vector
                if self._cache is not None:
                    key = hashlib.sha256(json.dumps({"embed": model, "text": text}).encode()).hexdigest()
                    self._cache_set(key, json.dumps(vector))
        return [out[t] for t in texts]

    def _with_transport_retries(self, call: Callable[[], R]) -> R:
        """Run one request with the transport retry layer (429, 5xx, timeouts, dropped connections)."""
        s = self.settings
        retrying = Retrying(
            retry=retry_if_exception_type(_Transient),
            stop=stop_after_attempt(s.max_transport_retries + 1) | stop_after_delay(s.max_retry_seconds),
            wait=_wait_for(s.backoff_seconds),
            sleep=self.sleep,
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    try:
                        return call()
                    except openai.APIError as exc:
                        _raise_if_transport(exc)
                        raise LLMTransportError(f"endpoint refused the request: {_describe(exc)}") from exc
        except _Transient as exc:
            raise LLMTransportError(f"endpoint failed after retries: {_describe(exc.cause)}") from exc.cause
        raise LLMTransportError("endpoint failed")  # pragma: no cover - tenacity always raises or returns

    # --- the two retry layers ----------------------------------------------------------------

    def _call_with_retries(self, messages: list[dict[str, str]], response_model: type[T]) -> tuple[T, dict[str, int]]:
        return self._with_transport_retries(lambda: self._call_asking_again_on_empty(messages, response_model))

    def _call_asking_again_on_empty(
        self, messages: list[dict[str, str]], response_model: type[T]
    ) -> tuple[T, dict[str, int]]:
        """A response without choices says nothing to re-ask about: ask the same again, as often as re-asks."""
        spent: dict[str, int] = {}
        for attempt in range(1, self.settings.max_reasks + 2):
            try:
                return self._call_once(messages, response_model)
            except LLMOutputError as exc:
                if not exc.empty:
                    raise
                spent = {k: spent.get(k, 0) + v for k, v in exc.usage.items()}
                if attempt > self.settings.max_reasks:
                    raise LLMOutputError(f"invalid output after {attempt} attempt(s): {NO_CHOICES}",
                                         attempts=attempt, usage=spent, empty=True) from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def _call_once(self, messages: list[dict[str, str]], response_model: type[T]) -> tuple[T, dict[str, int]]:
        s = self.settings
        reasks = Retrying(
            stop=stop_after_attempt(s.max_reasks + 1),
            retry=retry_if_exception(lambda e: isinstance(e, (ValidationError, json.JSONDecodeError))
                                     or type(e).__name__ in ("ResponseParsingError", "AsyncValidationError")),
            reraise=True,
        )
        extra: dict[str, Any] = {}
        if s.wants_schema_in_response_format():
            schema = schema_of(response_model)
            extra["extra_body"] = {"response_format": {"type": "json_object", "schema": schema}}
        if s.max_tokens:
            extra["max_tokens"] = s.max_tokens
        try:
            value, completion = self._instructor.chat.completions.create_with_completion(
                model=s.model,
                messages=messages,  # type: ignore[arg-type]
                response_model=instructor_model(response_model),
                max_retries=reasks,
                temperature=s.temperature,
                seed=s.seed,
                **extra,
            )
        except InstructorRetryException as exc:
            cause = exc.__cause__ or exc
            _raise_if_transport(cause)
            reason = _explain(cause, exc.last_completion)
            raise LLMOutputError(
                f"invalid output after {exc.n_attempts} attempt(s): {reason}",
                attempts=exc.n_attempts, usage=_usage_dict(exc.total_usage), empty=reason == NO_CHOICES,
            ) from exc
        except IncompleteOutputException as exc:
            raise LLMOutputError("output cut off at the token limit (finish_reason=length)", attempts=1,
                                 usage=_usage_dict(getattr(exc.last_completion, "usage", None)),
                                 truncated=True) from exc
        except openai.APIError as exc:
            _raise_if_transport(exc)
            raise LLMTransportError(f"endpoint refused the request: {_describe(exc)}") from exc
        total = getattr(value, "_total_usage", None) or getattr(completion, "usage", None)
        # a clean copy: instructor attaches the raw completion to the object it returns
        return response_model.model_validate(value.model_dump()), _usage_dict(total)


NO_CHOICES = "the response had no choices"


def _explain(cause: BaseException, completion: Any) -> str:
    """Say what was wrong with the output in words a user can act on."""
    choices = getattr(completion, "choices", None)
    if isinstance(cause, IndexError) or choices == []:
        return NO_CHOICES
    message = getattr(choices[0], "message", None) if choices else None
    refusal = getattr(message, "refusal", None)
    if refusal:
        return f"the model refused: {_first_line(str(refusal))}"
    if message is not None and not getattr(message, "content", None) and not getattr(message, "tool_calls", None):
        return "the response had no content and no tool call"
    return _first_line(str(cause))


def _raise_if_transport(exc: BaseException) -> None:
    """Turn retryable endpoint faults into `_Transient`; leave everything else alone."""
    if isinstance(exc, openai.RateLimitError):
        body = str(getattr(exc, "body", "") or exc)
        if "insufficient_quota" in body:
            raise LLMTransportError("endpoint says the quota is used up (insufficient_quota)") from exc
        raise _Transient(exc, _retry_after(exc)) from exc
    if isinstance(exc, (openai.APITimeoutError, openai.APIConnectionError)):
        raise _Transient(exc, None) from exc
    if isinstance(exc, openai.APIStatusError) and exc.status_code >= 500:
        raise _Transient(exc, _retry_after(exc)) from exc
    if isinstance(exc, openai.APIStatusError):
        raise LLMTransportError(f"endpoint refused the request: {_describe(exc)}") from exc


def _retry_after(exc: openai.APIStatusError) -> float | None:
    """Seconds the server asked for, from retry-after-ms or retry-after."""
    headers = exc.response.headers if exc.response is not None else {}
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        raw = headers.get(name)
        if raw:
            try:
                return max(float(raw) * scale, 0.0)
            except ValueError:
                continue
    return None


def _wait_for(backoff: float) -> Callable[[RetryCallState], float]:
    """Retry-After when given (capped at 60 s), else exponential backoff from `backoff` to 20 s."""

    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _Transient) and exc.wait is not None:
            return min(exc.wait, 60.0)
        return float(min(backoff * 2 ** (state.attempt_number - 1), 20.0))

    return wait


def _usage_dict(usage: Any) -> dict[str, int]:
    if usage is None:
        return {}
    out = {}
    for name in ("prompt_tokens", "completion_tokens", "total_tokens"):
        value = getattr(usage, name, None)
        if value is None and isinstance(usage, dict):
            value = usage.get(name)
        if isinstance(value, int):
            out[name] = value
    return out


def _describe(exc: BaseException) -> str:
    status = getattr(exc, "status_code", None)
    text = _first_line(str(exc)) or type(exc).__name__
    return f"HTTP {status}: {text}" if status else f"{type(exc).__name__}: {text}"


def _first_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line[:300]


# --- the calls verifier makes: every prompt rendered here, from the stages' values --------------------

Gate = Callable[[str], bool]  # asked with a call's text before it is made: may the budget pay for it?


def ask(llm: LLM, prompt: Prompt, variables: dict[str, str], response_model: type[T], what: str,
        gate: Gate | None = None) -> T | str:
    """One structured call that a batch can do without: the answer, or the one line saying why
    there is none (the budget's `gate` refused it, or it failed), for the stage to keep."""
    if gate is not None and not gate(" ".join(variables.values())):
        return f"{what}: skipped, the budget would be exceeded"
    try:
        return llm.structured(prompt, variables, response_model)
    except LLMError as exc:
        return f"{what}: {exc}"


class Calls:
    """The four calls of a batch (extract, entities, questions, judge), each rendered from the values
    the stages hand over: stages never build a prompt or reach the model themselves."""

    def __init__(self, llm: LLM, gate: Gate | None = None) -> None:
        self.llm, self.gate = llm, gate
        self.prompts = {name: load_prompt(name) for name in ("extract", "entities", "questions", "judge")}

    def extract(self, title: str, text: str) -> ExtractedClaims:
        """One passage's claims; raises LLMError (truncated output says so, for a smaller retry)."""
        return self.llm.structured(self.prompts["extract"], {"title": title, "text": text}, ExtractedClaims)

    def entities(self, groups: list[SubjectGroup]) -> EntityGrouping | str:
        return ask(self.llm, self.prompts["entities"], {"subjects": render_subjects(groups)}, EntityGrouping,
                   "entity grouping", self.gate)

    def questions(self, call: list[EntityClaims]) -> QuestionAssignment | str:
        names = ", ".join(e.entity.name for e in call)
        return ask(self.llm, self.prompts["questions"], {"claims": render_claims(call)}, QuestionAssignment,
                   f"question assignment ({short(names, 60)})", self.gate)

    def judge(self, items: list[JudgeItem]) -> GroupVerdict | str:
        names = "; ".join(item.question.text for item in items)
        return ask(self.llm, self.prompts["judge"], {"questions": render_judge(items)}, GroupVerdict,
                   f"judge ({short(names, 60)})", self.gate)


def document_labels(claims: Iterable[GroundedClaim]) -> dict[str, str]:
    """Short stable labels for the documents of a call (D1, D2… in id order): fewer tokens than ids."""
    return {d: f"D{i}" for i, d in enumerate(sorted({c.document for c in claims}), start=1)}


def render_subjects(groups: list[SubjectGroup]) -> str:
    """The entity call's list: one numbered line per group of spellings, with one example claim."""
    lines = []
    for n, group in enumerate(groups, start=1):
        spellings = " / ".join(f'"{short(name, 80)}"' for name in group.names[:4])
        lines.append(f"{n}. {spellings} — e.g. {short(group.example, 90)}")
    return "\n".join(lines)


def render_claims(call: list[EntityClaims]) -> str:
    """The question call's list: claims numbered across the call, under their entity, documents as D1, D2…"""
    labels = document_labels([c for e in call for c in e.claims])
    names = {e.entity.id: e.entity.name for e in call}
    lines: list[str] = []
    n = 0
    for e in call:
        owner = names.get(e.entity.part_of or "")
        lines.append(f"Entity: {e.entity.name} ({e.entity.kind})" + (f", part of {owner}" if owner else ""))
        for c in e.claims:
            n += 1
            extras = [*c.conditions]
            if c.as_of is not None and c.as_of.source == "stated" and not any(c.as_of.text in x for x in extras):
                extras.append(f"as of {c.as_of.text}")
            tail = f" ({short('; '.join(extras), 80)})" if extras else ""
            lines.append(f"{n}. [{labels[c.document]}] {short(c.attribute, 80)}: {short(c.value, 100)}{tail}")
        lines.append("")
    return "\n".join(lines).strip()


def render_judge(items: list[JudgeItem]) -> str:
    """The judge's list: each question, its claims numbered across the call (document, time, value with
    code's reading and frame, conditions, source, quote), then code's arithmetic on differing figures."""
    labels = document_labels([c for item in items for c in item.claims])
    lines: list[str] = []
    n = 0
    for q_number, item in enumerate(items, start=1):
        lines.append(f"Question {q_number}: {item.question.text}")
        first = n + 1
        for claim, reading in zip(item.claims, item.readings, strict=True):
            n += 1
            lines.append(_judge_line(n, claim, reading, labels))
        lines += [f"   Code: {short(_renumber(gap, first - 1), 220)}" for gap in item.gaps]
        lines.append("")
    return "\n".join(lines).strip()


def _renumber(gap: str, offset: int) -> str:
    """'1 vs 3: ...' of a question's own numbering, in the call's numbering."""
    return re.sub(r"^(\d+) vs (\d+)", lambda m: f"{int(m.group(1)) + offset} vs {int(m.group(2)) + offset}", gap)


def _judge_line(n: int, c: GroundedClaim, reading: str, labels: dict[str, str]) -> str:
    when = "time not stated"
    if c.as_of is not None:
        from_document = " (the document's date)" if c.as_of.source == "document" else ""
        when = f"as of {timing.describe(c.as_of)}{from_document}"
    conditions = "; ".join(c.conditions) or "none stated"
    hedge = ", hedged" if c.hedged else ""
    read = f" [code reads: {short(reading, 100)}]" if reading else ""
    return (f"{n}. [{labels[c.document]}, {when}] {short(c.subject, 60)} — {short(c.attribute, 80)}: "
            f"{short(c.value, 120)}{read}. Conditions: {short(conditions, 80)}. Asserted by: "
            f"{short(c.asserted_by or 'the author', 40)}{hedge}.\n   Quote: \"{short(c.quote, 240)}\"")


def settings_from_env(
    model: str | None = None, base_url: str | None = None, api_key: str | None = None,
    cache_dir: Path | None = None, timeout: float | None = None,
) -> LLMSettings:
    """Settings from flags first, then OPENAI_BASE_URL, OPENAI_API_KEY, VERIFIER_MODEL."""
    settings = LLMSettings(
        model=model or os.environ.get("VERIFIER_MODEL") or LLMSettings.model,
        base_url=base_url or os.environ.get("OPENAI_BASE_URL") or None,
        api_key=api_key or os.environ.get("OPENAI_API_KEY") or None,
        cache_dir=cache_dir,
    )
    if timeout is not None:
        settings.timeout = timeout
    raw = os.environ.get("VERIFIER_SCHEMA_IN_RESPONSE_FORMAT")
    if raw:
        settings.schema_in_response_format = raw.lower() in ("1", "true", "yes")
    return settings


def endpoint_configured(base_url: str | None = None) -> bool:
    """An LLM is configured when a base URL or a key is given by flag or environment."""
    return bool(base_url or os.environ.get("OPENAI_BASE_URL") or os.environ.get("OPENAI_API_KEY"))


