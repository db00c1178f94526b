package nuget_test

import (
	"testing"
)

func TestSmokeNuGet58(t *testing.T) {
	f := newFeed(t)
	dir := t.TempDir()
	p1 := writeFile(t, dir, "Acme.Widgets.1.0.0.nupkg", buildNupkg(t, pkgSpec{id: "Acme.Widgets", version: "1.0.0"}))
	c := newClient(t, nugetExe(t), map[string]string{"drok": f.v3}, f.srv.AdminToken)
	t.Log(c.mustRun("push", p1, "-Source", "drok", "-ApiKey", f.srv.AdminToken))
	t.Log(c.mustRun("list", "-Source", "drok"))
	t.Log(c.mustRun("install", "Acme.Widgets", "-Source", "drok", "-OutputDirectory", dir+"/out"))
}
