"""The bilingual text of the domain read in the active language (hejie.core.i18n.pick), and the
pages' name for it (hejie.web.common.i18n re-exports it)."""

import pytest
from django.utils import translation

from hejie.core.i18n import pick


@pytest.mark.parametrize(("text", "zh", "en"), [
    ("验证码错误，还可尝试4次 (wrong code; 4 tries left)", "验证码错误，还可尝试4次", "Wrong code; 4 tries left"),
    ("消费者未回应 consumer unresponsive", "消费者未回应", "Consumer unresponsive"),
    ("14天内未受理投诉 never took up a complaint", "14天内未受理投诉", "Never took up a complaint"),
    ("PDF", "PDF", "PDF"),
    ("密码不符合要求 (password rejected): too short", "密码不符合要求 (password rejected): too short",
     "密码不符合要求 (password rejected): too short"),
])
def test_pick_shows_the_half_in_the_active_language(text, zh, en):
    with translation.override("zh-hans"):
        assert pick(text) == zh
    with translation.override("en"):
        assert pick(text) == en


def test_the_pages_pick_is_the_same_function():
    from hejie.web.common import i18n

    assert i18n.pick is pick
