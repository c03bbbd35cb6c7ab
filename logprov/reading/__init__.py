"""Reading provenance sources: log files, glob patterns, compressed files, streams and the
other kinds of sources, recognised by their content, into normalised records."""
