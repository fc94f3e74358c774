# Sourced by the run_*.sh scripts from the project folder: creates the virtual environment
# .venv if it is missing, installs the requirements file given as the first argument, then
# the project itself, editable (pip install -e .), so that `import inventory_rl` and the
# `inventory-rl` command work from any folder while the code stays this checkout.
if [ ! -x .venv/bin/python ]; then
  echo "Creating the virtual environment in .venv ..."
  python3 -m venv .venv
fi
echo "Installing $1 and the project ..."
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -r "$1"
.venv/bin/python -m pip install --quiet --no-deps -e .
