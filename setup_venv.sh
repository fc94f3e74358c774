# Sourced by the run_*.sh scripts from the project folder: creates the virtual environment
# .venv if it is missing and installs the requirements file given as the first argument.
if [ ! -x .venv/bin/python ]; then
  echo "Creating the virtual environment in .venv ..."
  python3 -m venv .venv
fi
echo "Installing $1 ..."
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -r "$1"
