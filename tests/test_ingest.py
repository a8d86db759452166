"""Ingestion: every readable file becomes a document; every other file is named and skipped."""

from __future__ import annotations

import codecs
import os
from pathlib import Path

import pytest

from verifier.ingest import _metadata_day, html_page, ingest


def test_folders_are_read_recursively_in_sorted_order(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "z.md").write_text("# Zed\nZed rose 5%.")
    (tmp_path / "a.txt").write_text("Alpha.")
    (tmp_path / "notes.docx").write_bytes(b"PK")
    result = ingest([tmp_path])
    assert [d.id for d in result.documents] == ["a", "z"]
    assert [(Path(s.path).name, s.reason) for s in result.skipped] == [("notes.docx", "unsupported file type '.docx'")]
    assert result.documents[1].title == "Zed"
    assert len(result.documents[0].sha256) == 64


def test_bad_files_are_skipped_with_a_reason(tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_text("  \n")
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01\x02binary")
    (tmp_path / "good.txt").write_text("Good text.")
    result = ingest([tmp_path, tmp_path / "missing.txt"])
    assert [d.id for d in result.documents] == ["good"]
    reasons = {Path(s.path).name: s.reason for s in result.skipped}
    assert reasons == {"binary.txt": "binary data, not text", "empty.txt": "empty",
                       "missing.txt": "no such file or folder"}


def test_invalid_utf8_is_replaced_and_counted(tmp_path: Path) -> None:
    (tmp_path / "bad.txt").write_bytes(b"Revenue rose " + b"\xff\xfe" + b" to $5 billion.")
    [doc] = ingest([tmp_path]).documents
    assert doc.replaced_bytes == 2
    assert "\ufffd" in doc.text and doc.text.endswith("$5 billion.")


def test_utf16_with_a_bom_is_decoded(tmp_path: Path) -> None:
    (tmp_path / "wide.txt").write_bytes(codecs.BOM_UTF16_LE + "Toll rose to 120.".encode("utf-16-le"))
    [doc] = ingest([tmp_path]).documents
    assert doc.text == "Toll rose to 120."


def test_html_keeps_visible_text_and_tables(tmp_path: Path) -> None:
    (tmp_path / "page.html").write_text(
        "<html><head><title>Quake</title><style>p{color:red}</style></head><body>"
        "<script>var x = 99;</script><p>The toll rose to 120.</p>"
        "<table><tr><th>Metric</th><th>Value</th></tr><tr><td>Depth</td><td>10 km</td></tr></table>"
        "</body></html>"
    )
    [doc] = ingest([tmp_path]).documents
    assert doc.title == "Quake"
    assert "99" not in doc.text and "color" not in doc.text
    assert "The toll rose to 120." in doc.text
    assert "| Depth | 10 km |" in doc.text


def test_html_keeps_the_article_and_drops_the_page_chrome(tmp_path: Path) -> None:
    para = ("The Harbour Bridge will close for 18 months from next April while engineers replace its deck, "
            "the city council said on Monday, at a cost of 86 million pounds.")
    (tmp_path / "story.html").write_text(
        "<html><head><title>Bridge to close | The Gazette</title>"
        '<script type="application/ld+json">{"@type":"NewsArticle","datePublished":"2025-03-10T07:45:00Z"}</script>'
        "</head><body><div class='cookie-banner'>We use cookies and share data with 14 partners.</div>"
        "<nav><a href='/'>Home</a> <a href='/news'>News</a></nav>"
        f"<article><h1>Bridge to close</h1><p>{para}</p>"
        "<p>Local traders fear footfall will fall by a third.</p></article>"
        "<section class='related'><h2>Related stories</h2><ul><li><a href='/a'>Port traffic fell 12% last year</a></li>"
        "</ul></section><footer>Company number 04512398</footer></body></html>"
    )
    [doc] = ingest([tmp_path]).documents
    assert para in doc.text and "footfall will fall by a third" in doc.text
    assert "14 partners" not in doc.text and "12%" not in doc.text and "04512398" not in doc.text
    assert doc.title == "Bridge to close"
    assert doc.date == "2025-03-10"


def test_duplicates_and_symlink_loops(tmp_path: Path) -> None:
    (tmp_path / "one.txt").write_text("Same words.")
    (tmp_path / "two.txt").write_text("Same words.")
    os.symlink(tmp_path, tmp_path / "loop")
    result = ingest([tmp_path])
    assert [d.id for d in result.documents] == ["one"]
    assert any("duplicate of one" in s.reason for s in result.skipped)


def test_a_folder_with_nothing_to_read_is_reported(tmp_path: Path) -> None:
    (tmp_path / "image.png").write_bytes(b"\x89PNG")
    result = ingest([tmp_path])
    assert result.documents == []
    assert [s.reason for s in result.skipped] == ["unsupported file type '.png'",
                                                  "folder holds no .txt, .md, .html or .pdf file"]


def test_pdf_text_is_extracted(tmp_path: Path) -> None:
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    writer = PdfWriter()
    page = writer.add_blank_page(width=300, height=200)
    font = DictionaryObject({NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
                             NameObject("/BaseFont"): NameObject("/Helvetica")})
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/Font"): DictionaryObject({NameObject("/F1"): writer._add_object(font)})})
    stream = DecodedStreamObject()
    stream.set_data(b"BT /F1 12 Tf 20 100 Td (Acme reported revenue of $4.2 billion.) Tj ET")
    page[NameObject("/Contents")] = writer._add_object(stream)
    with (tmp_path / "filing.pdf").open("wb") as f:
        writer.write(f)
    [doc] = ingest([tmp_path]).documents
    assert "Acme reported revenue of $4.2 billion." in doc.text


@pytest.mark.parametrize(("content", "day"), [
    ("2026-04-09T10:00:00Z", "2026-04-09"), ("Thu, 09 Apr 2026 10:00:00 GMT", "2026-04-09"),
    ("March 3, 2025", "2025-03-03"), ("3 March 2025", "2025-03-03"), ("2025/03/03 10:00", "2025-03-03"),
    ("03/04/2025", None), ("March 3", None), ("soon", None),
])
def test_publication_dates_in_metadata_are_read_in_the_common_formats(content: str, day: str | None) -> None:
    assert _metadata_day(content) == day
    if day:
        page = html_page(f'<html><head><meta property="article:published_time" content="{content}"></head>'
                         "<body><p>Text.</p></body></html>")
        assert page.published == day
