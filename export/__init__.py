"""The offline half of jazzd: MIDI recording -> grammar corpus -> Keras LSTM -> one-step ONNX.

Only this package imports TensorFlow, and only inside the functions that train
and export (see :mod:`export.train` and :mod:`export.onnx_export`).
"""
