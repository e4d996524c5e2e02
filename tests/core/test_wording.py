"""Wording that composes a status label into a sentence: the labels carry their own 已 ("已接受",
"已拒绝"), so a sentence that puts 已 before a placeholder says "已已" (issue 15's typo, once on the
order page). No Chinese message or template may write 已 straight before a placeholder."""

import re
from pathlib import Path

import hejie

PACKAGE = Path(hejie.__file__).parent
BEFORE_PLACEHOLDER = re.compile(r"已(%\(\w+\)s|\{\{|\{\w*\})")


def test_no_message_or_template_writes_yi_before_a_placeholder():
    offenders = []
    for path in [*PACKAGE.rglob("*.py"), *PACKAGE.rglob("*.html"), *PACKAGE.rglob("*.po")]:
        if "migrations" in path.parts:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if BEFORE_PLACEHOLDER.search(line):
                offenders.append(f"{path.relative_to(PACKAGE)}:{number}: {line.strip()}")
    assert offenders == []


def test_no_page_or_message_says_yi_twice():
    offenders = [str(p.relative_to(PACKAGE)) for p in [*PACKAGE.rglob("*.html"), *PACKAGE.rglob("*.py"),
                                                       *PACKAGE.rglob("*.po")]
                 if "已已" in p.read_text(encoding="utf-8")]
    assert offenders == []
