"""`python -m api.tokens` prints a token the API accepts (the README's walk-through uses it)."""

import pytest

from api import tokens
from api.auth import decode_token
from rulebook.enums import Role
from settings import Settings


def test_the_cli_prints_a_token_signed_with_the_configured_secret(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(env="test", jwt_secret="cli-test-secret-that-is-32-bytes-long")
    monkeypatch.setattr(tokens, "get_settings", lambda: settings)

    tokens.main(["--role", "merchant", "--sub", "clerk-1", "--shop-id", "shop-1", "--hours", "1"])

    caller = decode_token(capsys.readouterr().out.strip(), settings)
    assert (caller.id, caller.role, caller.shop_id) == ("clerk-1", Role.MERCHANT, "shop-1")


def test_a_merchant_token_needs_a_shop() -> None:
    with pytest.raises(SystemExit) as exit_info:
        tokens.main(["--role", "merchant", "--sub", "clerk-1"])
    assert exit_info.value.code == 2
