"""Export of trained detectors (ONNX), the numpy steps around the graph, and the onnxruntime parity check."""
from mmext.export.graph import SUPPORTED_HEADS, check_exportable
from mmext.export.onnx_export import OnnxDetector, export_onnx, read_metadata
from mmext.export.source import load_detector

__all__ = ['SUPPORTED_HEADS', 'OnnxDetector', 'check_exportable', 'export_onnx', 'load_detector', 'read_metadata']
