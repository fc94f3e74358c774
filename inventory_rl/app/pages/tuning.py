"""The Tuning page's script: ``st.navigation`` in dashboard.py runs it (the page is ``ui.tuning``)."""

from inventory_rl.app.tuning import page

page()
