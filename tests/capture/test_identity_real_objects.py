"""Value identity of real scientific objects: scikit-learn, NumPy, astropy, pandas.

For each kind of object: the same id in another process (under other hash seeds), a copy has
the same id, an in-place change gives a new id, and none of them falls back to a per-object id.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from logprov.capture.identity import ValueDigester

pytest.importorskip("sklearn")
pytest.importorskip("astropy")
pytest.importorskip("pandas")



def training_data():
    rng = np.random.default_rng(3)
    features = rng.normal(size=(60, 4))
    return features, (features[:, 0] + features[:, 1] > 0).astype(int)


def pipeline():
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), RandomForestClassifier(n_estimators=4, max_depth=3, random_state=0))


def fitted_pipeline():
    return pipeline().fit(*training_data())


def fitted_regression():
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression().fit(*training_data())


def c_array():
    return np.arange(24, dtype="f8").reshape(4, 6)


def f_array():
    return np.asfortranarray(c_array())


def view():
    return np.arange(40, dtype="i4").reshape(8, 5)[::2, 1:4]


def structured():
    dtype = np.dtype([("flag", "u1"), ("value", "f8"), ("name", "U4")], align=True)
    array = np.zeros(3, dtype=dtype)
    array["value"] = [1.5, 2.5, 3.5]
    array["name"] = ["a", "bb", "ccc"]
    return array


def object_array():
    array = np.empty(3, dtype=object)
    array[:] = [{"a": 1}, [2, 3], "four"]
    return array


def table():
    from astropy.table import Table

    return Table({"obs_id": [23523, 23526], "ra": [83.63, 83.64]}, meta={"TELESCOP": "HESS"})


def quantity():
    import astropy.units as u

    return np.linspace(1.0, 10.0, 5) * u.TeV


def sky_coord():
    import astropy.units as u
    from astropy.coordinates import SkyCoord

    return SkyCoord(ra=[83.63, 84.0] * u.deg, dec=[22.01, 22.5] * u.deg, frame="icrs")


def time():
    from astropy.time import Time

    return Time(["2004-12-04T21:00:00", "2004-12-05T21:30:00"], scale="utc")


def image_hdu():
    from astropy.io import fits

    return fits.PrimaryHDU(np.arange(12.0).reshape(3, 4))


def table_hdu():
    from astropy.io import fits

    return fits.BinTableHDU(table(), name="EVENTS")


def data_frame():
    import pandas as pd

    return pd.DataFrame({"obs_id": [23523, 23526], "ra": [83.63, 83.64], "name": ["a", "b"]})


def series():
    import pandas as pd

    return pd.Series([1.5, 2.5, 3.5], name="flux")


def _swap_trees(pipe):
    forest = pipe[-1]
    forest.estimators_[0], forest.estimators_[1] = forest.estimators_[1], forest.estimators_[0]


def _set(key, value):
    def change(obj):
        obj[key] = value
    return change


def _change_sky(coord):
    import astropy.units as u
    from astropy.coordinates import SkyCoord

    coord[0] = SkyCoord(ra=10 * u.deg, dec=20 * u.deg)


def _change_table_hdu(hdu):
    hdu.data["obs_id"][0] = 1


def _change_frame(frame):
    frame.iloc[0, 0] = 1


def _image_hdu_copy(hdu):
    from astropy.io import fits

    return fits.PrimaryHDU(hdu.data.copy())


#: name: (factory, copy, in-place change). astropy's own copies of FITS HDUs do not copy all of
#: their state (``PrimaryHDU.copy()`` leaves out the ``EXTEND`` card, a deep copy resets the
#: header's modification flags, ``BinTableHDU.copy()`` drops the links of its columns to their
#: arrays): an image HDU is copied by building one from a copy of its data, and a table HDU
#: is compared with one built again from the same table.
SUBJECTS = {
    "pipeline": (pipeline, copy.deepcopy, lambda p: p.set_params(randomforestclassifier__max_depth=4)),
    "fitted_pipeline": (fitted_pipeline, copy.deepcopy, _swap_trees),
    "fitted_scaler_mean": (fitted_pipeline, copy.deepcopy, lambda p: p[0].mean_.__setitem__(0, 9.0)),
    "fitted_regression": (fitted_regression, copy.deepcopy, lambda r: r.coef_.__setitem__((0, 0), 1.0)),
    "c_array": (c_array, np.copy, _set((1, 2), -1.0)),
    "f_array": (f_array, lambda a: np.array(a, order="F"), _set((1, 2), -1.0)),
    "view": (view, np.copy, _set((1, 1), 99)),
    "structured": (structured, np.copy, _set(1, (1, 2.5, "bb"))),
    "object_array": (object_array, copy.deepcopy, lambda a: a[1].append(4)),
    "table": (table, lambda t: t.copy(), lambda t: t["ra"].__setitem__(1, 0.0)),
    "table_meta": (table, lambda t: t.copy(), lambda t: t.meta.__setitem__("TELESCOP", "CTA")),
    "quantity": (quantity, lambda q: q.copy(), _set(2, 0.0)),
    "sky_coord": (sky_coord, lambda c: c.copy(), _change_sky),
    "time": (time, lambda t: t.copy(), _set(0, "2010-01-01T00:00:00")),
    "image_hdu": (image_hdu, _image_hdu_copy, lambda h: h.data.__setitem__((0, 0), 5.0)),
    "image_hdu_header": (image_hdu, _image_hdu_copy, lambda h: h.header.__setitem__("OBJECT", "Crab")),
    "table_hdu": (table_hdu, lambda h: table_hdu(), _change_table_hdu),
    "data_frame": (data_frame, lambda f: f.copy(), _change_frame),
    "series": (series, lambda s: s.copy(), _set(1, 0.0)),
}


def identify(value) -> str:
    entity_id, scheme = ValueDigester().digest(value)
    assert scheme is None, scheme
    return entity_id


@pytest.mark.parametrize("name", sorted(SUBJECTS))
def test_a_copy_has_the_id_and_an_in_place_change_a_new_one(name):
    make, duplicate, change = SUBJECTS[name]
    value = make()
    first = identify(value)
    assert identify(value) == first
    assert identify(duplicate(value)) == first
    assert identify(make()) == first
    change(value)
    assert identify(value) != first


def test_equal_arrays_in_c_and_fortran_order_and_views_share_an_id():
    assert identify(c_array()) == identify(f_array())
    assert identify(view()) == identify(np.ascontiguousarray(view()))
    assert identify(c_array()) != identify(c_array().T)


def test_padding_bytes_of_structured_arrays_are_not_part_of_the_value():
    dtype = structured().dtype
    assert dtype.itemsize > sum(dtype.fields[name][0].itemsize for name in dtype.names)
    dirty = np.frombuffer(bytes(range(256))[: dtype.itemsize * 3], dtype=dtype).copy()
    dirty[:] = structured()
    assert identify(dirty) == identify(structured())


def test_weak_references_locks_and_files_are_skipped(tmp_path):
    import threading
    import weakref

    class Holder:
        def __init__(self, target, path):
            self.value = [1, 2]
            self.ref = weakref.ref(target)
            self.lock = threading.Lock()
            self.stream = open(path, "w")

    first, second = Holder(table(), tmp_path / "a.txt"), Holder(series(), tmp_path / "b.txt")
    try:
        assert identify(first) == identify(second)
        second.value.append(3)
        assert identify(first) != identify(second)
    finally:
        first.stream.close()
        second.stream.close()


def test_ids_are_the_same_in_another_process():
    script = (
        "import json, sys\n"
        f"sys.path.insert(0, {str(Path(__file__).parent)!r})\n"
        "from test_identity_real_objects import SUBJECTS, identify\n"
        "print(json.dumps({name: identify(make()) for name, (make, _, _) in SUBJECTS.items()}))\n"
    )
    expected = {name: identify(make()) for name, (make, _, _) in SUBJECTS.items()}
    for seed in ("0", "987"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True)
        assert json.loads(result.stdout) == expected
