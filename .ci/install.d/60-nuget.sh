# NuGet e2e tests: NuGet.Exe 5.8 (npm package nuget-exe@5.8.0) on Debian's
# mono with the class libraries it needs, and Debian's nuget 2.8.7 (v2).
if ! need mono || ! need nuget || [ ! -e /usr/lib/mono/4.5/System.Net.Http.WebRequest.dll ]; then
  apt_install mono-runtime nuget \
    libmono-system-net-http4.0-cil libmono-system-xml-linq4.0-cil \
    libmono-system-io-compression4.0-cil libmono-system-componentmodel-composition4.0-cil \
    libmono-microsoft-csharp4.0-cil libmono-system-runtime-serialization4.0-cil \
    libmono-system-net-http-webrequest4.0-cil
fi
# The tests look for NuGet.exe here (os.UserCacheDir()/drok-test/nuget-exe)
# and install it themselves when it is missing.
nuget_exe_dir="${XDG_CACHE_HOME:-$HOME/.cache}/drok-test/nuget-exe"
if [ ! -e "$nuget_exe_dir/node_modules/nuget-exe/nuget-5.8.0.exe" ]; then
  mkdir -p "$nuget_exe_dir"
  npm install --no-audit --no-fund --prefix "$nuget_exe_dir" nuget-exe@5.8.0
fi
mono "$nuget_exe_dir/node_modules/nuget-exe/nuget-5.8.0.exe" help >/dev/null
