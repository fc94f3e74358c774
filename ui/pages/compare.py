"""The Compare page's script: ``st.navigation`` in dashboard.py runs it (the page is ``ui.compare``)."""

from ui.compare import page

page()
