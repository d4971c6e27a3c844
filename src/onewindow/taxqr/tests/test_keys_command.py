"""The taxqr_keys command and the two deployments: each side holds only its own keys."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from onewindow.core.errors import DomainError
from onewindow.taxqr import keystore


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("taxqr_keys", *args, stdout=out)
    return out.getvalue()


def test_two_sides_exchange_public_keys_and_hold_no_foreign_secret(settings: Any, tmp_path: Any) -> None:
    settings.TAXQR_ROLE = "tax"
    settings.TAXQR_KEY_DIR = tmp_path / "tax"
    tax_lines = _run("generate").splitlines()
    assert len(tax_lines) == 1 and "import-recipient enc1 " in tax_lines[0]
    recipient_public = tax_lines[0].rsplit(" ", 1)[1]
    with pytest.raises(DomainError) as err:
        keystore.sender_keys()
    assert err.value.code == "taxqr_wrong_side"

    settings.TAXQR_ROLE = "taxpayer"
    settings.TAXQR_KEY_DIR = tmp_path / "payer"
    payer_lines = _run("generate").splitlines()
    assert len(payer_lines) == 1 and "import-verification sig1 " in payer_lines[0]
    _run("import-recipient", "enc1", recipient_public)
    sender = json.loads((tmp_path / "payer" / "sender.json").read_text())
    assert set(sender) == {"signing", "recipient"} and set(sender["recipient"]) == {"kid", "public"}
    assert not (tmp_path / "payer" / "receiver.json").exists()
    assert oct((tmp_path / "payer" / "sender.json").stat().st_mode & 0o777) == "0o600"

    settings.TAXQR_ROLE = "tax"
    settings.TAXQR_KEY_DIR = tmp_path / "tax"
    _run("import-verification", "sig1", payer_lines[0].rsplit(" ", 1)[1])
    receiver = json.loads((tmp_path / "tax" / "receiver.json").read_text())
    assert set(receiver["verification"]) == {"sig1"} and set(receiver["decryption"]) == {"enc1"}
    assert not (tmp_path / "tax" / "sender.json").exists()
    with pytest.raises(CommandError, match="rotate"):
        _run("generate")
    assert "enc2" in _run("rotate")
    assert set(json.loads((tmp_path / "tax" / "receiver.json").read_text())["decryption"]) == {"enc1", "enc2"}
