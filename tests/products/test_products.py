"""Tests of products carrying their own lineage: provenance embedded in FITS and HDF5 files."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import lzma
import re
import shutil
import subprocess
import warnings
from pathlib import Path

import pytest

astropy_fits = pytest.importorskip("astropy.io.fits")
h5py = pytest.importorskip("h5py")
tables = pytest.importorskip("tables")
prov_model = pytest.importorskip("prov.model")
np = pytest.importorskip("numpy")

import logprov  # noqa: E402
from logprov.cli import main  # noqa: E402
from logprov.errors import LogprovError, LogReadError  # noqa: E402
from logprov.notes import append_note  # noqa: E402
from logprov.products import fitsfile  # noqa: E402
from logprov.products.embed import EmbedError, embed  # noqa: E402
from logprov.query.content import file_ids  # noqa: E402
from logprov.reading.reader import iter_records  # noqa: E402


def sha256(path: Path) -> str:
    return "file:" + hashlib.sha256(path.read_bytes()).hexdigest()


def write_table(text_input: Path, output: Path) -> None:
    values = np.loadtxt(text_input)
    hdus = astropy_fits.HDUList([astropy_fits.PrimaryHDU(), astropy_fits.BinTableHDU.from_columns(
        [astropy_fits.Column(name="COUNTS", format="D", array=values)], name="EVENTS")])
    hdus.writeto(output, checksum=True)


def scale_table(table: Path, output: Path, scale: float) -> None:
    with astropy_fits.open(table) as hdus:
        counts = hdus["EVENTS"].data["COUNTS"] * scale
    with h5py.File(output, "w") as handle:
        handle.create_dataset("counts", data=counts)


class Chain:
    """Tool 1 writes ``a.fits`` from a text input; tool 2 reads it and writes ``b.h5``. Each
    has its own capture and log, and embeds the lineage of what it wrote."""

    def __init__(self, folder: Path, make_capture) -> None:
        self.folder = folder
        self.text = folder / "input.txt"
        self.text.write_text("1\n2\n3\n")
        self.fits = folder / "a.fits"
        self.h5 = folder / "b.h5"
        first = make_capture(log_filename=str(folder / "tool1.log"))

        @first.trace
        def make_table(text_input, output):
            first.add_input_file(text_input, role="counts")
            write_table(Path(text_input), Path(output))
            first.add_output_file(output, role="table")

        make_table(str(self.text), str(self.fits))
        self.fits_written = self.fits.read_bytes()
        self.fits_embedding = embed(self.fits, [folder / "tool1.log"])
        second = make_capture(log_filename=str(folder / "tool2.log"))

        @second.trace
        def convert(table, output, scale=2.0):
            second.add_input_file(table, role="table")
            scale_table(Path(table), Path(output), scale)
            second.add_output_file(output, role="scaled")

        convert(str(self.fits), str(self.h5))
        self.h5_written = sha256(self.h5)
        self.logs = [list(iter_records(folder / name)) for name in ("tool1.log", "tool2.log")]
        self.h5_embedding = embed(self.h5, [folder / "tool2.log"])
        (folder / "tool1.log").unlink()
        (folder / "tool2.log").unlink()


@pytest.fixture
def chain(tmp_path, make_capture) -> Chain:
    return Chain(tmp_path, make_capture)


def lineage_ids(capsys, *argv) -> set:
    assert main(["lineage", *map(str, argv), "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    return {line.get("id") for line in lines}


def test_lineage_of_the_last_product_reaches_the_first_input_with_no_log(chain, capsys):
    found = lineage_ids(capsys, chain.h5)
    assert sha256(chain.text) in found
    assert chain.h5_written in found
    activities = {record.data["name"] for log in chain.logs for record in log if "startTime" in record.data
                  and "activity_id" in record.data}
    assert activities == {"make_table", "convert"}
    assert chain.h5_embedding.activities == 2 and chain.fits_embedding.activities == 1


def test_the_fits_product_passes_fitsverify(chain):
    if shutil.which("fitsverify") is None:
        pytest.skip("fitsverify (Debian package fitsverify) is not installed")
    result = subprocess.run(["fitsverify", "-e", str(chain.fits)], capture_output=True, text=True)
    assert "0 warning(s) and 0 error(s)" in result.stdout, result.stdout
    assert result.returncode == 0


def test_other_hdus_are_byte_identical_and_checksums_hold(chain):
    data = chain.fits.read_bytes()
    assert data[: len(chain.fits_written)] == chain.fits_written
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with astropy_fits.open(chain.fits, checksum=True) as hdus:
            assert [hdu.name for hdu in hdus] == ["PRIMARY", "EVENTS", "PROVENANCE"]
            assert hdus["EVENTS"].verify_checksum() == 1 and hdus["EVENTS"].verify_datasum() == 1
            assert hdus["PROVENANCE"].verify_checksum() == 1
            header = hdus["PROVENANCE"].header
            assert header["PROVFMT"] == "PROV-JSON" and header["PROVSOFT"] == "logprov"
            assert header["NACTIV"] == 1 and header["NENTITY"] == 2
            assert "file:" + header["PRODHASH"] == sha256_of_bytes(chain.fits_written)


def sha256_of_bytes(data: bytes) -> str:
    return "file:" + hashlib.sha256(data).hexdigest()


DECODE = {"none": bytes, "gzip": gzip.decompress, "xz": lzma.decompress}


def prov_json_of_fits(path: Path) -> bytes:
    """Read the PROV-JSON of a FITS product with astropy alone, as docs/products.md shows."""
    with astropy_fits.open(path) as hdus:
        table = hdus["PROVENANCE"]
        return DECODE[table.header["PROVENC"]](table.data["PROVJSON"][0].tobytes())


def test_prov_json_of_both_products_reads_back_with_prov(chain):
    fits_document = prov_model.ProvDocument.deserialize(content=prov_json_of_fits(chain.fits).decode(), format="json")
    labels = {str(record.label) for record in fits_document.get_records(prov_model.ProvActivity)}
    assert labels == {"make_table"}
    with tables.open_file(str(chain.h5)) as handle:
        nodes = list(handle.walk_nodes("/provenance"))
        assert not [node for node in nodes if isinstance(node, tables.UnImplemented)]
        array = handle.get_node("/provenance/prov_json")
        encoding = array.attrs["encoding"]
        data = array.read().tobytes()
    data = DECODE[encoding.decode() if isinstance(encoding, bytes) else encoding](data)
    import prov

    document = prov.read(io.StringIO(data.decode()), format="json")
    labels = {str(record.label) for record in document.get_records(prov_model.ProvActivity)}
    assert labels == {"make_table", "convert"}


def test_embedded_records_round_trip_exactly(chain):
    embedded = [(r.timestamp, r.data, r.session) for r in iter_records(chain.fits)]
    assert embedded == [(r.timestamp, r.data, r.session) for r in chain.logs[0]]
    from_h5 = [(r.timestamp, r.data, r.session) for r in iter_records(chain.h5)]
    assert sorted(map(repr, from_h5)) == sorted(map(repr, embedded + [(r.timestamp, r.data, r.session)
                                                                       for r in chain.logs[1]]))


def test_identity_survives_embedding_in_both_directions(chain):
    made = {r.data["generated_id"] for r in chain.logs[0] if "generated_id" in r.data}
    used = {r.data["used_id"] for r in chain.logs[1] if "used_id" in r.data}
    assert sha256_of_bytes(chain.fits_written) in made & used
    assert file_ids(str(chain.fits), ["sha256"]) == [sha256_of_bytes(chain.fits_written)]
    assert file_ids(str(chain.h5), ["sha256"]) == [chain.h5_written]
    assert sha256(chain.h5) != chain.h5_written


def test_a_changed_hdf5_product_is_a_new_entity(chain):
    with h5py.File(chain.h5, "a") as handle:
        handle["counts"][0] = 99.0
    assert file_ids(str(chain.h5), ["sha256"]) == [sha256(chain.h5)]


def test_embedding_again_replaces_and_keeps_the_lineage(chain, capsys):
    before = chain.fits.read_bytes()
    embed(chain.fits, [])
    with astropy_fits.open(chain.fits) as hdus:
        assert [hdu.name for hdu in hdus].count("PROVENANCE") == 1
    assert chain.fits.read_bytes()[: len(chain.fits_written)] == chain.fits_written
    assert len(chain.fits.read_bytes()) == len(before)
    assert sha256(chain.text) in lineage_ids(capsys, chain.fits)
    embed(chain.h5, [])
    assert sha256(chain.text) in lineage_ids(capsys, chain.h5)
    assert file_ids(str(chain.h5), ["sha256"]) == [chain.h5_written]


def test_every_command_reads_products(chain, capsys, tmp_path):
    assert main(["export", str(chain.fits), "-f", "provn"]) == 0
    assert "make_table" in capsys.readouterr().out
    assert main(["search", str(chain.h5), "--activity", "make_table", "--json"]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[0])["activity"]["name"] == "make_table"
    assert main(["graph", str(chain.h5), "-o", str(tmp_path / "g.dot")]) == 0
    assert "convert" in (tmp_path / "g.dot").read_text()
    assert main(["sessions", str(chain.h5), "--json"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 2


def test_two_products_are_compared_with_no_log(chain, capsys):
    assert main(["diff", str(chain.fits), str(chain.h5), "--json"]) == 1
    result = json.loads(capsys.readouterr().out)
    assert (result["a"]["kind"], result["b"]["kind"]) == ("product", "product")
    assert result["a"]["label"].startswith("a.fits") and result["b"]["label"].startswith("b.h5")
    assert main(["diff", str(chain.fits), str(chain.fits)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "identical"


def test_a_note_on_a_product_is_refused_and_the_product_is_unchanged(chain, capsys):
    activity = next(r.data["activity_id"] for r in chain.logs[0] if "activity_id" in r.data)
    for product in (chain.fits, chain.h5):
        before = product.read_bytes()
        assert main(["note", str(product), activity[:8], "reference star was variable"]) == 2
        error = capsys.readouterr().err
        assert f"{product}: not a log file that notes can be appended to" in error
        assert "note into the logprov log it came from" in error
        assert product.read_bytes() == before
        with pytest.raises(LogprovError, match="not a log file that notes can be appended to"):
            append_note(str(product), activity[:8], "x")
        assert product.read_bytes() == before
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with astropy_fits.open(chain.fits, checksum=True) as hdus:
            assert [hdu.name for hdu in hdus] == ["PRIMARY", "EVENTS", "PROVENANCE"]
    assert sha256(chain.text) in lineage_ids(capsys, chain.fits)


def test_damaged_or_foreign_provenance_is_reported_with_file_and_hdu(chain, tmp_path, capsys):
    cut = tmp_path / "cut.fits"
    cut.write_bytes(chain.fits.read_bytes()[:-2880])
    foreign = tmp_path / "foreign.fits"
    hdus = astropy_fits.HDUList([astropy_fits.PrimaryHDU(), astropy_fits.BinTableHDU.from_columns(
        [astropy_fits.Column(name="X", format="J", array=[1])], name="PROVENANCE")])
    hdus.writeto(foreign)
    corrupt = tmp_path / "corrupt.fits"
    data = bytearray(chain.fits.read_bytes())
    hdu = fitsfile.provenance_hdu(str(chain.fits))
    marker = bytes(data).index(b"\x1f\x8b", hdu.start + 2880)
    data[marker + 20 : marker + 40] = b"\0" * 20
    corrupt.write_bytes(bytes(data))
    for path, message in ((cut, "HDU 2 (PROVENANCE) cut short"),
                          (foreign, "HDU 1 PROVENANCE was not written by logprov"),
                          (corrupt, "HDU 2 PROVENANCE column")):
        with pytest.raises(LogReadError, match=message.replace("(", r"\(").replace(")", r"\)")):
            list(iter_records(path))
        assert main(["lineage", str(path)]) == 2
        error = capsys.readouterr().err
        assert str(path) in error and message in error
    with pytest.raises(LogprovError, match="not written by logprov"):
        embed(foreign, [str(chain.fits)])


def test_other_files_get_a_sidecar(tmp_path, make_capture, capsys):
    capture = make_capture()
    out = tmp_path / "plot.png"

    @capture.trace
    def draw(path):
        Path(path).write_bytes(b"\x89PNG\r\n\x1a\nnot really")
        capture.add_output_file(path, role="plot")

    draw(str(out))
    assert main(["embed", str(out), capture.config.log_filename]) == 0
    assert "sidecar" in capsys.readouterr().err
    document = prov_model.ProvDocument.deserialize(content=(tmp_path / "plot.png.prov.json").read_text(),
                                                   format="json")
    assert {str(r.label) for r in document.get_records(prov_model.ProvActivity)} == {"draw"}


def test_a_product_the_logs_do_not_know_is_refused(tmp_path, make_capture):
    capture = make_capture()
    capture.trace(lambda: None)()
    unknown = tmp_path / "unknown.fits"
    astropy_fits.PrimaryHDU().writeto(unknown)
    with pytest.raises(EmbedError, match="unknown.fits: not found"):
        embed(unknown, [capture.config.log_filename])


@pytest.mark.parametrize("foreign", [b"notes of another tool", np.arange(3)])
def test_an_hdf5_product_whose_provenance_is_a_dataset_is_refused_unchanged(tmp_path, make_capture, capsys,
                                                                             foreign):
    capture = make_capture()
    product = tmp_path / "f.h5"

    @capture.trace
    def make(output):
        with h5py.File(output, "w") as handle:
            handle.create_dataset("counts", data=np.arange(5.0))
            handle.create_dataset("provenance", data=foreign)
        capture.add_output_file(output, role="counts")

    make(str(product))
    before = product.read_bytes()
    message = f"{product}: /provenance is a dataset, not a group"
    with pytest.raises(logprov.EmbedError, match=re.escape(message)):
        capture.embed(product)
    assert main(["embed", str(product), capture.config.log_filename]) == 2
    assert message in capsys.readouterr().err
    assert product.read_bytes() == before
    assert sorted(path.name for path in tmp_path.iterdir()) == ["f.h5", Path(capture.config.log_filename).name]


DEFINITION = """\
activities:
  Maker.make:
    generation:
      - role: table
        location: output
        type: File
        embed: true
