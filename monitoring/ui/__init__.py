"""Small Streamlit helpers shared by pages. The only place, with ``dashboard.py`` and ``app_pages/``,
that imports Streamlit."""
