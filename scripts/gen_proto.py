"""Generate Python code and .pyi stubs for proto/ into libs/proto, or check that it is up to date.

Usage: gen_proto.py [--check] OUT_DIR
"""

from __future__ import annotations

import filecmp
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROTO_ROOT = ROOT / "proto"


def generate(out_dir: Path) -> None:
    protos = sorted(str(p.relative_to(PROTO_ROOT)) for p in PROTO_ROOT.rglob("*.proto"))
    out_dir.mkdir(parents=True, exist_ok=True)
    cmd = [
        sys.executable,
        "-m",
        "grpc_tools.protoc",
        f"-I{PROTO_ROOT}",
        f"--python_out={out_dir}",
        f"--grpc_python_out={out_dir}",
        f"--mypy_out={out_dir}",
        f"--mypy_grpc_out={out_dir}",
        *protos,
    ]
    bin_dir = Path(sys.executable).parent
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin"}
    subprocess.run(cmd, check=True, cwd=PROTO_ROOT, env=env)
    # Every generated folder is a regular package so that mypy and importlib agree; `somnia` itself
    # stays a namespace package shared with nothing else.
    for folder in out_dir.rglob("*"):
        if folder.is_dir() and folder != out_dir / "somnia" and not (folder / "__init__.py").exists():
            (folder / "__init__.py").write_text("")


def generated_files(root: Path) -> set[Path]:
    return {p.relative_to(root) for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts}


def main(argv: list[str]) -> int:
    check = "--check" in argv
    out = Path(next(a for a in argv if not a.startswith("--"))).resolve()
    if not check:
        generate(out)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp)
        generate(fresh)
        want, have = generated_files(fresh), generated_files(out) - {Path("somnia/py.typed")}
        stale = sorted(str(p) for p in want ^ have)
        stale += sorted(str(p) for p in want & have if not filecmp.cmp(fresh / p, out / p, shallow=False))
        if stale:
            print("libs/proto is stale; run `make proto` and commit. Differs:", *stale, sep="\n  ")
            return 1
    print("libs/proto is up to date with proto/")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
