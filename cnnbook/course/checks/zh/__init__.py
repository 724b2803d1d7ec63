"""Chinese text of the checks, by the exact English text: ``TEXT[english] = chinese``.

``chNN.py`` holds chapter NN's case names and diagnoses; the framework's own fixed messages are
here. :func:`cnnbook.course.checks.language.translate` looks text up here first, then by pattern.
"""

from __future__ import annotations

import importlib
import pkgutil

from ..framework import DELEGATION, MUTATION

TEXT: dict[str, str] = {
    DELEGATION: "这道题要求你自己写这个函数：答案不能调用本包自带的同名实现"
                "（每道题禁止调用哪些函数，见 cnnbook.course.checks.policy）",
    MUTATION: "输入数组被修改了：请在副本上计算（np.pad、x.copy()），不要改动调用者的数组",
}

for _module in pkgutil.iter_modules(__path__):
    if _module.name.startswith("ch"):
        TEXT.update(importlib.import_module(f"{__name__}.{_module.name}").TEXT)
