"""Who did what, when: the append-only audit log."""
