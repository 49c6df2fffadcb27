"""Error analysis of a detector's predictions against ground truth: confusion matrix, PR curves, AP bars, worst
images."""
from mmext.analysis.report import AnalysisReport, analyze

__all__ = ['AnalysisReport', 'analyze']
