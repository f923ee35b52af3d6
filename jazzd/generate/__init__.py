"""Generation: the ONNX model, sampling, the soloist, the performance layer, the session."""
