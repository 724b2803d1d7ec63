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


#: Lower-case math functions; written capitalised at the start of a cell they read as other symbols ("Tanh z").
MATH_FUNCTIONS = {"ceil", "exp", "floor", "log", "max", "min", "relu", "sigmoid", "sign", "softmax", "tanh"}


def capitalised_symbol_at_start(text: str) -> str | None:
    """The leading token of ``text`` when it is a math symbol a capitaliser mangled ("Σ(z)", "Z for", "Max(z")."""
    token = re.match(r"[^\W\d_]+", text)
    if token is None:
        return None
    word = token.group()
    single_capital = len(word) == 1 and word.isupper() and word != "A"      # "A map ..." is an article
    capitalised_function = word.lower() in MATH_FUNCTIONS and word != word.lower()
    return word if single_capital or capitalised_function else None


@pytest.mark.parametrize("text, symbol", [("Σ(z) = 1/(1 + e^{-z})", "Σ"), ("Z for z > 0", "Z"), ("Tanh z = …", "Tanh"),
                                          ("Max(z, 0)", "Max"), ("Floor((H + 2p - R)/s)", "Floor"),
                                          ("A map φ is …", None), ("The function σ(z)", None), ("`rot180`", None)])
def test_the_capitalised_symbol_detector(text, symbol):
    assert capitalised_symbol_at_start(text) == symbol


def test_no_glossary_cell_starts_with_a_capitalised_math_symbol():
    mangled = [(row[0], symbol) for row in glossary_rows() for cell in row[1:3]
               if (symbol := capitalised_symbol_at_start(cell))]
    assert not mangled, f"glossary cells that start with a capitalised symbol (write σ, not Σ): {mangled}"


def term_variants(english: str, chinese: str) -> list[str]:
    """The ways a glossary term may appear in its chapter: "multiply-add (MAC)" gives "multiply-add" and "mac"."""
    english = english.strip('"“”').lower()
    words = [english, re.sub(r"\s*\(.*?\)", "", english), *re.findall(r"\((.*?)\)", english)]
    words += [part for word in words for part in word.split(" / ")]
    return words + [name for name in re.split(r"[（）、，/\s]+", chinese) if name]


def test_each_glossary_term_occurs_in_the_chapter_it_names():
    absent = []
    for english, chinese, _, chapter in glossary_rows():
        target = LINK.search(chapter).group(1)
        text = markdown(CHAPTERS / target).lower().replace("$", "")     # "$K$-fold" reads as "k-fold"
        if not any(variant in text for variant in term_variants(english, chinese)):
            absent.append(f"{english} ({target})")
    assert not absent, f"glossary terms their chapter never mentions, in English or Chinese: {absent}"


def test_the_glossary_is_sorted_alphabetically():
    terms = [row[0].strip('"“”').lower() for row in glossary_rows()]
    assert terms == sorted(terms)


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
