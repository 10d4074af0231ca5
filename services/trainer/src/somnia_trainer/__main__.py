"""`python -m somnia_trainer --dataset DIR --out DIR`: one LoRA training run. Progress goes to stdout as
JSON lines; the result to `<out>/somnia-adapter.json`, to `--result` when given, and to the container's
termination message when there is one (Kubernetes reads it into the pod's status). Exit 0 on success,
1 when training failed, 2 on bad input."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from pathlib import Path

from somnia_parametric import TERMINATION_LOG_BYTES, TrainingResult, TrainingSettings

TERMINATION_LOG = Path("/dev/termination-log")


def parse_args(argv: list[str]) -> argparse.Namespace:
    defaults = TrainingSettings()
    parser = argparse.ArgumentParser(prog="python -m somnia_trainer", description=__doc__)
    parser.add_argument("--dataset", required=True, type=Path, help="a dataset directory (with manifest.json)")
    parser.add_argument("--out", required=True, type=Path, help="where the adapter and its result are written")
    parser.add_argument("--result", type=Path, default=None, help="also write the result JSON here")
    parser.add_argument("--base-model", default=defaults.base_model)
    parser.add_argument("--rank", type=int, default=defaults.lora_rank)
    parser.add_argument("--alpha", type=int, default=defaults.lora_alpha)
    parser.add_argument("--epochs", type=int, default=defaults.epochs)
    parser.add_argument("--learning-rate", type=float, default=defaults.learning_rate)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    return parser.parse_args(argv)


def report(result: TrainingResult, extra: Path | None) -> None:
    body = result.model_dump_json()
    print(json.dumps({"event": "result", **result.model_dump()}), flush=True)
    if extra is not None:
        extra.parent.mkdir(parents=True, exist_ok=True)
        extra.write_text(body)
    if TERMINATION_LOG.parent.is_dir() and TERMINATION_LOG.exists():
        # not a pod, or a read-only one: the other copies stand
        with contextlib.suppress(OSError):
            TERMINATION_LOG.write_text(body[:TERMINATION_LOG_BYTES])


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if not (args.dataset / "manifest.json").is_file():
        print(f"bad input: {args.dataset} is not a dataset directory (no manifest.json)", file=sys.stderr)
        return 2
    try:
        settings = TrainingSettings(
            base_model=args.base_model,
            lora_rank=args.rank,
            lora_alpha=args.alpha,
            epochs=args.epochs,
            learning_rate=args.learning_rate,
            seed=args.seed,
        )
    except ValueError as exc:
        print(f"bad input: {exc}", file=sys.stderr)
        return 2
    from somnia_trainer.base_model import BaseModelError
    from somnia_trainer.train import train

    args.out.mkdir(parents=True, exist_ok=True)

    def on_epoch(epoch: int, loss: float) -> None:
        print(
            json.dumps({"event": "epoch", "epoch": epoch, "epochs": settings.epochs, "loss": round(loss, 4)}),
            flush=True,
        )

    try:
        result = train(args.dataset, args.out, settings, on_epoch)
    except BaseModelError as exc:
        report(TrainingResult(ok=False, base_model=settings.base_model, error=str(exc)), args.result)
        return 2
    except Exception as exc:  # the launcher records why; the traceback goes to the job's log
        import traceback

        traceback.print_exc()
        report(
            TrainingResult(ok=False, base_model=settings.base_model, error=f"{type(exc).__name__}: {exc}"), args.result
        )
        return 1
    report(result, args.result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
