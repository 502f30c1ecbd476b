"""Content hashes: line ends cannot flip the record; binary files are hashed by their bytes."""
from __future__ import annotations

import hashlib

from hypothesis import given, strategies as st

from reprobook.codedeps import Resolver, closure
from reprobook.hashing import CHUNK, content_sha256, is_text


def test_text_is_hashed_with_line_ends_normalised(tmp_path):
    lf, crlf = tmp_path / "lf.csv", tmp_path / "crlf.csv"
    lf.write_bytes(b"a,b\n1,2\n")
    crlf.write_bytes(b"a,b\r\n1,2\r\n")
    assert content_sha256(lf) == content_sha256(crlf) == hashlib.sha256(b"a,b\n1,2\n").hexdigest()


def test_a_crlf_split_across_read_chunks_is_still_one_line_end(tmp_path):
    body = b"x" * (CHUNK - 1) + b"\r\n" + b"y\r\n"
    f = tmp_path / "big.txt"
    f.write_bytes(body)
    assert content_sha256(f) == hashlib.sha256(body.replace(b"\r\n", b"\n")).hexdigest()


def test_binary_files_are_hashed_by_their_bytes(tmp_path):
    data = b"%PDF-1.4\n\x00\x01\r\n\xff"
    f = tmp_path / "fig.pdf"
    f.write_bytes(data)
    assert not is_text(data)
    assert content_sha256(f) == hashlib.sha256(data).hexdigest()


@given(st.lists(st.text(alphabet="ab,\u00e9\u049b1 ", max_size=20), max_size=30))
def test_any_text_hashes_the_same_with_lf_or_crlf(tmp_path_factory, lines):
    d = tmp_path_factory.mktemp("h")
    (d / "a").write_bytes("\n".join(lines).encode())
    (d / "b").write_bytes("\r\n".join(lines).encode())
    assert content_sha256(d / "a") == content_sha256(d / "b")


def test_closure_follows_project_imports_only(tmp_path):
    src = tmp_path / "src"
    (src / "pkg").mkdir(parents=True)
    (src / "pkg" / "__init__.py").write_text("")
    (src / "pkg" / "a.py").write_text("from . import b\nimport json\n")
    (src / "pkg" / "b.py").write_text("from pkg.c import thing\n")
    (src / "pkg" / "c.py").write_text("thing = 1\n")
    (src / "pkg" / "unused.py").write_text("")
    resolver = Resolver(tmp_path, [tmp_path / "notebooks", src], [tmp_path / ".venv"])
    files = {p.name for p in closure(["pandas", "pkg.a"], resolver)}
    assert files == {"__init__.py", "a.py", "b.py", "c.py"}
