"""Accounts: users and their passwords, logins, device tokens, and reading the audit log."""
