"""The operator's report (`make report`): what customers hit, read from the tracker store.

    store.py    the events of a period, read only from the SQL tracker store endpoints.yml configures
    figures.py  those events → the figures (pure: plain dicts in, a dict out; the definitions live there)
    page.py     the figures → one self-contained HTML page with inline SVG charts
    __main__.py the command line: writes report.json and report.html, Chinese error messages
"""
