"""The kernel every area stands on: the audit chain, working days, leader approvals, permission checks and paging."""
