"""The offline models' names and dimension, importable without loading onnxruntime."""

MODEL_NAME = "all-MiniLM-L6-v2-int8-onnx"
DIMENSION = 384
BGE_SMALL_NAME = "bge-small-en-v1.5-int8-onnx"
# Both offline models are 384 wide; the name, stored with every vector, tells them apart.


def settings_kind_of(model_name: str) -> str | None:
    """The SOMNIA_EMBEDDER_KIND that makes vectors named `model_name`, for the offline models."""
    return {MODEL_NAME: "onnx-minilm", BGE_SMALL_NAME: "onnx-bge-small"}.get(model_name)
