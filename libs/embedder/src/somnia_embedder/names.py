"""The offline models' names and dimension, importable without loading onnxruntime."""

MODEL_NAME = "all-MiniLM-L6-v2-int8-onnx"
DIMENSION = 384
BGE_SMALL_NAME = "bge-small-en-v1.5-int8-onnx"
# Both offline models are 384 wide; the name, stored with every vector, tells them apart.
