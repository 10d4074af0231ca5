"""The strength law's parameters, from SOMNIA_RANKING_* variables: Recall ranks by strength and forgetting
archives by it, so both read the same four variables through this one class."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from somnia_memory_model.strength import ActivationLaw


class StrengthSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SOMNIA_RANKING_", extra="ignore")

    # Strength: base-level activation (each recording and use a trace decaying as age ** -decay) raised
    # by importance and pattern success, through a sigmoid around `activation_threshold`.
    activation_decay: float = Field(default=0.5, gt=0.0, lt=1.0)
    activation_threshold: float = Field(default=-1.5)
    strength_importance_gain: float = Field(default=1.0, ge=0.0)
    strength_success_gain: float = Field(default=1.0, ge=0.0)

    def law(self) -> ActivationLaw:
        return ActivationLaw(
            decay=self.activation_decay,
            threshold=self.activation_threshold,
            importance_gain=self.strength_importance_gain,
            success_gain=self.strength_success_gain,
        )
