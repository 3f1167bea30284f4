// Command qiao-district runs the Qiao district server.
//
// Usage:
//
//	qiao-district serve [--data DIR] [--db URL] [--listen HOST:PORT] [--cert FILE --key FILE | --insecure-http]
//	                    [--rtc-udp PORT] [--rtc-tcp PORT|off] [--rtc-public-ip IP[,IP]]
//	qiao-district tls fingerprint --data DIR
//	qiao-district school add --data DIR [--db URL] --name NAME [--code CODE]
//	qiao-district school list --data DIR [--db URL]
//	qiao-district code issue --data DIR [--db URL] --school ID --role ROLE [--valid 72h]
//	qiao-district device list --data DIR [--db URL]
//	qiao-district device revoke --data DIR [--db URL] --id ID
//	qiao-district import-bundle --data DIR [--db URL] --out RETURN-FILE FILE
//	qiao-district status password --data DIR [--db URL] [--loopback | --remove]
//	qiao-district library review --data DIR [--db URL] [--state pending|accepted|returned|all]
//	qiao-district library accept|return --data DIR [--db URL] --id ID [--reason TEXT]
//	qiao-district library import-pack --data DIR [--db URL] [--progress] PACKDIR
//	qiao-district version
//
// The database is SQLite in DIR unless --db (or $QIAO_DISTRICT_DB) names a
// PostgreSQL database, postgres://user@host/database, which several serve
// processes may share.
//
// serve listens, prints one line "listening on ADDR" to standard output
// with the real address (so --listen 127.0.0.1:0 picks a free port) and,
// when serving HTTPS (the default), a second line "fingerprint SHA256 …"
// with the fingerprint of its certificate, which clients pin; it logs to
// standard error and stops cleanly on SIGINT or SIGTERM.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"qiao/district"
)

// Version is the program's version, set at build time with
// -ldflags "-X main.Version=...".
var Version = "devel"

// defaultDataDir is the data directory used when --data is not given.
const defaultDataDir = "./qiao-district-data"

// envDB is the environment variable that gives --db its default.
const envDB = "QIAO_DISTRICT_DB"

// Exit codes.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

