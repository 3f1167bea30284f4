package app

// Version is set at link time: -ldflags "-X qiao/app.Version=1.2.3".
var Version = "0.1.0-dev"
