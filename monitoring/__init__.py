"""Safeguarding learning monitor: case-review recommendations, actions and their progress.

Logic lives here so that pages, the command line and tests all reach it without Streamlit.
"""

__version__ = "0.1.0"
