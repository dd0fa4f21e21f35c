"""The showroom's outbox and its push to the central server."""
