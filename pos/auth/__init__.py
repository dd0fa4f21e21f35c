"""Users, roles, login and the rules of who may do what."""
