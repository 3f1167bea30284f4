// Command qiao is the Qiao (桥) desktop app. With no subcommand it opens
// the window; `qiao help` lists the headless subcommands.
package main

import (
	"os"

	"qiao/app"
)

func main() {
	os.Exit(app.Main(os.Args[1:], os.Stdout, os.Stderr))
}
