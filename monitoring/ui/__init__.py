"""Small Streamlit helpers shared by pages. The only place, with ``dashboard.py`` and ``pages/``,
that imports Streamlit."""
