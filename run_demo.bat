@echo off
rem The demo: the dashboard on http://localhost:8501 (watch the agent learn, replay it, play against it).
rem Creates the virtual environment (venv) if it is missing and installs requirements.txt.
rem Without a trained model yet (logs\real_inventory_model.zip), it first starts the quick
rem training run in its own minimized window, so the Training page shows the agent learning
rem live from the first minute; closing that window stops the run. If a run is already
rem training in logs, train.py refuses to start a second one there (its window says so).
setlocal
cd /d "%~dp0"

if not exist venv\Scripts\python.exe (
    echo Creating the virtual environment in venv ...
    python -m venv venv || goto :failed
)
echo Installing requirements ...
venv\Scripts\python.exe -m pip install --quiet -r requirements.txt || goto :failed

if not exist logs\real_inventory_model.zip (
    echo No trained model yet: training in the background, in the minimized window "Inventory RL training".
    start "Inventory RL training" /min venv\Scripts\python.exe train.py --preset quick --log-dir logs
)

echo Opening the dashboard on http://localhost:8501 (Ctrl-C to stop it) ...
venv\Scripts\python.exe -m streamlit run dashboard.py --server.port 8501 --server.showEmailPrompt false --browser.gatherUsageStats false --client.toolbarMode minimal -- --log-dir logs || goto :failed
exit /b 0

:failed
echo.
echo The dashboard could not start (see the messages above).
pause
exit /b 1
