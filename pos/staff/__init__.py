"""Staff accounts managed by an admin in the browser: add, edit, roles, deactivate, reset a password."""
