"""Pictures a user looks at instead of reading logs."""
from mmext.visualization.bar_charts import grouped_bar_chart
from mmext.visualization.draw import class_palette, draw_boxes, make_grid

__all__ = ['class_palette', 'draw_boxes', 'grouped_bar_chart', 'make_grid']
