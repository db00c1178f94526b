package setup

import (
	"github.com/drok-dev/drok/internal/cli/cmdutil"
	"github.com/drok-dev/drok/internal/cli/iostreams"
)

// testCommon returns the options of a user of server logged in with
// token (none when empty), home directory home, running with --org acme.
func testCommon(ios *iostreams.IOStreams, server, token, home string) CommonOptions {
	return CommonOptions{
		IO: ios,
		Auth: func() (cmdutil.Auth, error) {
			return cmdutil.Auth{Server: server, Token: token}, nil
		},
		DefaultOrg: func(s string) (string, error) { return s, nil },
		HomeDir:    func() (string, error) { return home, nil },
		Org:        "acme",
	}
}
