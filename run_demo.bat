@echo off
rem The demo: the dashboard on http://localhost:8501 (watch the agent learn, replay it, play against it).
rem Creates the virtual environment (venv) if it is missing and installs requirements.txt.
rem Without a trained model yet (logs\real_inventory_model.zip), it first starts the quick
rem training run in the background (output in logs\train_quick.log), so the Training page shows
rem the agent learning live from the first minute. A second start says where the dashboard
rem already runs and stops (inventory_rl\cli\demo.py).
setlocal
cd /d "%~dp0"

if not exist venv\Scripts\python.exe (
    echo Creating the virtual environment in venv ...
    python -m venv venv || goto :failed
)
echo Installing requirements and the project ...
venv\Scripts\python.exe -m pip install --quiet -r requirements.txt || goto :failed
venv\Scripts\python.exe -m pip install --quiet --no-deps -e . || goto :failed

venv\Scripts\python.exe -m inventory_rl.cli.demo --log-dir logs %*
if errorlevel 2 if not errorlevel 3 (
    pause
    exit /b 2
)
if errorlevel 1 goto :failed
exit /b 0

:failed
echo.
echo The dashboard could not start (see the messages above).
pause
exit /b 1
