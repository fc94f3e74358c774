@echo off
rem Heavy training: the heavy preset (1,000,000 timesteps; about 6 minutes on a 2-core machine).
rem Creates the virtual environment (venv) if it is missing, installs requirements.txt,
rem trains, then says where the model and logs are. Extra arguments go to train.py,
rem e.g. run_heavy.bat --seed 3
setlocal
cd /d "%~dp0"

if not exist venv\Scripts\python.exe (
    echo Creating the virtual environment in venv ...
    python -m venv venv || goto :failed
)
echo Installing requirements and the project ...
venv\Scripts\python.exe -m pip install --quiet -r requirements.txt || goto :failed
venv\Scripts\python.exe -m pip install --quiet --no-deps -e . || goto :failed

venv\Scripts\python.exe train.py --preset heavy --log-dir logs %*
if errorlevel 1 goto :failed

echo.
echo Model:       logs\real_inventory_model.zip (checkpoints in logs\checkpoints\)
echo Run config:  logs\run_config.json    Live stream: logs\stream_data.json
echo TensorBoard: venv\Scripts\tensorboard --logdir logs/sb3_logs   (then open http://localhost:6006)
echo Dashboard:   venv\Scripts\streamlit run dashboard.py
pause
exit /b 0

:failed
echo.
echo Training did not finish (see the messages above).
pause
exit /b 1
