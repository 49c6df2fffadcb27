"""A generated COCO dataset with its images, fresh for every test."""
import pytest

from tests.datasets.convert.formats import make_coco


@pytest.fixture
def coco(tmp_path):
    """``(content, image folder)`` of the generated dataset (see :func:`tests.datasets.convert.formats.make_coco`)."""
    img_dir = tmp_path / 'coco_images'
    return make_coco(img_dir), img_dir
