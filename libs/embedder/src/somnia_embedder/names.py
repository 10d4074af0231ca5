"""The default model's name and dimension, importable without loading onnxruntime."""

MODEL_NAME = "all-MiniLM-L6-v2-int8-onnx"
DIMENSION = 384
