"""The service's client reaches Temporal over mutual TLS with the files named in its settings, and carries the API
key: what the API, the worker and devtools connect with (`temporal_options.connect_args`)."""

from pathlib import Path

import pytest

from settings import Settings
from temporal_options import TemporalTarget
from tests.support.tls_proxy import OPENSSL, SERVER_NAME, make_certificates, running_tls_proxy
from worker import connect

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(OPENSSL is None, reason="the openssl CLI makes the test certificates, and it is not installed"),
]


async def test_the_service_connects_over_mutual_tls_with_its_settings_and_is_refused_without_them(
    dev_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    certificates = make_certificates(tmp_path)
    async with running_tls_proxy(dev_server, certificates) as address:
        monkeypatch.setenv("AFTERSALES_TEMPORAL_ADDRESS", address)
        monkeypatch.setenv("AFTERSALES_TEMPORAL_TLS_CERT", str(certificates.client_cert))
        monkeypatch.setenv("AFTERSALES_TEMPORAL_TLS_KEY", str(certificates.client_key))
        monkeypatch.setenv("AFTERSALES_TEMPORAL_TLS_CA", str(certificates.ca))
        monkeypatch.setenv("AFTERSALES_TEMPORAL_TLS_SERVER_NAME", SERVER_NAME)
        monkeypatch.setenv("AFTERSALES_TEMPORAL_API_KEY", "tmprl-test-key")

        client = await connect(TemporalTarget.of(Settings()))
        assert (await client.count_workflows("WorkflowType = 'nothing-by-this-name'")).count == 0
        assert client.api_key == "tmprl-test-key"

        without_client_cert = TemporalTarget(address, server_ca=certificates.ca, server_name=SERVER_NAME)
        with pytest.raises(RuntimeError, match="connect"):
            await connect(without_client_cert)
        plaintext = TemporalTarget(address)
        with pytest.raises(RuntimeError, match="connect"):
            await connect(plaintext)
