"""Printable documents (WeasyPrint): their contexts, who may have which, the cache, and the document lists."""
