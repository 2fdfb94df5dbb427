"""Domain logic: no Flask imports; each function takes the session and the acting user.

One package per area; an area imports only the areas below it (checked by import-linter, see
pyproject.toml):

    stats/         统计分析: the year's figures in SQL, the records behind each, the workbook and the PDFs
    dashboard.py   the 工作台: composes each area's panels
    documents/     printable documents: contexts, who may have which, the cache, the lists
    followup/      review, publication (公示), credit records, referrals (移送), follow-up panels
    planning/      plans, tasks, running a task's draw, 补抽/递补, closing a task
    fieldwork/     the sync mutations and their store, records read back, bundles, receipts, media, desk checks
    accounts/      users, passwords, logins, device tokens, reading the audit log
    draw/          the draw's pure algorithms and locked records, the inspector pool
    registry/      一单两库: item list and registries, columns, search, edits, Excel import/export, risk
    kernel/        the audit chain, working days, leader approvals, permissions, paging
"""
