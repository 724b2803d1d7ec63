"""The Chinese edition stays in step with the English (cnnbook.course.translation), and the checks speak Chinese."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from cnnbook.course.checks import QUESTIONS, check, questions_of_chapter
from cnnbook.course.checks.language import current_language, translate
from cnnbook.course.translation import en_hash, language_of, pairs, problems, set_translation, sync
from paths import REPO_ROOT


def notebook(*cells) -> dict:
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": {"kernelspec": {"name": "python3"}},
            "cells": [{"cell_type": kind, "id": cell_id, "metadata": {}, "source": source,
                       **({"outputs": [], "execution_count": None} if kind == "code" else {})}
                      for kind, cell_id, source in cells]}


@pytest.fixture
def book(tmp_path) -> tuple[Path, Path]:
    english = tmp_path / "chapters" / "01_demo.ipynb"
    english.parent.mkdir()
    english.write_text(json.dumps(notebook(("markdown", "intro", "# Convolution"), ("code", "c1", "x = 1"),
                                           ("markdown", "end", "The end."))))
    return english, tmp_path / "zh" / "chapters" / "01_demo.ipynb"


def read(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def test_sync_copies_the_code_and_marks_every_markdown_cell_untranslated(book):
    english, zh = book
    written = sync(english, zh)
    assert [c["id"] for c in written["cells"]] == ["intro", "c1", "end"]
    assert written["cells"][1]["source"] == "x = 1" and written["metadata"]["cnnbook"]["language"] == "zh"
    assert problems(english, zh) == [f"{zh}, cell intro: not translated yet", f"{zh}, cell end: not translated yet"]


def test_a_translation_is_kept_by_cell_id_until_its_english_changes(book):
    english, zh = book
    sync(english, zh)
    set_translation(zh, "intro", "# 卷积", english_path=english)
    set_translation(zh, "end", "完。", english_path=english)
    assert problems(english, zh) == []
    source = read(english)
    source["cells"].insert(1, {"cell_type": "code", "id": "c0", "metadata": {}, "source": "y = 2",
                               "outputs": [], "execution_count": None})
    source["cells"][0]["source"] = "# Convolution, again"
    english.write_text(json.dumps(source))
    synced = sync(english, zh)
    assert synced["cells"][0]["source"] == "# 卷积" and synced["cells"][1]["source"] == "y = 2"
    assert problems(english, zh) == [f"{zh}, cell intro: stale: the English text changed since it was translated"]


def test_code_edited_in_the_zh_notebook_is_reported(book):
    english, zh = book
    sync(english, zh)
    edited = read(zh)
    edited["cells"][1]["source"] = "x = 2"
    zh.write_text(json.dumps(edited))
    assert f"{zh}, cell c1: code differs from the English notebook (run `cnnbook translate`)" in problems(english, zh)
    sync(english, zh)
    assert read(zh)["cells"][1]["source"] == "x = 1"  # sync restores the English code


def test_set_translation_refuses_a_cell_that_is_not_english_markdown(book):
    english, zh = book
    sync(english, zh)
    with pytest.raises(ValueError, match="no Markdown cell with id 'c1'"):
        set_translation(zh, "c1", "x = 3", english_path=english)
    assert en_hash("a") != en_hash("b")


def test_the_language_of_a_notebook():
    assert language_of({"metadata": {"cnnbook": {"language": "zh"}}}) == "zh"
    assert language_of({"metadata": []}, Path("course/zh/exercises/05_pooling.ipynb")) == "zh"
    assert language_of({"metadata": {}}, Path("course/exercises/05_pooling.ipynb")) == "en"


PAIRS = pairs(REPO_ROOT)


@pytest.mark.parametrize("english, zh", PAIRS, ids=[str(zh.relative_to(REPO_ROOT)) for _, zh in PAIRS])
def test_every_english_notebook_has_a_zh_twin_in_step_with_it(english, zh):
    assert problems(english, zh) == []


# Bold that closes right after full-width punctuation and is followed by a Han character is not bold
# in CommonMark (the closing ** is not right-flanking): "**怎么做。**每道题" shows its asterisks.
UNRENDERED_BOLD = re.compile(r"\*\*[^*\n]+?[。：，；！？]\*\*(?=[\u4e00-\u9fff])")


@pytest.mark.parametrize("english, zh", PAIRS, ids=[str(zh.relative_to(REPO_ROOT)) for _, zh in PAIRS])
def test_zh_markdown_has_no_bold_that_would_show_its_asterisks(english, zh):
    cells = json.loads(zh.read_text(encoding="utf-8"))["cells"]
    texts = ["".join(c["source"]) if isinstance(c["source"], list) else c["source"] for c in cells
             if c["cell_type"] == "markdown"]
    assert [match for text in texts for match in UNRENDERED_BOLD.findall(text)] == []


# --- the checks in Chinese ------------------------------------------------------------------------------

def test_current_language_follows_the_argument_the_environment_and_the_notebook(monkeypatch, tmp_path):
    monkeypatch.delenv("CNNBOOK_LANG", raising=False)
    monkeypatch.setenv("JPY_SESSION_NAME", str(tmp_path / "zh" / "chapters" / "05_pooling.ipynb"))
    assert current_language() == "zh" and current_language("en") == "en"
    monkeypatch.setenv("JPY_SESSION_NAME", str(tmp_path / "chapters" / "05_pooling.ipynb"))
    assert current_language() == "en"
    monkeypatch.setenv("CNNBOOK_LANG", "zh")
    assert current_language() == "zh"
    with pytest.raises(ValueError, match="lang must be one of"):
        current_language("fr")


def test_check_reports_in_chinese_with_the_diagnosis_translated(capsys):
    def max_pool2d(x, kernel_size, stride=None, padding=0):  # ignores the padding: a listed mistake
        return QUESTIONS["max_pool2d"].mistakes[1].function(x, kernel_size, stride, padding)

    report = check("max_pool2d", max_pool2d, lang="zh")
    printed = capsys.readouterr().out
    assert "个用例中通过了" in printed and "可能的错误：" in printed
    for diagnosis in report.diagnoses():
        assert translate(diagnosis, "zh") != diagnosis and translate(diagnosis, "zh") in printed


CHAPTERS_WITH_QUESTIONS = sorted({question.chapter for question in QUESTIONS.values()})


@pytest.mark.parametrize("chapter", CHAPTERS_WITH_QUESTIONS)
def test_every_case_name_and_diagnosis_of_a_chapter_has_its_chinese_text(chapter):
    strings = [case.name for question in questions_of_chapter(chapter) for case in question.cases()]
    strings += [mistake.diagnosis for question in questions_of_chapter(chapter) for mistake in question.mistakes]
    assert strings
    missing = [text for text in strings if translate(text, "zh") == text]
    assert missing == []


def test_framework_messages_read_as_chinese():
    assert translate("dx has shape (2, 3); expected (2, 4)", "zh") == "dx 的形状是 (2, 3)；应为 (2, 4)"
    assert translate("conv2d: 3/8 cases passed;", "zh") == "conv2d：8 个用例中通过了 3 个；"
    assert translate("dx has shape (2, 3); expected (2, 4)", "en") == "dx has shape (2, 3); expected (2, 4)"
    assert translate("hidden case 2 (a variation of: passed)", "zh") == "隐藏用例 2（变体：通过）"


def test_feedback_of_a_zh_submission_is_in_chinese(tmp_path):
    from cnnbook.course.checks.framework import CaseResult
    from cnnbook.course.grading.reports import feedback
    from cnnbook.course.grading.results import NotebookGrade, QuestionGrade
    from cnnbook.course.grading.submission import read_submission

    path = tmp_path / "zh" / "exercises" / "05_pooling.ipynb"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(notebook(("code", "a", "x = 1"))))
    language = read_submission(path).language
    diagnosis = QUESTIONS["max_pool2d"].mistakes[1].diagnosis
    case = QUESTIONS["max_pool2d"].cases()[0].name
    question = QuestionGrade("max_pool2d", 0.5, 1.0, "1/2 cases", diagnosis,
                             [CaseResult(case), CaseResult(case, "the result has shape (1,); expected (2,)", diagnosis)])
    text = feedback(NotebookGrade(str(path), "ada", 5, language=language, questions=[question]))
    assert language == "zh"
    assert "# 反馈" in text and "练习 5：" in text and "1/2 个用例" in text and "结果的形状是 (1,)；应为 (2,)" in text
    assert translate(diagnosis, "zh") in text
    assert "# Feedback" in feedback(NotebookGrade(str(path), "ada", 5, questions=[question]))
