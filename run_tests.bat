@echo off
rem Sets up the venv and runs the tests on Windows. The browser tests need Chromium;
rem set CHROMIUM_PATH to chrome.exe or chromium.exe to run them too.
cd /d "%~dp0"
if not exist venv\Scripts\python.exe python -m venv venv || exit /b 1
venv\Scripts\python -m pip install --quiet --upgrade pip || exit /b 1
venv\Scripts\python -m pip install --quiet -r requirements-dev.txt || exit /b 1
venv\Scripts\python -m pip install --quiet --no-deps -e . || exit /b 1
venv\Scripts\ruff check . || exit /b 1
venv\Scripts\python -m pytest %*
