"""Search query handling: parse the parameters (parse.py), compile them into SQL over the index
tables (compile.py), sort and page (paging.py, cursor.py), add included resources (include.py)."""
