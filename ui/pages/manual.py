"""The Manual page's script: ``st.navigation`` in dashboard.py runs it (the page is ``ui.manual``)."""

from ui.manual import page

page()
