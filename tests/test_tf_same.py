"""TF "SAME" padding arithmetic, against hand-computed cases.

TF: out = ceil(in / stride); total padding = max((out - 1) * stride + kernel - in, 0); the odd
element goes after. Every expected value below was worked out by hand from that rule.
"""
import pytest
import torch
import torch.nn.functional as F

from avbench.metrics.networks.tf_same import max_pool3d_same, pad_same, same_padding


@pytest.mark.parametrize("size, kernel, stride, expected", [
    (224, 7, 2, (2, 3)),  # I3D Conv3d_1a: out 112, total 111*2+7-224 = 5
    (112, 3, 2, (0, 1)),  # MaxPool3d_2a spatial: out 56, total 55*2+3-112 = 1
    (16, 3, 2, (0, 1)),   # MaxPool3d_4a temporal, even T
    (9, 7, 2, (3, 3)),    # Conv3d_1a temporal, T = 9: out 5, total 4*2+7-9 = 6
    (8, 7, 2, (2, 3)),    # out 4, total 3*2+7-8 = 5
    (7, 2, 2, (0, 1)),    # MaxPool3d_5a on an odd axis: out 4, total 3*2+2-7 = 1
    (3, 3, 2, (1, 1)),    # out 2, total 1*2+3-3 = 2
    (1, 3, 2, (1, 1)),    # out 1, total 0+3-1 = 2
    (10, 2, 3, (0, 1)),   # kernel < stride: out 4, total 3*3+2-10 = 1
    (9, 1, 3, (0, 0)),    # would be negative: no padding
    (56, 3, 1, (1, 1)),   # stride 1, odd kernel: symmetric
    (2, 2, 2, (0, 0)),    # I3D MaxPool3d_5a on T'=2: exact fit
])
def test_same_padding_hand_cases(size, kernel, stride, expected):
    assert same_padding(size, kernel, stride) == expected


@pytest.mark.parametrize("size", range(1, 20))
@pytest.mark.parametrize("kernel, stride", [(1, 1), (3, 1), (3, 2), (7, 2), (2, 2), (4, 3)])
def test_padded_conv_output_length_is_ceil(size, kernel, stride):
    x = torch.zeros(1, 1, 1, 1, size)
    y = F.conv3d(pad_same(x, (1, 1, kernel), (1, 1, stride)), torch.zeros(1, 1, 1, 1, kernel), stride=(1, 1, stride))
    assert y.shape[-1] == -(-size // stride)


def test_conv_windows_match_hand_computation():
    x = torch.tensor([1.0, 2, 3, 4, 5]).reshape(1, 1, 1, 1, 5)
    ones3 = torch.ones(1, 1, 1, 1, 3)
    # k=3, s=2: pad (1, 1) → [0,1,2,3,4,5,0]; windows at 0,2,4: 0+1+2, 2+3+4, 4+5+0
    out = F.conv3d(pad_same(x, (1, 1, 3), (1, 1, 2)), ones3, stride=(1, 1, 2))
    assert out.flatten().tolist() == [3.0, 9.0, 9.0]
    # k=4, s=2: total 3 → (1, 2): [0,1,2,3,4,5,0,0]; windows 0+1+2+3, 2+3+4+5, 4+5+0+0
    out = F.conv3d(pad_same(x, (1, 1, 4), (1, 1, 2)), torch.ones(1, 1, 1, 1, 4), stride=(1, 1, 2))
    assert out.flatten().tolist() == [6.0, 14.0, 9.0]


def test_pad_same_pads_each_axis_independently():
    x = torch.ones(2, 3, 9, 224, 224)
    padded = pad_same(x, (7, 7, 7), (2, 2, 2))
    assert padded.shape == (2, 3, 9 + 6, 224 + 5, 224 + 5)
    # extra element at the end: first 3 temporal planes are padding, last 3 too; spatial 2 before, 3 after
    assert padded[:, :, :3].abs().sum() == 0 and padded[:, :, -3:].abs().sum() == 0
    assert padded[:, :, 3, :2].abs().sum() == 0 and padded[:, :, 3, -3:].abs().sum() == 0
    assert padded[:, :, 3, 2, 2].eq(1).all() and padded[:, :, 3, -4, -4].eq(1).all()


def test_max_pool_never_takes_padding():
    # W axis [1, 3, 2], k=2, s=2: pad (0, 1); windows [1, 3] and [2, pad] → 3, 2
    x = torch.tensor([1.0, 3.0, 2.0]).reshape(1, 1, 1, 1, 3)
    assert max_pool3d_same(x, (1, 1, 2), (1, 1, 2)).flatten().tolist() == [3.0, 2.0]
    # all-negative input: a zero-padded pool would return 0 at the borders
    neg = -torch.rand(1, 2, 5, 6, 7) - 1
    out = max_pool3d_same(neg, (3, 3, 3), (2, 2, 2))
    assert out.shape == (1, 2, 3, 3, 4)
    assert (out < -1).all()
    # interior window of a stride-1 pool equals the plain max over the same window
    same = max_pool3d_same(neg, (3, 3, 3), (1, 1, 1))
    assert same.shape == neg.shape
    assert same[0, 1, 2, 3, 3] == neg[0, 1, 1:4, 2:5, 2:5].max()
