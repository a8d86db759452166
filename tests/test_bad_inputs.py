"""Bad input never stops a batch: every kind gets one line, and the seed findings stay the same."""

from __future__ import annotations

import codecs
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import GOLD, SEEDS
from verifier.cli import cli
from verifier.copies import mark_copies
from verifier.ingest import ingest
from verifier.models import Document

PROSE = ("The committee met again and discussed the schedule for the next round of talks "
         "without reaching any decision on the matter before it. ")


def _bad_inputs(root: Path) -> dict[str, str]:
    """Write every kind of bad input into `root`; return file name -> expected skip reason."""
    (root / "empty.txt").write_text("")
    (root / "binary.txt").write_bytes(bytes(range(256)) * 4)
    (root / "scan.pdf").write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n")
    (root / "no-text-here").mkdir()
    (root / "no-text-here" / "photo.png").write_bytes(b"\x89PNG\r\n")
    os.symlink(root, root / "loop")
    shutil.copy(SEEDS / "003_2d28a221aafb0824.txt", root / "003 copy again.txt")
    return {
        "empty.txt": "empty", "binary.txt": "binary data, not text", "scan.pdf": "unreadable PDF",
        "photo.png": "unsupported file type '.png'", "loop": "symlink loop",
        "003 copy again.txt": "duplicate of 003_2d28a221aafb0824",
    }


