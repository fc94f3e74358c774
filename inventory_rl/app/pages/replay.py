"""The Replay page's script: ``st.navigation`` in dashboard.py runs it (the page is ``ui.replay``)."""

from inventory_rl.app.replay import page

page()
