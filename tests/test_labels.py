"""The --labels CSV of score-files."""
import pytest

from avbench.benchmark.labels import ItemText, label_set, read_labels
from avbench.metrics.errors import InputError


def test_reads_labels_and_texts_by_stem(tmp_path):
    path = tmp_path / "labels.csv"
    path.write_text("video,label,text\nout/a.mp4,dog barking,\nb.mp4,rain,heavy rain on a roof\nc.mkv,dog barking,\n")
    items = read_labels(path)
    assert items == {"a": ItemText("dog barking", None), "b": ItemText("rain", "heavy rain on a roof"),
                     "c": ItemText("dog barking", None)}
    assert label_set(items) == ["dog barking", "rain"]


@pytest.mark.parametrize("content, problem", [
    ("name,label\na,dog\n", "key column"),
    ("stem,other\na,dog\n", "label or text"),
    ("stem,label\na,dog\na,cat\n", "appears twice"),
    ("stem,label\na,\n", "line 2"),
    ("stem,label\n", "no rows"),
])
def test_bad_label_files_name_the_problem(tmp_path, content, problem):
    path = tmp_path / "l.csv"
    path.write_text(content)
    with pytest.raises(InputError, match=problem) as err:
        read_labels(path)
    assert str(path) in str(err.value)
