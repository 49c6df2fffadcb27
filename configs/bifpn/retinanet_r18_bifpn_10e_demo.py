# The demo (configs/demo/retinanet_r18_fpn_10e_demo.py) with a BiFPN-D0 neck: trains from scratch on the CPU
# on the built-in synthetic shapes (python tools/make_demo_data.py --out-dir data/demo).
_base_ = [
    '../_base_/models/retinanet_r18_bifpn.py',
    '../_base_/datasets/demo_coco.py',
    '../_base_/schedules/adamw_cosine_10e.py',
    '../_base_/default_runtime.py',
]
