"""The book hangs together: every chapter, exercise and glossary link points at a real notebook."""

from __future__ import annotations

import json
import re

import pytest

from paths import REPO_ROOT

CHAPTERS = REPO_ROOT / "chapters"
LINK = re.compile(r"\]\(([^)#\s]+\.ipynb)\)")
REQUIRED_TERMS = ["稀疏连接性", "共享权重", "特征图", "感受野", "步长", "填充", "池化", "上采样",
                  "链式法则", "反向传播", "激活函数", "梯度消失", "等变性", "不变性"]


def markdown(path) -> str:
    notebook = json.loads(path.read_text(encoding="utf-8"))
    return "\n".join("".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "markdown")


def chapter_notebooks():
    return sorted(p for p in CHAPTERS.glob("[0-9][0-9]_*.ipynb"))


def test_the_index_links_every_chapter_and_exercise():
    links = set(LINK.findall(markdown(CHAPTERS / "index.ipynb")))
    for chapter in chapter_notebooks():
        assert chapter.name in links, f"index.ipynb does not link {chapter.name}"
    for exercise in (REPO_ROOT / "exercises").glob("*.ipynb"):
        assert f"../exercises/{exercise.name}" in links, f"index.ipynb does not link {exercise.name}"
    assert "glossary.ipynb" in links


@pytest.mark.parametrize("path", [CHAPTERS / "index.ipynb", CHAPTERS / "glossary.ipynb", *chapter_notebooks()],
                         ids=lambda p: p.name)
def test_every_notebook_link_resolves(path):
    for target in LINK.findall(markdown(path)):
        assert (path.parent / target).resolve().exists(), f"{path.name} links to missing {target}"


@pytest.mark.parametrize("chapter", chapter_notebooks(), ids=lambda p: p.name)
def test_every_chapter_ends_with_its_exercise(chapter):
    exercises = [t for t in LINK.findall(markdown(chapter)) if t.startswith("../exercises/")]
    assert exercises, f"{chapter.name} does not point to its exercise notebook"
    number = chapter.name[:2]
    assert all(t.split("/")[-1].startswith(number) for t in exercises)


def glossary_rows() -> list[list[str]]:
    rows = [line.strip("|").split("|") for line in markdown(CHAPTERS / "glossary.ipynb").splitlines()
            if line.startswith("|") and not line.startswith("| ---")]
    return [[cell.strip() for cell in row] for row in rows[1:]]   # without the header


def test_the_glossary_has_every_key_term_once_with_a_chapter():
    rows = glossary_rows()
    assert all(len(row) == 4 and all(row) for row in rows), "each row: English | 中文 | meaning | chapter"
    english = [row[0].lower() for row in rows]
    assert len(english) == len(set(english)), "a term appears twice"
    chinese = " ".join(row[1] for row in rows)
    missing = [term for term in REQUIRED_TERMS if term not in chinese]
    assert not missing, f"the glossary lacks {missing}"


def test_every_chapter_installs_cnnbook_first_on_colab_and_nowhere_else():
    import tomllib

    source_url = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["urls"]["Source"]
    for chapter in chapter_notebooks():
        cells = json.loads(chapter.read_text(encoding="utf-8"))["cells"]
        first_code = next(c for c in cells if c["cell_type"] == "code")
        source = "".join(first_code["source"])
        assert 'if "google.colab" in sys.modules:' in source, f"{chapter.name}: no Colab guard in its first code cell"
        assert f"git+{source_url}" in source, f"{chapter.name}: installs from somewhere other than {source_url}"
        namespace = {}
        exec(source, namespace)   # outside Colab it must do nothing (and not fail)


def test_the_readme_badges_point_at_this_repository():
    import tomllib

    source_url = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["urls"]["Source"]
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    repository = source_url.removeprefix("https://github.com/")
    assert f"mybinder.org/v2/gh/{repository}/" in readme
    assert f"colab.research.google.com/github/{repository}/" in readme
