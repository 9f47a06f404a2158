"""Reading a TorchScript archive's parameters and buffers without running its code."""
import pickle
import zipfile

import pytest
import torch
from torch import nn

from avbench.metrics.errors import WeightsError
from avbench.metrics.torchscript_archive import read_state_dict

pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit.(script|load)` is deprecated:DeprecationWarning")


class _Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 3, 3, bias=False)
        self.bn = nn.BatchNorm2d(3)
        self.scale = torch.ones(3)  # a plain tensor attribute: not part of the state dict

    def forward(self, x):
        return self.bn(self.conv(x)) * self.scale.view(1, 3, 1, 1)


class _Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.block = _Block()
        self.seq = nn.Sequential(nn.Conv2d(3, 4, 1), nn.ReLU(), nn.Conv2d(4, 4, 1))
        # a strided view with a storage offset: the reader must honour offset and strides
        self.register_buffer("offset", torch.arange(8.0).view(4, 2).T[1])
        self.head = nn.Linear(4, 2)

    def forward(self, x):
        return self.head(self.seq(self.block(x)).mean((2, 3)) + self.offset)


def test_reader_equals_jit_state_dict(tmp_path):
    torch.manual_seed(0)
    net = _Net()
    with torch.no_grad():
        net.block.bn.running_mean.normal_()
        net.block.bn.running_var.uniform_(0.5, 2.0)
        net.block.bn.num_batches_tracked.fill_(11)
    path = tmp_path / "net.pt"
    torch.jit.script(net).save(str(path))
    ours = read_state_dict(path)
    expected = torch.jit.load(str(path)).state_dict()
    assert list(ours) == list(expected)
    assert "block.scale" not in ours
    assert ours["offset"].tolist() == [1.0, 3.0, 5.0, 7.0]
    for key, value in expected.items():
        assert ours[key].dtype == value.dtype and torch.equal(ours[key], value), key


def test_non_archive_is_refused(tmp_path):
    path = tmp_path / "plain.pt"
    torch.save({"w": torch.ones(2)}, path)
    with pytest.raises(WeightsError, match="TorchScript"):
        read_state_dict(path)
    (tmp_path / "junk.pt").write_bytes(b"not a zip")
    with pytest.raises(WeightsError, match="cannot read"):
        read_state_dict(tmp_path / "junk.pt")


class _Payload:
    def __reduce__(self):
        return (open, (str(_Payload.target), "w"))


def test_foreign_objects_are_never_built(tmp_path):
    _Payload.target = tmp_path / "side_effect.txt"
    path = tmp_path / "evil.pt"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("evil/data.pkl", pickle.dumps(_Payload(), protocol=2))
    with pytest.raises(WeightsError, match="unsupported object"):
        read_state_dict(path)
    assert not _Payload.target.exists()
