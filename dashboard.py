"""The Streamlit dashboard: ``streamlit run dashboard.py [-- --log-dir DIR]`` (also ``inventory-rl dashboard``).

The app is ``inventory_rl.app``: ``app/dashboard.py`` routes to its pages.
"""

from inventory_rl.app.dashboard import main

if __name__ == "__main__":
    main()
