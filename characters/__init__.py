"""The character library: register characters from reference images into identities."""
