"""LoRA training of promoted memories (PEFT). Runs as `python -m somnia_trainer` in the trainer's image
(a Kubernetes Job) or as a local subprocess; needs `somnia-trainer[torch]`. Its command line and result
are the contract in somnia_parametric (TrainingJob, trainer_args, TrainingResult)."""
