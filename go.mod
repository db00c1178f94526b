module github.com/drok-dev/drok

go 1.26.8
