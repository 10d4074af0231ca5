from pathlib import Path

import pytest
from somnia_nats_server import NatsServer, NatsServerError
from somnia_nats_server.server import render_config


def test_config_fsyncs_before_acknowledging(tmp_path: Path) -> None:
    config = render_config(host="127.0.0.1", port=1, monitor_port=2, store_dir=tmp_path)
    assert "sync_interval: always" in config and "listen: 127.0.0.1:1" in config


@pytest.mark.integration
def test_server_starts_reports_its_version_and_refuses_a_taken_port(tmp_path: Path) -> None:
    with NatsServer(tmp_path / "a") as server:
        assert server.version().startswith("2.")
        with pytest.raises(NatsServerError, match="already in use"):
            NatsServer(tmp_path / "b", port=server.port).start()
    assert not (tmp_path / "b" / "nats-server.conf").exists()
