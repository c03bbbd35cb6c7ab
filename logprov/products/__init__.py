"""Products that carry their own lineage: provenance embedded in FITS and HDF5 files."""
