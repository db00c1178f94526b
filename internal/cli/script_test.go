package cli_test

import (
	"archive/tar"
	"compress/gzip"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/drok-dev/drok/internal/cli"
	"github.com/drok-dev/drok/internal/cli/localdaemon"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"drok": func() { os.Exit(cli.Main()) },
	})
}

// TestScripts runs the CLI end to end against real daemons started with
// `drok serve --detach`; see testdata/script/*.txtar.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			work := env.WorkDir
			env.Setenv("HOME", filepath.Join(work, "home"))
			env.Setenv("XDG_CONFIG_HOME", filepath.Join(work, "xdg-config"))
			env.Setenv("XDG_DATA_HOME", filepath.Join(work, "xdg-data"))
			env.Setenv("DROK_CONFIG_DIR", filepath.Join(work, "config"))
			env.Setenv("DROK_NO_KEYRING", "1")
			env.Setenv("NO_COLOR", "1")
			env.Defer(func() { stopDaemons(env.T(), work) })
			return os.MkdirAll(filepath.Join(work, "home"), 0o700)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exitcode": cmdExitCode,
			"envfile":  cmdEnvFile,
			"grab":     cmdGrab,
			"mktgz":    cmdMkTgz,
		},
	})
}

// stopDaemons stops every daemon whose pid file is under work, so that a
// failing script does not leak one.
func stopDaemons(t testscript.T, work string) {
	pids, _ := filepath.Glob(filepath.Join(work, "*", "drok.pid"))
	more, _ := filepath.Glob(filepath.Join(work, "*", "*", "drok.pid"))
	for _, p := range append(pids, more...) {
		st, err := localdaemon.Read(filepath.Dir(p))
		if err != nil || !st.Running {
			continue
		}
		if err := localdaemon.Stop(st.PID, 10*time.Second); err != nil {
			t.Log(err)
			if proc, err := os.FindProcess(st.PID); err == nil {
				_ = proc.Kill()
			}
		}
	}
}

// exitcode N PROG [ARGS...] runs PROG and checks that it exits with N;
// its stdout and stderr can be matched afterwards.
func cmdExitCode(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exitcode N PROG [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	err = ts.Exec(args[1], args[2:]...)
	got := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		got = ee.ExitCode()
	case err != nil:
		ts.Fatalf("run %s: %v", args[1], err)
	}
	if got != want {
		ts.Fatalf("%s exited with %d, want %d", args[1], got, want)
	}
}

// envfile VAR FILE sets VAR to the trimmed content of FILE.
func cmdEnvFile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: envfile VAR FILE")
	}
	ts.Setenv(args[0], strings.TrimSpace(ts.ReadFile(args[1])))
}

// grab VAR REGEXP sets VAR to the first group of REGEXP matched against
// the last command's stdout.
func cmdGrab(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: grab VAR REGEXP")
	}
	re, err := regexp.Compile("(?m)" + args[1])
	ts.Check(err)
	m := re.FindStringSubmatch(ts.ReadFile("stdout"))
	if len(m) < 2 {
		ts.Fatalf("stdout does not match %s", args[1])
	}
	ts.Setenv(args[0], m[1])
}

// mktgz FILE NAME VERSION writes an npm package tarball holding
// package/package.json.
func cmdMkTgz(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 3 || len(args) > 4 {
		ts.Fatalf("usage: mktgz FILE NAME VERSION [RANDOM-BYTES]")
	}
	f, err := os.Create(ts.MkAbs(args[0]))
	ts.Check(err)
	defer f.Close()
	gz := gzip.NewWriter(f)
	tw := tar.NewWriter(gz)
	files := map[string]string{
		"package/package.json": fmt.Sprintf(`{"name":%q,"version":%q,"description":"test package","main":"index.js"}`, args[1], args[2]),
		"package/index.js":     "module.exports = 42;\n",
	}
	if len(args) == 4 {
		n, err := strconv.Atoi(args[3])
		ts.Check(err)
		pad := make([]byte, n)
		_, _ = rand.Read(pad)
		files["package/index.js"] += "// " + string(pad) + "\n"
	}
	for _, name := range []string{"package/package.json", "package/index.js"} {
		body := files[name]
		ts.Check(tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), ModTime: time.Unix(0, 0)}))
		_, err := tw.Write([]byte(body))
		ts.Check(err)
	}
	ts.Check(tw.Close())
	ts.Check(gz.Close())
}
