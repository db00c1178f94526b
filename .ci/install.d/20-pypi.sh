# PyPI e2e tests: python3 with venv, pip, twine (>=4); bench/pypi: pypiserver
# with its paste server and watchdog cache.
if ! need python3; then
  apt_install python3 python3-venv python3-pip
fi
if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
  apt_install python3-venv
fi
pip_install() {
  python3 -m pip install -q "$@" 2>/dev/null || python3 -m pip install -q --break-system-packages "$@"
}
if ! need twine; then
  pip_install 'twine>=4'
fi
# twine 6.2+ refuses --skip-existing for any repository but PyPI itself;
# the --skip-existing test drives twine 6.1, the last release that sends
# it to other registries (kept in its own virtualenv).
if [ ! -x /opt/drok-clients/twine61/bin/twine ]; then
  python3 -m venv --system-site-packages /opt/drok-clients/twine61
  /opt/drok-clients/twine61/bin/pip install -q 'twine==6.1.0'
fi
if ! need pypi-server; then
  pip_install 'pypiserver>=2'
fi
if ! python3 -c 'import paste, watchdog' >/dev/null 2>&1; then
  pip_install paste watchdog
fi