def _readable_oddities(root: Path) -> None:
    (root / "invalid-utf8.txt").write_bytes(b"Revenue was \xff\xfe reported. " + PROSE.encode())
    (root / "wide.txt").write_bytes(codecs.BOM_UTF16_LE + ("Wide text. " + PROSE).encode("utf-16-le"))
    (root / "page.html").write_text("<html><head><style>.x{}</style><script>var total = 42;</script></head>"
                                    "<body><p>" + PROSE + "</p></body></html>")
    (root / "Überblick café notes.md").write_text("# Überblick\n" + PROSE)
    (root / "huge.txt").write_text("Minutes\n" + (PROSE + "\n") * (10_000_000 // (len(PROSE) + 1)))


def test_a_folder_of_bad_inputs_beside_the_seeds_changes_nothing(tmp_path: Path) -> None:
    clean = tmp_path / "clean"
    assert CliRunner().invoke(cli, ["run", str(SEEDS), "--out", str(clean)]).exit_code == 0

    batch = tmp_path / "batch"
    shutil.copytree(SEEDS, batch / "a-seeds")
    bad = batch / "b-bad"  # after the seeds in sorted order: of two identical files the first is kept
    bad.mkdir()
    expected = _bad_inputs(bad)
    _readable_oddities(bad)
    result = CliRunner().invoke(cli, ["run", str(batch), str(tmp_path / "missing"), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output

    lines = [line for line in result.stderr.splitlines() if line.startswith("verifier: skipped ")]
    for name, reason in expected.items():
        [line] = [line for line in lines if f"/{name}: " in line]
        assert reason in line
    assert any("missing: no such file or folder" in line for line in lines)
    assert len(lines) == len(expected) + 1
    assert "2 undecodable byte(s) replaced" in result.stderr

    report = json.loads((tmp_path / "out" / "report.json").read_text())
    baseline = json.loads((clean / "report.json").read_text())
    assert [f["id"] for f in report["contradictions"]] == [f["id"] for f in baseline["contradictions"]]
    documents = {d["id"] for d in report["documents"]}
    assert {"invalid-utf8", "wide", "page", "Überblick café notes", "huge"} <= documents


def test_syndicated_copies_are_one_source(tmp_path: Path) -> None:
    story = ("Acme reported revenue of $4.2 billion for the third quarter, beating forecasts. " + PROSE) * 3
    docs = [
        Document(id="wire", path="wire.txt", sha256="a", title="t", text=story),
        Document(id="paper", path="paper.txt", sha256="b", title="t", text="Reprinted. " + story),
        Document(id="blog", path="blog.txt", sha256="c", title="t", text="Acme's revenue was $4.2 billion. " + PROSE),
    ]
    mark_copies(docs)
    assert [d.copy_of for d in docs] == [None, "wire", None]

    for d in docs:
        (tmp_path / d.path).write_text(d.text)
    out = tmp_path / "out"
    paths = [str(tmp_path / "wire.txt"), str(tmp_path / "paper.txt")]
    assert CliRunner().invoke(cli, ["run", *paths, "--out", str(out)]).exit_code == 0
    report = json.loads((out / "report.json").read_text())
    assert report["corroborations"] == []  # a copy does not confirm its original
    assert [d["copy_of"] for d in report["documents"]] == [None, "wire"]
    assert CliRunner().invoke(cli, ["run", *paths, str(tmp_path / "blog.txt"), "--out", str(out)]).exit_code == 0
    [agreement] = json.loads((out / "report.json").read_text())["corroborations"]
    assert "blog" in agreement["documents"]


def test_ingest_reads_names_with_spaces_and_accents(tmp_path: Path) -> None:
    (tmp_path / "Überblick café notes.md").write_text("# Überblick\nText.")
    [doc] = ingest([tmp_path]).documents
    assert doc.id == "Überblick café notes" and doc.title == "Überblick"


def test_a_file_over_the_size_limit_is_skipped_unread_with_its_size_named(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "fine.txt").write_text("Acme's revenue was $5 billion in 2025.\n", encoding="utf-8")
    with (docs / "huge.txt").open("wb") as handle:
        handle.truncate(3 * 1024 * 1024)  # sparse: three megabytes of nothing, not written
    result = CliRunner().invoke(cli, ["run", str(docs), "--out", str(tmp_path / "out"), "--max-document-mb", "2"])
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert [d["id"] for d in report["documents"]] == ["fine"]
    (skipped,) = report["skipped"]
    assert skipped["path"].endswith("huge.txt") and "too large: 3.0 MB (the limit is 2.0 MB" in skipped["reason"]


def _verifier(*args: str, home: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`verifier ARGS` in its own process: a read that blocks fails the test at the timeout, never hangs it."""
    env = {**os.environ, "VERIFIER_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "verifier.cli", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120)


def test_pipes_devices_and_file_symlink_loops_are_skipped_with_one_line_each(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(SEEDS / "000_a22e23b24a99b410.txt", docs / "story.txt")
    os.mkfifo(docs / "pipe.txt")  # open() would wait for a writer for ever
    os.symlink("/dev/zero", docs / "zero.txt")  # a read would never end
    os.symlink("b.txt", docs / "a.txt")  # a file loop, not a folder loop: stat() itself fails
    os.symlink("a.txt", docs / "b.txt")
    os.mkfifo(tmp_path / "named.md")
    ran = _verifier("run", "docs", "named.md", "docs/a.txt", "--out", "out", home=tmp_path / "home", cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    skipped = sorted(line for line in ran.stderr.splitlines() if line.startswith("verifier: skipped "))
    assert skipped == sorted([
        "verifier: skipped docs/pipe.txt: a named pipe, not a regular file",
        "verifier: skipped docs/zero.txt: a character device, not a regular file",
        "verifier: skipped docs/a.txt: Too many levels of symbolic links",
        "verifier: skipped docs/b.txt: Too many levels of symbolic links",
        "verifier: skipped named.md: a named pipe, not a regular file",
        "verifier: skipped docs/a.txt: Too many levels of symbolic links",
    ]), ran.stderr
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert [d["id"] for d in report["documents"]] == ["story"] and report["claims"]


@pytest.mark.parametrize("which", ["gold", "report"])
def test_eval_refuses_a_named_pipe_in_one_line(tmp_path: Path, which: str) -> None:
    os.mkfifo(tmp_path / "pipe.json")
    (tmp_path / "report.json").write_text('{"contradictions": []}')
    gold, report = ("pipe.json", "report.json") if which == "gold" else (str(GOLD), "pipe.json")
    ran = _verifier("eval", "--gold", gold, report, home=tmp_path / "home", cwd=tmp_path)
    assert ran.returncode == 1 and "Traceback" not in ran.stderr
    assert ran.stderr.strip().splitlines() == [f"Error: cannot read {which if which == 'report' else 'gold file'} "
                                               "pipe.json: a named pipe, not a regular file"]
