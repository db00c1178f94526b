# Cargo e2e tests (internal/ecosystems/cargo): the real cargo and rustc.
# rustup is preinstalled on the CI machine kind; its toolchain lives in
# ~/.cargo/bin, which is not always on PATH.
if ! need cargo && [ -x "$HOME/.cargo/bin/cargo" ]; then
  export PATH="$HOME/.cargo/bin:$PATH"
fi
if ! need cargo || ! need rustc; then
  echo "ci: cargo and rustc are required by the Cargo e2e tests; install a toolchain with rustup (https://rustup.rs) first" >&2
  exit 1
fi
echo "ci: $(cargo --version); $(rustc --version)"
