"""The Beer Game page's script: ``st.navigation`` in dashboard.py runs it (the page is ``app.beer_game_page``)."""

from inventory_rl.app.beer_game_page import page

page()
