"""The Compare page's script: ``st.navigation`` in dashboard.py runs it (the page is ``ui.compare``)."""

from inventory_rl.app.compare import page

page()
