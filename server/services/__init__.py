"""Domain logic: no Flask imports; each function takes the session and the acting user."""