"""


class Maker:
    def __init__(self, text, output):
        self.text = text
        self.output = str(output)

    def make(self):
        write_table(self.text, Path(self.output))


def test_a_generation_with_embed_true_embeds_when_the_activity_ends(tmp_path, make_capture, capsys):
    definitions = tmp_path / "definitions.yaml"
    definitions.write_text(DEFINITION)
    capture = make_capture(definitions=str(definitions))
    text = tmp_path / "input.txt"
    text.write_text("4\n5\n")
    capture.trace_methods(Maker)
    Maker(text, tmp_path / "made.fits").make()
    with astropy_fits.open(tmp_path / "made.fits") as hdus:
        assert hdus[-1].name == "PROVENANCE" and hdus[-1].header["NACTIV"] == 1
    made = [r.data["generated_id"] for r in iter_records(capture.log_files()[0]) if "generated_id" in r.data]
    assert made == file_ids(str(tmp_path / "made.fits"), ["sha256"])


def test_embed_products_embeds_every_fits_and_hdf5_output_and_a_failure_is_one_warning(tmp_path, make_capture):
    capture = make_capture(embed_products=True)
    text = tmp_path / "input.txt"
    text.write_text("4\n5\n")

    @capture.trace
    def make(output, other):
        write_table(text, Path(output))
        capture.add_output_file(output, role="table")
        Path(other).write_text("plain")
        capture.add_output_file(other, role="note")

    make(str(tmp_path / "t.fits"), str(tmp_path / "note.txt"))
    assert fitsfile.provenance_hdu(str(tmp_path / "t.fits")) is not None
    assert not (tmp_path / "note.txt.prov.json").exists()

    @capture.trace
    def broken(output):
        hdus = astropy_fits.HDUList([astropy_fits.PrimaryHDU(), astropy_fits.BinTableHDU.from_columns(
            [astropy_fits.Column(name="X", format="J", array=[1])], name="PROVENANCE")])
        hdus.writeto(output, overwrite=True)
        capture.add_output_file(output, role="table")
        return 7

    assert broken(str(tmp_path / "foreign.fits")) == 7
    assert broken(str(tmp_path / "foreign.fits")) == 7
    log = Path(capture.log_files()[0]).read_text()
    assert log.count("cannot embed the lineage of") == 1 and "foreign.fits" in log


def test_a_lineage_of_a_thousand_nodes_embeds_in_less_than_200_kB(tmp_path, make_capture):
    capture = make_capture()

    @capture.trace
    def step(previous, scale=1.5):
        return previous * scale + 1.0

    @capture.trace
    def write(value, output):
        astropy_fits.HDUList([astropy_fits.PrimaryHDU(np.tile(value, (4, 1)))]).writeto(output)
        capture.add_output_file(output, role="image")

    value = np.ones(4)
    for _ in range(499):
        value = step(value)
    product = tmp_path / "product.fits"
    write(value, str(product))
    size = product.stat().st_size
    done = embed(product, capture.log_files())
    assert (done.activities, done.entities) == (500, 501)
    assert product.stat().st_size - size <= 200_000
    with astropy_fits.open(product) as hdus:
        assert hdus["PROVENANCE"].header["PROVENC"] == "xz"
    document = prov_model.ProvDocument.deserialize(content=prov_json_of_fits(product).decode(), format="json")
    assert len(list(document.get_records(prov_model.ProvActivity))) == 500


def test_an_hdf5_file_without_provenance_is_refused_with_its_name(tmp_path, capsys):
    path = tmp_path / "plain.h5"
    with h5py.File(path, "w") as handle:
        handle.create_dataset("x", data=[1, 2])
    assert main(["sessions", str(path)]) == 2
    error = capsys.readouterr().err
    assert str(path) in error and "an HDF5 file without provenance under /provenance" in error


@pytest.mark.parametrize("suffix, message", [
    (".h5", r"damaged HDF5 file: h5py cannot open it \(.*truncated file"),
    (".fits", r"HDU \d \(\w+\) cut short|header of the HDU at byte \d+ cut short"),
])
def test_a_product_cut_short_is_reported_as_damaged_with_its_name(chain, tmp_path, capsys, suffix, message):
    data = (chain.h5 if suffix == ".h5" else chain.fits).read_bytes()
    cut = tmp_path / f"cut{suffix}"
    for kept in (100, 2048, len(data) // 2, len(data) - 1):
        cut.write_bytes(data[:kept])
        with pytest.raises(LogReadError, match=message) as raised:
            list(iter_records(cut))
        assert raised.value.source == str(cut)
        for command in ("lineage", "sessions"):
            assert main([command, str(cut)]) == 2
            error = capsys.readouterr().err
            assert str(cut) in error and re.search(message, error) and "without provenance" not in error


def test_a_gzip_compressed_fits_input_is_no_product(tmp_path, make_capture):
    capture = make_capture()
    index = tmp_path / "obs-index.fits.gz"
    buffer = io.BytesIO()
    astropy_fits.PrimaryHDU(np.arange(4.0)).writeto(buffer)
    index.write_bytes(gzip.compress(buffer.getvalue()))

    @capture.trace
    def reduce(path, output):
        capture.add_input_file(path, role="index")
        write_table_from_values(np.arange(3.0), Path(output))
        capture.add_output_file(output, role="table")

    reduce(str(index), str(tmp_path / "out.fits"))
    done = embed(tmp_path / "out.fits", capture.log_files())
    assert (done.activities, done.entities) == (1, 2)
    with pytest.raises(LogReadError, match="a FITS file without logprov's PROVENANCE extension"):
        list(iter_records(index))


def write_table_from_values(values, output: Path) -> None:
    astropy_fits.HDUList([astropy_fits.PrimaryHDU(), astropy_fits.BinTableHDU.from_columns(
        [astropy_fits.Column(name="COUNTS", format="D", array=values)], name="EVENTS")]).writeto(output)


def test_a_product_embedded_when_its_activity_ends_holds_the_facts_of_its_session(tmp_path, make_capture):
    capture = make_capture(embed_products=True, record_packages=True)
    text = tmp_path / "input.txt"
    text.write_text("4\n5\n")

    @capture.trace
    def make(output):
        write_table(text, Path(output))
        capture.add_output_file(output, role="table")

    make(str(tmp_path / "t.fits"))
    facts: dict = {}
    for record in iter_records(tmp_path / "t.fits"):
        if "session_id" in record.data:
            facts.update(record.data)
    assert facts["packages"]["logprov"] == logprov.__version__
