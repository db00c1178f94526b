# npm e2e tests: node and npm.
if ! need npm || ! need node; then
  apt_install nodejs npm
fi
