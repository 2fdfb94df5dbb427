"""统计分析: the year's figures aggregated in SQL, the records behind each, and their exports (xlsx, PDF)."""
