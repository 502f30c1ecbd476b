from reprobook.hashing import project_code_closure


def test_closure_follows_project_imports_only(tmp_path):
    src = tmp_path / "src"
    (src / "pkg").mkdir(parents=True)
    (src / "pkg" / "__init__.py").write_text("")
    (src / "pkg" / "a.py").write_text("from . import b\nimport json\n")
    (src / "pkg" / "b.py").write_text("from pkg.c import thing\n")
    (src / "pkg" / "c.py").write_text("thing = 1\n")
    (src / "pkg" / "unused.py").write_text("")
    files = {p.name for p in project_code_closure("import pandas\nfrom pkg import a\n", src)}
    assert files == {"__init__.py", "a.py", "b.py", "c.py"}
