"""The Manual page's script: ``st.navigation`` in dashboard.py runs it (the page is ``ui.manual``)."""

from inventory_rl.app.manual import page

page()
