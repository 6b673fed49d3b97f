"""`teamop diff` refuses to guess which Sites are meant (exit code 2, nothing read)."""

from __future__ import annotations

import pytest

from teamop.cli import main


@pytest.mark.parametrize("args", [["diff"], ["diff", "orbit", "--all"]])
def test_one_site_or_all_must_be_named(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*args, "--kubeconfig", "/nonexistent"]) == 2
    assert "name one Site, or --all" in capsys.readouterr().err


def test_an_unreadable_kubeconfig_is_exit_code_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "orbit", "-n", "posit-team", "--kubeconfig", "/nonexistent/kubeconfig"]) == 2
    assert capsys.readouterr().err.startswith("error: ")
