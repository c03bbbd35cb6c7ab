"""Problems of the capture: in the provenance log and as a `CaptureWarning`, once each, secrets hidden."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from logprov import CaptureWarning

DEFINITIONS = {
    "activities": {"load": {"usage": [{"role": "input", "entityType": "File", "location": "path"}]}},
    "entities": {"File": {"type": "File"}},
}


def loader(capture):
    """Return a traced function whose definitions describe ``path`` as its input file."""

    @capture.trace
    def load(path):
        return "loaded"

    return load


def test_a_missing_input_file_warns_once_in_python_and_in_the_log(make_capture, records, tmp_path):
    capture = make_capture(DEFINITIONS)
    load = loader(capture)
    missing = tmp_path / "token=s3cr3t-t.fits"
    with records(capture) as log, pytest.warns(CaptureWarning) as caught:
        assert load(missing) == "loaded"
        assert load(missing) == "loaded"
    (warning,) = caught
    (logged,) = log.warnings
    assert issubclass(CaptureWarning, UserWarning)
    assert str(warning.message) == logged.removeprefix("logprov: ")
    assert "usage 'input'" in logged and "token=***" in logged
    assert "s3cr3t" not in str(warning.message) + logged + Path(capture.config.log_filename).read_text()
    assert warning.filename == __file__


def test_a_capture_warning_turned_into_an_error_does_not_stop_the_call(make_capture, records, tmp_path):
    capture = make_capture(DEFINITIONS)
    load = loader(capture)
    with records(capture) as log, warnings.catch_warnings():
        warnings.simplefilter("error", CaptureWarning)
        assert load(tmp_path / "missing.fits") == "loaded"
    (logged,) = log.warnings
    assert "missing.fits" in logged
    assert len(log.of_kind("end")) == 1
