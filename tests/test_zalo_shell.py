"""`shcb shell --zalo`: the shell as a Zalo user, through a pipe: plain text, numbered options, numbers typed."""

from __future__ import annotations

import inspect

import pytest

from handlers import common
from tests.test_shell import _answers_after, _shell

pytestmark = pytest.mark.skipif("platform" not in inspect.signature(common.load_actor).parameters,
                                reason="needs the handlers' accounts looked up by platform (branch zalo-routing)")


def test_a_zalo_roll_call_in_the_shell(tmp_path):
    phone = "84399970239"  # Dương Đức Toàn, secretary of Trường Mầm non Đông Cương (generated, seed 7)
    done = _shell(tmp_path, ["/diemdanh", "xong", "7", "2", "/quit"], "--zalo", "--as", phone)
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert "You are now Dương Đức Toàn" in out and "on Zalo" in out
    # The person reads Vietnamese (their language); the shell's own lines are in English (SHCB_LANG).
    assert "     ✅ 1. Dương Đức Toàn" in out and "     f. ✅ Xong" in out    # numbered, lettered, plain
    assert "<b>" not in out and "[a]" not in out
    assert _answers_after(out, "7") == ["bot: Xin đồng chí trả lời bằng một số từ 1 đến 2."]
    assert any("Điểm danh đầu buổi" in line for line in _answers_after(out, "2"))   # back to the list
    assert "Traceback" not in done.stderr
