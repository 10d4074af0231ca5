"""LoRA training of promoted memories (PEFT). Runs as `python -m somnia_trainer` in the trainer's image
(a Kubernetes Job) or as a local subprocess; needs `somnia-trainer[torch]`."""

from somnia_trainer.result import TrainingResult

__all__ = ["TrainingResult"]
