"""The trained demo detector shared by the inference tests."""
import pytest


@pytest.fixture(scope='session')
def detector(trained_work_dir):
    from mmext.inference import Detector
    return Detector.from_work_dir(str(trained_work_dir), batch_size=4)


@pytest.fixture(scope='session')
def val_images(tiny_coco):
    """The 8 val images of tiny_coco, sorted."""
    import glob
    return sorted(glob.glob(f"{tiny_coco['img_dir']}/*.jpg"))[-8:]