const usage = `Usage:
  qiao-district serve [--data DIR] [--db URL] [--listen HOST:PORT] [--cert FILE --key FILE | --insecure-http]
                      [--rtc-udp PORT] [--rtc-tcp PORT|off] [--rtc-public-ip IP[,IP]]
  qiao-district tls fingerprint --data DIR
  qiao-district school add --data DIR [--db URL] --name NAME [--code CODE]
  qiao-district school list --data DIR [--db URL]
  qiao-district code issue --data DIR [--db URL] --school ID --role ROLE [--valid 72h]
  qiao-district device list --data DIR [--db URL]
  qiao-district device revoke --data DIR [--db URL] --id ID
  qiao-district import-bundle --data DIR [--db URL] --out RETURN-FILE FILE
  qiao-district status password --data DIR [--db URL] [--loopback | --remove]
  qiao-district library review --data DIR [--db URL] [--state pending|accepted|returned|all]
  qiao-district library accept --data DIR [--db URL] --id ID
  qiao-district library return --data DIR [--db URL] --id ID --reason TEXT
  qiao-district library import-pack --data DIR [--db URL] [--progress] PACKDIR
  qiao-district metrics rollup --data DIR [--db URL] --term TERM [--xlsx FILE]
  qiao-district version

Commands:
  serve          run the district server until SIGINT or SIGTERM
  tls fingerprint
                 print the SHA-256 fingerprint of the server's self-signed
                 certificate in DIR/tls (creating it if missing), for users
                 to compare with what their app shows when it enrols
  school add     create a school; prints its id
  school list    list the schools
  code issue     issue a one-time enrolment code for a device of a school;
                 ROLE is teacher, principal or district_admin; prints the
                 code, which is stored only as a hash and cannot be shown again
  device list    list enrolled devices
  device revoke  revoke a device: its next request is refused
  import-bundle  import a school's offline bundle (from a USB stick): all of
                 it or, if any change is refused, none of it; then write to
                 RETURN-FILE the bundle to take back to the school
  status password
                 set the password of the status page (GET /status and
                 /status.json: schools, devices, sync state, errors), read
                 from standard input and stored as a salted hash. Loopback
                 clients (on the server, or through an SSH tunnel) need no
                 password; others need it (HTTP Basic auth, any user name)
                 and are refused while none is set. --loopback requires it
                 from loopback clients too (a reverse proxy on the server);
                 --remove removes it
  library review list the resource library's contributions from schools
                 (default: those waiting for review)
  library accept accept a contribution: it joins the district's catalogue
                 and reaches every school at its next sync
  library return return a contribution to its school with a reason
  library import-pack
                 load a resource pack (a folder with manifest.json and
                 files/) into the district's catalogue: its files are
                 checked (size, SHA-256) and stored, its entries become
                 district-wide and reach every school at its next sync.
                 Importing a pack again changes nothing; a newer pack
                 updates its entries. A damaged file is refused with its
                 entries (exit 1); the rest is imported. A cut import
                 continues its files where it stopped. Progress is shown
                 on stderr when it is a terminal, or with --progress
  metrics rollup print the district's roll-up of the school indicators for
                 TERM (e.g. 2026-autumn): schools ranked by the headline
                 indicator, district averages, * under target; --xlsx also
                 writes it as a workbook (also on /status/indicators)
  version        print the version

The admin commands work on the database while the server runs.
--data defaults to %[1]s for every command.

The database is SQLite (DIR/district.db) unless --db URL, or the environment
variable %[3]s, names a PostgreSQL database:
  --db postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=...]
The database must exist and belong to USER; its tables are created on first
use. Several serve processes (e.g. behind a load balancer) may share one
PostgreSQL database; give each the same certificate (--cert/--key, or a copy
of DIR/tls), since the apps pin its fingerprint.

Options for serve:
  --data DIR          data directory, created if missing (default %[1]s)
  --db URL            PostgreSQL database instead of SQLite in DIR
                      (default $%[3]s)
  --listen HOST:PORT  address to listen on (default %[2]s, loopback only;
                      port 0 picks a free port; 0.0.0.0:8443 serves the network)
  --cert FILE         serve this PEM certificate (chain) instead of the
                      self-signed one in DIR/tls; needs --key
  --key FILE          the PEM private key of --cert
  --insecure-http     serve plain HTTP without TLS: for tests on loopback only
  --rtc-udp PORT      UDP port of live lessons across schools (ICE, one port
                      for every classroom; default: the --listen port, e.g.
                      8443/udp; 0 picks a free port); on the --listen host
  --rtc-tcp PORT|off  TCP port of ICE over TCP, the fallback for classrooms
                      whose firewall blocks UDP (default: the --listen port
                      + 1, e.g. 8444; 0 picks a free port; off: none)
  --rtc-public-ip IP[,IP]
                      public address(es) to announce to classrooms when the
                      server is behind 1:1 NAT (the firewall forwards the
                      HTTPS, UDP and TCP ports to it)

serve prints "listening on ADDR" and, over HTTPS, "fingerprint SHA256 FP",
the certificate's fingerprint, which the apps pin.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes the command line args and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		return usageError(stderr, "no command given")
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], stdout, stderr)
	case "tls":
		return tlsCmd(args[1:], stdout, stderr)
	case "school":
		return school(ctx, args[1:], stdout, stderr)
	case "code":
		return codeCmd(ctx, args[1:], stdout, stderr)
	case "device":
		return device(ctx, args[1:], stdout, stderr)
	case "import-bundle":
		return importBundle(ctx, args[1:], stdout, stderr)
	case "status":
		return statusCmd(ctx, args[1:], stdout, stderr)
	case "library":
		return library(ctx, args[1:], stdout, stderr)
	case "metrics":
		return metricsCmd(ctx, args[1:], stdout, stderr)
	case "version", "--version", "-version":
		if len(args) > 1 {
			return usageError(stderr, "version takes no arguments")
		}
		fmt.Fprintf(stdout, "qiao-district %s\n", Version)
		return exitOK
	case "help", "--help", "-help", "-h":
		printUsage(stdout)
		return exitOK
	default:
		return usageError(stderr, fmt.Sprintf("unknown command %q", args[0]))
	}
}

// serve runs the serve command.
func serve(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	dataDir := fs.String("data", defaultDataDir, "data directory")
	dbURL := dbFlag(fs)
	listen := fs.String("listen", district.DefaultListen, "listen address")
	certFile := fs.String("cert", "", "PEM certificate file")
	keyFile := fs.String("key", "", "PEM private key file")
	insecure := fs.Bool("insecure-http", false, "serve plain HTTP")
	rtcUDP := fs.String("rtc-udp", "", "UDP port for lessons")
	rtcTCP := fs.String("rtc-tcp", "", "TCP port for lessons, or off")
	rtcIP := fs.String("rtc-public-ip", "", "public IP(s) for lessons behind 1:1 NAT")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printUsage(stdout)
			return exitOK
		}
		return usageError(stderr, err.Error())
	}
	if fs.NArg() > 0 {
		return usageError(stderr, fmt.Sprintf("serve: unexpected argument %q", fs.Arg(0)))
	}
	if *dataDir == "" {
		return usageError(stderr, "serve: --data must not be empty")
	}
	if *listen == "" {
		return usageError(stderr, "serve: --listen must not be empty")
	}
	if err := checkDB("serve", *dbURL); err != nil {
		return usageError(stderr, err.Error())
	}
	if (*certFile == "") != (*keyFile == "") {
		return usageError(stderr, "serve: --cert and --key must be given together")
	}
	if *insecure && *certFile != "" {
		return usageError(stderr, "serve: --insecure-http and --cert exclude each other")
	}

	udpPort, tcpPort, publicIPs, err := rtcPorts(*listen, *rtcUDP, *rtcTCP, *rtcIP)
	if err != nil {
		return usageError(stderr, "serve: "+err.Error())
	}

	log := slog.New(slog.NewTextHandler(stderr, nil))
	slog.SetDefault(log)

	if *insecure {
		fmt.Fprintln(stderr, "qiao-district: warning: --insecure-http: serving plain HTTP without TLS; use it only for tests on loopback")
	}
	district.Version = Version // shown on the status page
	s, err := district.New(district.Config{DataDir: *dataDir, DatabaseURL: *dbURL, Listen: *listen,
		CertFile: *certFile, KeyFile: *keyFile, Insecure: *insecure,
		RTCUDPPort: udpPort, RTCTCPPort: tcpPort, RTCPublicIPs: publicIPs})
	if err != nil {
		fmt.Fprintf(stderr, "qiao-district: %v\n", err)
		return exitError
	}
	defer s.Close()
	ln, err := s.Listen()
	if err != nil {
		fmt.Fprintf(stderr, "qiao-district: %v\n", err)
		return exitError
	}
	fp := s.Fingerprint()
	dbKind := "sqlite"
	if *dbURL != "" {
		dbKind = "postgres" // the URL itself may hold a password: not logged
	}
	udpAddr, tcpAddr := s.RTCAddrs()
	rtcTCPAddr := "off"
	if tcpAddr != nil {
		rtcTCPAddr = tcpAddr.String()
	}
	log.Info("starting", "version", Version, "data", *dataDir, "db", dbKind, "addr", ln.Addr().String(), "tls", fp != "",
		"rtc_udp", udpAddr.String(), "rtc_tcp", rtcTCPAddr)
	fmt.Fprintf(stdout, "listening on %s\n", ln.Addr())
	if fp != "" {
		fmt.Fprintf(stdout, "fingerprint SHA256 %s\n", fp)
	}

	if err := s.Serve(ctx, ln); err != nil {
		log.Error("stopped", "err", err)
		return exitError
	}
	log.Info("stopped")
	return exitOK
}

// rtcPorts reads --rtc-udp, --rtc-tcp and --rtc-public-ip; the ports
// default to the --listen port and the next one (0 and 0 when that is 0).
func rtcPorts(listen, udp, tcp, ips string) (udpPort, tcpPort int, public []string, err error) {
	_, p, err := net.SplitHostPort(listen)
	if err != nil {
		return 0, 0, nil, fmt.Errorf("--listen %q: %v", listen, err)
	}
	lport, err := strconv.Atoi(p)
	if err != nil || lport < 0 || lport > 65535 {
		return 0, 0, nil, fmt.Errorf("--listen %q: the port must be a number", listen)
	}
	port := func(name, v string, def int) (int, error) {
		if v == "" {
			return def, nil
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 65535 {
			return 0, fmt.Errorf("--%s %q: want a port 0 to 65535", name, v)
		}
		return n, nil
	}
	if udpPort, err = port("rtc-udp", udp, lport); err != nil {
		return 0, 0, nil, err
	}
	def := 0
	if lport > 0 && lport < 65535 {
		def = lport + 1
	}
	if tcp == "off" {
		tcpPort = -1
	} else if tcpPort, err = port("rtc-tcp", tcp, def); err != nil {
		return 0, 0, nil, err
	}
	for _, ip := range strings.Split(ips, ",") {
		if ip = strings.TrimSpace(ip); ip == "" {
			continue
		}
		if net.ParseIP(ip) == nil {
			return 0, 0, nil, fmt.Errorf("--rtc-public-ip %q is not an IP address", ip)
		}
		public = append(public, ip)
	}
	return udpPort, tcpPort, public, nil
}

// tlsCmd runs "tls fingerprint".
func tlsCmd(args []string, stdout, stderr io.Writer) int {
	if _, ok := subcommand(args, stderr, "tls", "fingerprint"); !ok {
		return exitUsage
	}
	data, rc, ok := adminFlags("tls fingerprint", args[1:], stdout, stderr, nil)
	if !ok {
		return rc
	}
	// Like the other admin commands, refuse a mistyped --data rather than
	// print the fingerprint of a new certificate no server uses.
	// With --db the database is elsewhere: DIR must hold the certificate.
	err := existingDir(dbPlace{dir: data.dir})
	if _, serr := os.Stat(filepath.Join(data.dir, district.TLSDir)); data.url != "" && serr != nil {
		err = fmt.Errorf("no certificate in %s (start the server once, or check --data)", filepath.Join(data.dir, district.TLSDir))
	} else if data.url != "" {
		err = nil
	}
	if err != nil {
		fmt.Fprintf(stderr, "qiao-district: %v\n", err)
		return exitError
	}
	cert, err := district.LoadOrCreateCert(data.dir)
	if err != nil {
		fmt.Fprintf(stderr, "qiao-district: %v\n", err)
		return exitError
	}
	fmt.Fprintln(stdout, district.Fingerprint(cert.Certificate[0]))
	return exitOK
}

// usageError reports a usage mistake and returns exitUsage.
func usageError(stderr io.Writer, msg string) int {
	fmt.Fprintf(stderr, "qiao-district: %s\n\n", msg)
	printUsage(stderr)
	return exitUsage
}

// printUsage writes the usage text to w.
func printUsage(w io.Writer) {
	fmt.Fprintf(w, usage, defaultDataDir, district.DefaultListen, envDB)
}
