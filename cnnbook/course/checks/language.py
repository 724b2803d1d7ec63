"""The checks in the learner's language: English, or Chinese for the zh edition.

Which language :func:`cnnbook.course.checks.check` speaks (:func:`current_language`):
``check(..., lang="zh")``, else the ``CNNBOOK_LANG`` environment variable, else Chinese when the
notebook is in the book's ``zh/`` folder (Jupyter names the notebook in ``JPY_SESSION_NAME``, and
starts the kernel in its folder), else English. So a zh notebook's code cells can stay identical
to the English ones.

What is translated (:func:`translate`): the case names and diagnoses, by their exact English
text, from ``cnnbook/course/checks/zh/chNN.py``; the messages the framework builds (wrong shape, wrong
values, ...), by pattern. Text with no translation stays English.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

LANGUAGES = ("en", "zh")


def current_language(explicit: str | None = None) -> str:
    """The language of the checks' messages: ``"en"`` or ``"zh"`` (see the module docstring)."""
    if explicit is not None:
        if explicit not in LANGUAGES:
            raise ValueError(f"check: lang must be one of {LANGUAGES}; got {explicit!r}")
        return explicit
    chosen = os.environ.get("CNNBOOK_LANG", "")
    if chosen in LANGUAGES:
        return chosen
    notebook = os.environ.get("JPY_SESSION_NAME", "")
    folder = Path(notebook).parent if notebook else Path.cwd()
    return "zh" if "zh" in folder.parts else "en"


def translate(text: str, language: str) -> str:
    """``text`` in ``language`` (unchanged for English, or when there is no translation)."""
    if language != "zh" or not text:
        return text
    from .zh import TEXT

    if text in TEXT:
        return TEXT[text]
    for pattern, template in _PATTERNS:
        match = pattern.fullmatch(text)
        if match:
            filled = template.format(*(translate(part, language) for part in match.groups()))
            return _BETWEEN_HAN.sub("", filled)  # "结果 的形状" -> "结果的形状"; "dx 的形状" keeps its space
    return text


_BETWEEN_HAN = re.compile(r"(?<=[\u4e00-\u9fff]) (?=[\u4e00-\u9fff])")


_PATTERNS = [(re.compile(pattern, re.DOTALL), template) for pattern, template in [
    (r"hidden case (\d+) \(a variation of: (.+)\)", "隐藏用例 {0}（变体：{1}）"),
    (r"returned (.+); expected a tuple of (\d+) \((.+)\)", "返回了 {0}；应返回含 {1} 项的元组（{2}）"),
    (r"a (\w+) of (\d+) items", "含 {1} 项的 {0}"),
    (r"a (\w+)", "一个 {0}"),
    (r"(.+) has type (.+); expected a numpy array of shape (.+)", "{0} 的类型是 {1}；应为形状 {2} 的 numpy 数组"),
    (r"(.+) has shape (.+); expected (.+)", "{0} 的形状是 {1}；应为 {2}"),
    (r"(.+) has dtype (.+); expected (.+) \(keep the input's float type\)",
     "{0} 的 dtype 是 {1}；应为 {2}（保持输入的浮点类型）"),
    (r"(.+) has wrong values \(largest error (.+) at index (.+): got (.+), expected (.+)\)",
     "{0} 的数值不对（最大误差 {1}，位于索引 {2}：得到 {3}，应为 {4}）"),
    (r"(.+) is (.+) \((.+)\); expected the int (.+)", "{0} 是 {1}（{2}）；应为整数 {3}"),
    (r"(.+) is (.+); expected a number close to (.+)", "{0} 是 {1}；应为接近 {2} 的数"),
    (r"(.+) is (.+); expected (.+)", "{0} 是 {1}；应为 {2}"),
    (r"the result", "结果"),
    (r"item (\d+)", "第 {0} 项"),
    (r"called (.+)", "调用了 {0}"),
    (r"raised NotImplementedError: not implemented for this case", "抛出 NotImplementedError：这个用例还没有实现"),
    (r"raised (.+)", "抛出了异常 {0}"),
    (r"modified its input \((.+)\)", "修改了它的输入（{0}）"),
    (r"the result could not be compared with the answer \((.+)\)", "结果无法与答案比较（{0}）"),
    (r"(.+): (\d+)/(\d+) cases passed(;?)", "{0}：{2} 个用例中通过了 {1} 个{3}"),
    (r"(.+): not implemented yet \(the function still raises NotImplementedError\)",
     "{0}：还没有实现（函数仍然抛出 NotImplementedError）"),
    (r"not implemented yet", "还没有实现"),
    (r";", "；"),
    # the grader's words (cnnbook.course.grading): a question's status, and several diagnoses in one line
    (r"passed", "通过"),
    (r"(\d+)/(\d+) cases, (\d+)/(\d+) hidden", "{0}/{1} 个用例，隐藏用例 {2}/{3}"),
    (r"(\d+)/(\d+) cases", "{0}/{1} 个用例"),
    (r"used the package's own answer", "用了本包自带的答案"),
    (r"missing", "缺失"),
    (r"timed out", "超时"),
    (r"kernel died", "内核崩溃"),
    (r"error", "出错"),
    (r"(.+?); (.+)", "{0}；{1}"),
]]
