module github.com/drok-dev/drok

go 1.26.8

require (
	github.com/Masterminds/semver/v3 v3.5.0 // indirect
	go.etcd.io/bbolt v1.5.0 // indirect
	golang.org/x/sys v0.45.0 // indirect
)
