@echo off
rem Quick training: the quick preset (100,000 timesteps; about 40 s on a 2-core machine),
rem into logs\quick (the demo's run stays in logs\). Creates the virtual environment (venv) if it
rem is missing, installs requirements.txt, trains, then says where the model and logs are. Extra
rem arguments go to train.py, e.g. run_quick.bat --seed 3. Once logs\quick holds a model,
rem train.py refuses to replace it: run_quick.bat --overwrite replaces it, --log-dir DIR trains elsewhere.
setlocal
cd /d "%~dp0"

if not exist venv\Scripts\python.exe (
    echo Creating the virtual environment in venv ...
    python -m venv venv || goto :failed
)
echo Installing requirements and the project ...
venv\Scripts\python.exe -m pip install --quiet -r requirements.txt || goto :failed
venv\Scripts\python.exe -m pip install --quiet --no-deps -e . || goto :failed

venv\Scripts\python.exe train.py --preset quick --log-dir logs/quick %*
if errorlevel 1 goto :failed

echo.
echo Model:       logs\quick\real_inventory_model.zip (checkpoints in logs\quick\checkpoints\)
echo Run config:  logs\quick\run_config.json    Live stream: logs\quick\stream_data.json
echo TensorBoard: venv\Scripts\tensorboard --logdir logs/quick/sb3_logs   (then open http://localhost:6006)
echo Dashboard:   venv\Scripts\streamlit run dashboard.py   (it lists every run under logs\)
pause
exit /b 0

:failed
echo.
echo Training did not finish (see the messages above).
pause
exit /b 1
