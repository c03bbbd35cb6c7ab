"""What a capture is told: its configuration, the activity and entity definitions, and the
YAML documents and JSON schema they are read and checked with."""
