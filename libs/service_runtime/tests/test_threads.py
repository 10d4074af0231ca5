"""A service's BLAS threads: one by default, as the settings say, and the variables for libraries that
load later."""

import os
import subprocess
import sys

import numpy  # noqa: F401  (loads the BLAS the limit applies to)
import pytest
from somnia_service_runtime.settings import ServiceSettings
from somnia_service_runtime.threads import limit_blas_threads


def test_limit_applies_to_the_loaded_blas() -> None:
    assert limit_blas_threads(1) == 1


def test_settings_default_to_one_thread_and_read_the_machine_wide_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    class GraphSettings(ServiceSettings):
        model_config = {**ServiceSettings.model_config, "env_prefix": "SOMNIA_GRAPH_SERVICE_"}

    assert GraphSettings().blas_threads == 1
    monkeypatch.setenv("SOMNIA_BLAS_THREADS", "0")
    assert GraphSettings().blas_threads == 0
    monkeypatch.setenv("SOMNIA_GRAPH_SERVICE_BLAS_THREADS", "2")
    assert GraphSettings().blas_threads == 2


def test_a_blas_loaded_after_the_limit_also_runs_on_one_thread() -> None:
    code = (
        "from somnia_service_runtime.threads import limit_blas_threads\n"
        "import os, sys\n"
        "assert 'numpy' not in sys.modules\n"
        "limit_blas_threads(1)\n"
        "import numpy\n"
        "from threadpoolctl import threadpool_info\n"
        "print(max(p['num_threads'] for p in threadpool_info() if p['user_api'] == 'blas'))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "1"
