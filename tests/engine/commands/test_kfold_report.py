"""The K-fold table: mean and sample std per metric, COCO's -1 as not measured, and the CSV, JSON and PNG."""
import csv
import json
import math
import statistics

from mmext.engine.commands.kfold_report import build_table, format_table, write_results

RECORDS = [dict(fold=0, metrics={'coco/bbox_mAP': 0.5, 'coco/bbox_mAP_l': -1.0}, checkpoint='a.pth'),
           dict(fold=1, metrics={'coco/bbox_mAP': 0.7, 'coco/bbox_mAP_l': 0.4}, checkpoint='b.pth'),
           dict(fold=2, metrics={'coco/bbox_mAP': 0.6, 'coco/bbox_mAP_l': 0.2}, checkpoint='c.pth')]


def test_mean_and_sample_std_leave_out_what_coco_did_not_measure():
    table = build_table(RECORDS)
    assert table.metrics == ['coco/bbox_mAP', 'coco/bbox_mAP_l']
    assert table.mean() == [statistics.fmean([0.5, 0.7, 0.6]), statistics.fmean([0.4, 0.2])]
    assert table.std() == [statistics.stdev([0.5, 0.7, 0.6]), statistics.stdev([0.4, 0.2])]
    one = build_table(RECORDS[1:2])
    assert math.isnan(one.std()[0])  # one fold: no spread to speak of
    text = format_table(table).splitlines()
    assert text[0].split() == ['fold', 'bbox_mAP', 'bbox_mAP_l']
    assert text[2].split() == ['0', '0.500', 'n/a']
    assert text[-2].split() == ['mean', '0.600', '0.300'] and text[-1].split() == ['std', '0.100', '0.141']


def test_results_are_written_as_csv_json_and_png(tmp_path):
    table = build_table(RECORDS)
    files = write_results(table, RECORDS, str(tmp_path), '3-fold cross-validation of demo.py')
    assert [f.rsplit('.', 1)[1] for f in files] == ['csv', 'json', 'png']
    rows = list(csv.reader(open(files[0])))
    assert rows[0] == ['fold', 'coco/bbox_mAP', 'coco/bbox_mAP_l']
    assert rows[1] == ['0', '0.5', ''] and rows[4] == ['mean', '0.6', '0.3'] and rows[5][0] == 'std'
    summary = json.loads(open(files[1]).read())
    assert summary['mean'] == {'coco/bbox_mAP': table.mean()[0], 'coco/bbox_mAP_l': table.mean()[1]}
    assert summary['folds'][0]['metrics']['coco/bbox_mAP_l'] is None and summary['folds'][2]['checkpoint'] == 'c.pth'
    assert (tmp_path / 'kfold_results.png').stat().st_size > 5000
