"""The Training page's script: ``st.navigation`` in dashboard.py runs it (the page is ``ui.training``)."""

from inventory_rl.app.training import page

page()
