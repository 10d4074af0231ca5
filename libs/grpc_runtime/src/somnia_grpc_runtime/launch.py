"""`python -m somnia_grpc_runtime.launch`: run the service named by $SOMNIA_SERVICE (`somnia_<name>`).

The container entrypoint: one image recipe serves every service, and exec form needs no shell.
"""

from __future__ import annotations

import os
import runpy
import sys


def main() -> None:
    name = os.environ.get("SOMNIA_SERVICE", "")
    if not name or not name.replace("-", "_").isidentifier():
        sys.exit("set SOMNIA_SERVICE to a service folder name, e.g. capture")
    runpy.run_module(f"somnia_{name.replace('-', '_')}", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
