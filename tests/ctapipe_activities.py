"""ctapipe provenance activities, as tests build them."""

from __future__ import annotations

from pathlib import Path


def ctapipe_activity(tmp_path, name="ctapipe-process", uuid="0e6b1a8c-3c55-4f38-9d59-2f1f0b0c5a11",
                     start="2026-12-02T01:15:04.685", stop="2026-12-02T01:15:39.508", inputs=(), outputs=()):
    """An activity shaped as ``Provenance().provenance`` of ctapipe 0.28 holds it."""
    return {
        "activity_name": name,
        "activity_uuid": uuid,
        "status": "completed",
        "start": {"time_utc": start},
        "stop": {"time_utc": stop},
        "system": {
            "ctapipe_version": "0.28.0",
            "ctapipe_svc_path": None,
            "executable": "/opt/venv/bin/python3",
            "platform": {"architecture_bits": "64bit", "machine": "x86_64", "node": "vm", "system": "Linux",
                         "release": "6.1.0", "n_cpus": 2},
            "python": {"version_string": "3.11.7 (main, May  9 2026, 07:35:25) [GCC 12.2.0]",
                       "version": ["3", "11", "7"], "implementation": "CPython",
                       "packages": [{"name": "astropy", "version": "7.2.3"}, {"name": "numpy", "version": "2.4.6"}]},
            "environment": {"USER": "jdoe", "HOME": "/home/jdoe", "CONDA_PREFIX": None,
                            "DB_PASSWORD": "hunter2", "PATH": "/usr/bin"},
            "arguments": ["/opt/venv/bin/ctapipe-process", "--input", "events.h5", "--password", "hunter2"],
            "start_time_utc": start,
        },
        "input": [{"url": str(path), "role": role, "reference_meta": meta} for path, role, meta in inputs],
        "output": [{"url": str(path), "role": role, "reference_meta": meta} for path, role, meta in outputs],
        "exit_code": 0,
        "config": {"ProcessorTool": {"log_level": 30, "overwrite": False, "api_token": "s3cr3t",
                                     "EventSource": {"input_url": "https://jdoe:pw123@example.org/run1.h5",
                                                     "max_events": None},
                                     "DataWriter": {"write_images": True, "output_path": "/data/dl1.h5"},
                                     "log_config": {}}},
        "duration_min": 0.5803833333333586,
    }


FIRST = "0e6b1a8c-3c55-4f38-9d59-2f1f0b0c5a11"
SECOND = "5d1b0a8c-3c55-4f38-9d59-2f1f0b0c5a12"


def two_runs(tmp_path: Path) -> tuple[dict, dict]:
    """A DL1 stage and a DL2 stage reading its output, as ctapipe Tools record them."""
    events = tmp_path / "events.simtel"
    events.write_bytes(b"events")
    dl1 = tmp_path / "dl1.h5"
    dl1.write_bytes(b"dl1")
    dl2 = tmp_path / "dl2.h5"
    first = ctapipe_activity(tmp_path, name="lstchain_r0_to_dl1", uuid=FIRST, inputs=[(events, "r0", None)],
                             outputs=[(dl1, "dl1", {"CTA PRODUCT ID": "dl1-id"})])
    second = ctapipe_activity(tmp_path, name="lstchain_dl1_to_dl2", uuid=SECOND, start="2026-12-02T01:16:00",
                              stop="2026-12-02T01:16:30", inputs=[(dl1, "dl1", None)], outputs=[(dl2, "dl2", None)])
    return first, second
