"""The execution context of a session: the batch job of the process (from the environment of
each batch system, or from the configuration) and the container it runs in."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest
from prov.constants import PROV_TYPE
from prov.model import ProvActivity, ProvEntity, ProvInfluence

import logprov
from logprov.capture.containers import container_info, split_image
from logprov.capture.jobs import batch_job, current_job, file_label, job_label
from logprov.capture.secrecy import secrecy_policy
from logprov.model import build_document
from logprov.model.identifiers import LOGPROV
from logprov.reading.reader import iter_records

from batchjobs import outside_batch_jobs
from logs import SyntheticLog, make_id, value_entity
from onepass import assert_same
from provconstraints import check_records

SESSION_SCRIPT = textwrap.dedent("""
    import json, sys
    import logprov

    capture = logprov.ProvCapture(config=json.loads(sys.argv[1]))

    @capture.trace
    def step(x):
        return x + 1

    step(1)
    (session,) = [r.data for r in capture.records() if "agent_name" in r.data and "session_id" in r.data]
    print(json.dumps({"job": session.get("job"), "container": session.get("container")}))
""")

JOB_AD = """\
ClusterId = 4242
Cmd = "/usr/bin/python3"
GlobalJobId = "submit.example.org#4242.3#1764633600"
JobBatchName = "crab-fits"
ProcId = 3
"""


def session_context(tmp_path, variables: dict, **config) -> dict:
    """Run a capture in a process whose environment has the batch ``variables``; return the
    job and container of its session record."""
    script = tmp_path / "session_script.py"
    script.write_text(SESSION_SCRIPT)
    environment = outside_batch_jobs(**variables)
    config = {"log_filename": None, "record_git": False, "record_packages": False, **config}
    result = subprocess.run([sys.executable, str(script), json.dumps(config)], capture_output=True, text=True,
                            env=environment, cwd=tmp_path, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


BATCH_CASES = {
    "slurm": (
        {"SLURM_JOB_ID": "123463", "SLURM_ARRAY_JOB_ID": "123456", "SLURM_ARRAY_TASK_ID": "7",
         "SLURM_JOB_NAME": "crab-fits"},
        {"system": "slurm", "id": "123463", "array_job": "123456", "array_index": "7", "name": "crab-fits"},
    ),
    "pbs": (
        {"PBS_JOBID": "5501[3].pbs01", "PBS_ARRAYID": "3", "PBS_JOBNAME": "crab-fits-3"},
        {"system": "pbs", "id": "5501[3].pbs01", "array_job": "5501.pbs01", "array_index": "3",
         "name": "crab-fits-3"},
    ),
    "lsf": (
        {"LSB_JOBID": "889", "LSB_JOBINDEX": "12", "LSB_JOBNAME": "crab[1-20]"},
        {"system": "lsf", "id": "889", "array_job": "889", "array_index": "12", "name": "crab[1-20]"},
    ),
    "htcondor": (
        {"_CONDOR_JOB_AD": "{tmp}/.job.ad"},
        {"system": "htcondor", "id": "4242.3", "name": "crab-fits", "global_id": "submit.example.org#4242.3#1764633600"},
    ),
    "sge": (
        {"JOB_ID": "77", "SGE_TASK_ID": "5", "JOB_NAME": "crab", "SGE_ROOT": "/opt/sge"},
        {"system": "sge", "id": "77", "array_job": "77", "array_index": "5", "name": "crab"},
    ),
}


@pytest.mark.parametrize("system", sorted(BATCH_CASES))
def test_the_session_record_has_the_job_of_each_batch_system(tmp_path, system):
    variables, expected = BATCH_CASES[system]
    (tmp_path / ".job.ad").write_text(JOB_AD)
    variables = {key: value.format(tmp=tmp_path) for key, value in variables.items()}
    assert session_context(tmp_path, variables)["job"] == expected


def test_a_process_outside_a_batch_job_has_no_job_in_its_session_record(tmp_path):
    assert session_context(tmp_path, {})["job"] is None


def test_the_job_of_the_configuration_replaces_the_one_of_the_environment(tmp_path):
    found = session_context(tmp_path, {"SLURM_JOB_ID": "1"}, job={"url": "https://jdoe:hunter2@opus.example.org/jobs/8f1c"})
    assert found["job"] == {"system": "uws", "url": "https://jdoe:***@opus.example.org/jobs/8f1c"}
    found = session_context(tmp_path, {}, job={"id": 42, "name": "nightly"})
    assert found["job"] == {"system": "config", "id": "42", "name": "nightly"}


@pytest.mark.parametrize("variables, expected", [
    ({"SLURM_JOB_ID": "12"}, {"system": "slurm", "id": "12"}),
    ({"SLURM_JOBID": "12", "SLURM_ARRAY_TASK_ID": "3"}, {"system": "slurm", "id": "12"}),
    ({"PBS_JOBID": "9.server"}, {"system": "pbs", "id": "9.server"}),
    ({"PBS_JOBID": "9[2].server", "PBS_ARRAY_INDEX": "2", "PBS_ARRAY_ID": "9[].server"},
     {"system": "pbs", "id": "9[2].server", "array_job": "9.server", "array_index": "2"}),
    ({"LSB_JOBID": "5", "LSB_JOBINDEX": "0"}, {"system": "lsf", "id": "5"}),
    ({"CONDOR_ID": "31.0"}, {"system": "htcondor", "id": "31.0"}),
    ({"_CONDOR_JOB_AD": "/nonexistent/.job.ad"}, None),
    ({"JOB_ID": "8", "SGE_TASK_ID": "undefined", "SGE_ROOT": "/sge"}, {"system": "sge", "id": "8"}),
    ({"JOB_ID": "8"}, None),
    ({"SLURM_JOB_ID": ""}, None),
])
def test_batch_jobs_read_from_the_variables_of_their_system(variables, expected):
    assert batch_job(variables) == expected


def test_a_job_is_labelled_by_its_array_and_index_and_made_fit_for_a_file_name():
    _, slurm = BATCH_CASES["slurm"]
    assert job_label(slurm) == "123456_7" == file_label(slurm)
    assert job_label({"system": "htcondor", "id": "4242.3"}) == "4242.3"
    assert file_label({"system": "uws", "url": "https://h/jobs/8f1c"}) == "https___h_jobs_8f1c"
    assert job_label(None) == "" == file_label({})


def test_the_job_of_a_configuration_is_checked():
    assert logprov.load_config({"job": {"id": "x1", "system": "slurm"}}).job == {"system": "slurm", "id": "x1"}
    assert logprov.load_config({}).job is None
    for bad, message in [
        ("123", "expected a mapping with id or url"),
        ({"name": "fit"}, "a job needs an id or a url"),
        ({"idd": 1}, "unknown key 'idd' (did you mean 'id'?)"),
        ({"id": "1", "system": "slurmm"}, "unknown job system 'slurmm' (did you mean 'slurm'?)"),
        ({"id": True}, "id: expected a non-empty string"),
        ({"id": ""}, "id: expected a non-empty string"),
        ({"id": ["a"]}, "id: expected a non-empty string"),
    ]:
        with pytest.raises(logprov.ConfigError, match="^job: ") as caught:
            logprov.load_config({"job": bad})
        assert message in str(caught.value)


def test_a_job_of_a_configuration_file_names_the_file_and_line(tmp_path):
    path = tmp_path / "logprov.yaml"
    path.write_text("hash_type: sha256\njob:\n  idd: 7\n")
    with pytest.raises(logprov.ConfigError) as caught:
        logprov.load_config(path)
    assert str(caught.value).startswith(f"{path}:2: job: unknown key 'idd'")


def test_reading_the_job_never_raises_and_hides_secrets():
    secret = secrecy_policy(("password",))
    job = current_job(None, secret, {"SLURM_JOB_ID": "1", "SLURM_JOB_NAME": "run password=abc"})
    assert job == {"system": "slurm", "id": "1", "name": "run password=***"}
    assert current_job(None, secret, {"_CONDOR_JOB_AD": "\0bad"}) is None
    assert current_job(None, secret, {"_CONDOR_JOB_AD": "\0bad", "CONDOR_ID": "3.1"}) == {"system": "htcondor", "id": "3.1"}


# Containers


def write(path, text: str) -> str:
    path.write_text(text)
    return str(path)


DOCKER_ID = "3f4e" * 16
PODMAN_ID = "a1b2" * 16


def mountinfo_line(number: int, source: str, target: str) -> str:
    return f"{number} 30 8:1 {source} {target} rw,relatime - ext4 /dev/sda1 rw\n"


@pytest.fixture
def files(tmp_path):
    """Paths of the files looked at, none of which exists yet."""
    return {name: str(tmp_path / name) for name in ("dockerenv", "containerenv", "mountinfo", "cgroup", "labels")}


def test_no_container_when_nothing_shows_one(files):
    write_mounts = mountinfo_line(1, "/", "/") + mountinfo_line(2, f"/var/lib/docker/containers/{DOCKER_ID}/mounts/shm",
                                                                f"/var/lib/docker/containers/{DOCKER_ID}/mounts/shm")
    with open(files["mountinfo"], "w") as stream:
        stream.write(write_mounts)
    with open(files["cgroup"], "w") as stream:
        stream.write("0::/user.slice/user-1000.slice/session-2.scope\n")
    assert container_info({}, **files) is None


def test_docker_from_its_marker_file_and_the_id_in_the_mounts(files):
    with open(files["dockerenv"], "w"):
        pass
    with open(files["mountinfo"], "w") as stream:
        stream.write(mountinfo_line(1, "/", "/")
                     + mountinfo_line(2, f"/var/lib/docker/containers/{DOCKER_ID}/hostname", "/etc/hostname"))
    assert container_info({}, **files) == {"runtime": "docker", "id": DOCKER_ID}
    environ = {"LOGPROV_CONTAINER_IMAGE": "registry.example.org:5000/cta/crab:1.4@sha256:" + "ab" * 32}
    assert container_info(environ, **files) == {
        "runtime": "docker", "image": "registry.example.org:5000/cta/crab", "tag": "1.4",
        "digest": "sha256:" + "ab" * 32, "id": DOCKER_ID,
    }


def test_docker_from_the_control_group_alone(files):
    with open(files["cgroup"], "w") as stream:
        stream.write(f"12:memory:/docker/{DOCKER_ID}\n")
    assert container_info({}, **files) == {"runtime": "docker", "id": DOCKER_ID}


def test_podman_from_its_container_environment_file(files):
    with open(files["containerenv"], "w") as stream:
        stream.write(f'engine="podman-4.9.3"\nname="crab-run"\nid="{PODMAN_ID}"\n'
                     f'image="docker.io/library/python:3.12-slim"\nimageid="{"cd" * 32}"\nrootless=1\n')
    assert container_info({"container": "podman"}, **files) == {
        "runtime": "podman", "image": "docker.io/library/python", "tag": "3.12-slim",
        "image_id": "sha256:" + "cd" * 32, "name": "crab-run", "id": PODMAN_ID,
    }


def test_podman_without_privileges_writes_an_empty_file_the_id_comes_from_the_mounts(files):
    with open(files["containerenv"], "w"):
        pass
    with open(files["mountinfo"], "w") as stream:
        stream.write(mountinfo_line(7, f"/containers/storage/overlay-containers/{PODMAN_ID}/userdata/hostname",
                                    "/etc/hostname"))
    assert container_info({}, **files) == {"runtime": "podman", "id": PODMAN_ID}


@pytest.mark.parametrize("runtime", ["apptainer", "singularity"])
def test_apptainer_and_singularity_from_their_variables_and_labels(files, runtime):
    prefix = runtime.upper()
    environ = {f"{prefix}_CONTAINER": "/cvmfs/images/crab_1.4.sif", f"{prefix}_NAME": "crab_1.4.sif"}
    with open(files["labels"], "w") as stream:
        json.dump({"org.label-schema.usage.singularity.deffile.from": "python:3.12"}, stream)
    with open(files["dockerenv"], "w"):
        pass
    assert container_info(environ, **files) == {
        "runtime": runtime, "image": "/cvmfs/images/crab_1.4.sif", "name": "crab_1.4.sif", "source": "python:3.12",
    }
    with open(files["labels"], "w") as stream:
        stream.write("{not json")
    assert container_info(environ, **files)["image"] == "/cvmfs/images/crab_1.4.sif"


def test_a_malformed_digest_is_left_out_and_detection_never_raises(files):
    with open(files["dockerenv"], "w"):
        pass
    assert container_info({"LOGPROV_CONTAINER_IMAGE": "crab@latest"}, **files) == {"runtime": "docker", "image": "crab"}
    assert container_info({"LOGPROV_CONTAINER_IMAGE": "crab"}, dockerenv="\0", containerenv="\0",
                          mountinfo="\0", cgroup="\0", labels="\0") is None
    assert container_info({"APPTAINER_CONTAINER": "/x.sif"}, **{**files, "labels": "\0"}) == {
        "runtime": "apptainer", "image": "/x.sif"}


@pytest.mark.parametrize("reference, expected", [
    ("python", {"image": "python"}),
    ("python:3.12", {"image": "python", "tag": "3.12"}),
    ("localhost:5000/crab", {"image": "localhost:5000/crab"}),
    ("localhost:5000/crab:2@sha256:00ff", {"image": "localhost:5000/crab", "tag": "2", "digest": "sha256:00ff"}),
    ("ghcr.io/o/r@sha256:00ff", {"image": "ghcr.io/o/r", "digest": "sha256:00ff"}),
])
def test_image_references_split_into_name_tag_and_digest(reference, expected):
    assert split_image(reference) == expected


def test_the_session_record_has_the_container_named_by_the_image_variable(tmp_path):
    image = "ghcr.io/cta/crab:1.4@sha256:" + "ef" * 32
    found = session_context(tmp_path, {"LOGPROV_CONTAINER_IMAGE": image})
    expected = container_info({"LOGPROV_CONTAINER_IMAGE": image})
    assert found["container"] == expected
    if expected is not None:
        assert (expected["image"], expected["tag"], expected["digest"]) == ("ghcr.io/cta/crab", "1.4", "sha256:" + "ef" * 32)


# PROV


SLURM_TASK = {"system": "slurm", "id": "123463", "array_job": "123456", "array_index": "7", "name": "crab"}
PODMAN = {"runtime": "podman", "image": "docker.io/library/python", "tag": "3.12", "image_id": "sha256:" + "cd" * 32,
          "id": PODMAN_ID}


def context_log(tmp_path) -> list:
    """Two sessions of one job (one of them in a podman container), one of another job in a
    container whose image is not seen, one session outside any job; and an entity whose id has
    the prefix ``job:`` of its own."""
    log = SyntheticLog()
    first = log.session(1, job=SLURM_TASK, container=PODMAN)
    second = log.session(2, job=SLURM_TASK, container={"runtime": "docker", "id": DOCKER_ID})
    third = log.session(3, job={"system": "uws", "url": "https://opus.example.org/jobs/8f1c"},
                        container={"runtime": "apptainer", "image": "/cvmfs/crab.sif"})
    fourth = log.session(4)
    for number, session in enumerate((first, second, third, fourth)):
        made = value_entity(session, "x", number)
        log.call(session, "step", used=[({"entity_id": "job:input-7", "in_session": session}, "input")],
                 generated=[(made, "result")])
        log.end_session(session)
    return list(iter_records([str(log.write(tmp_path / "context.log"))]))


def test_a_job_is_an_activity_and_an_image_an_entity_that_influence_their_sessions(tmp_path):
    records = context_log(tmp_path)
    document = build_document(records)
    by_id = {str(record.identifier): record for record in document.get_records() if record.identifier is not None}
    job = by_id["job:slurm.123456_7"]
    assert isinstance(job, ProvActivity) and job.get_startTime() is None
    assert {str(k): str(v) for k, v in job.attributes if str(k) != "prov:type"} == {
        "prov:label": "slurm 123456_7", "logprov:jobSystem": "slurm", "logprov:jobId": "123463",
        "logprov:arrayJob": "123456", "logprov:arrayIndex": "7", "logprov:jobName": "crab",
    }
    image = by_id["image:sha256." + "cd" * 32]
    assert isinstance(image, ProvEntity)
    assert {str(v) for v in image.get_attribute(LOGPROV["tag"])} == {"3.12"}
    assert str(job.identifier.namespace.uri) == "urn:logprov:job:"
    influences = sorted(
        (str(r.formal_attributes[0][1]), str(r.formal_attributes[1][1]), str(next(iter(r.get_attribute(PROV_TYPE)))))
        for r in document.get_records(ProvInfluence)
        if str(next(iter(r.get_attribute(PROV_TYPE)))) in ("logprov:inJob", "logprov:inContainer")
    )
    sessions = [f"session:_{make_id(number)}" for number in (1, 2, 3)]
    assert influences == sorted([
        (sessions[0], "job:slurm.123456_7", "logprov:inJob"),
        (sessions[0], "image:sha256." + "cd" * 32, "logprov:inContainer"),
        (sessions[1], "job:slurm.123456_7", "logprov:inJob"),
        (sessions[2], by_id_key(by_id, "job:uws."), "logprov:inJob"),
        (sessions[2], by_id_key(by_id, "image:"), "logprov:inContainer"),
    ])
    # The entity of the log named job:input-7 is not the job namespace.
    (inputs,) = [name for name in by_id if name.endswith("input-7")]
    assert inputs.startswith("id_job:") and document.get_record(inputs)
    session = by_id[sessions[1]]
    assert {str(v) for v in session.get_attribute(LOGPROV["containerRuntime"])} == {"docker"}
    assert {str(v) for v in session.get_attribute(LOGPROV["containerId"])} == {DOCKER_ID}


def by_id_key(by_id: dict, head: str) -> str:
    (found,) = [name for name in by_id if name.startswith(head) and not name.startswith("image:sha256")]
    return found


def test_jobs_and_images_are_the_same_in_the_one_pass_exports_and_meet_the_constraints(tmp_path):
    records = context_log(tmp_path)
    assert_same(records)
    check_records(records)
    for order in (list(reversed(records)), records[1::2] + records[::2]):
        assert_same(order, formats=("provn",))
