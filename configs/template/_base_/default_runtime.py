# This folder's runtime: mmext's (mmdet's runtime, custom_imports=['mmext'], MMExtRunner, prediction PNGs).
_base_ = 'mmext::_base_/default_runtime.py'
