package java

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"software.sslmate.com/src/go-pkcs12"
)

// trustStorePassword protects nothing (a trust store holds public
// certificates); Java requires one to check the store's integrity.
const trustStorePassword = "changeit"

// RunHelper is the java-run helper: `java-run -- command args…` runs a
// build tool with the step's CA bundle as the JVM's trust store. The JDK
// reads no PEM bundle, so when the step has one (SSL_CERT_FILE, which the
// steps that download get, pointed at the ca-bundle secret or the
// builder's own bundle), the helper writes it as a PKCS#12 trust store in
// a fresh temporary directory, adds it to JAVA_TOOL_OPTIONS (which every
// JVM the tool starts reads), runs the command and removes the directory:
// nothing of it reaches a layer.
func RunHelper(args []string, stdout, stderr io.Writer) int {
	args = args[1:] // the helper's name
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: java-run -- command [args…]")
		return 2
	}
	env := os.Environ()
	if bundle := os.Getenv("SSL_CERT_FILE"); bundle != "" {
		opts, cleanup, err := trustStore(bundle)
		if err != nil {
			fmt.Fprintf(stderr, "java-run: %v\n", err)
			return 1
		}
		defer cleanup()
		if opts != "" {
			env = setEnv(env, "JAVA_TOOL_OPTIONS", strings.TrimSpace(os.Getenv("JAVA_TOOL_OPTIONS")+" "+opts))
		}
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env, cmd.Stdin, cmd.Stdout, cmd.Stderr = env, os.Stdin, stdout, stderr
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(stderr, "java-run: %v\n", err)
		return 127
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	defer signal.Stop(sigs)
	go func() {
		for s := range sigs {
			_ = cmd.Process.Signal(s)
		}
	}()
	err := cmd.Wait()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		return exit.ExitCode()
	case err != nil:
		fmt.Fprintf(stderr, "java-run: %v\n", err)
		return 1
	}
	return 0
}

// trustStore writes the certificates of a PEM bundle as a PKCS#12 trust
// store in a new temporary directory and returns the JVM options that use
// it and the function that removes it. A bundle with no certificate
// gives no options.
func trustStore(bundle string) (opts string, cleanup func(), err error) {
	cleanup = func() {}
	data, err := os.ReadFile(bundle)
	if errors.Is(err, os.ErrNotExist) {
		return "", cleanup, nil
	}
	if err != nil {
		return "", cleanup, err
	}
	certs := pemCertificates(data)
	if len(certs) == 0 {
		return "", cleanup, nil
	}
	p12, err := pkcs12.Modern.EncodeTrustStore(certs, trustStorePassword)
	if err != nil {
		return "", cleanup, fmt.Errorf("making a trust store of %s: %w", bundle, err)
	}
	dir, err := os.MkdirTemp("", "distill-truststore-")
	if err != nil {
		return "", cleanup, err
	}
	cleanup = func() { os.RemoveAll(dir) }
	file := filepath.Join(dir, "truststore.p12")
	if err := os.WriteFile(file, p12, 0o600); err != nil {
		cleanup()
		return "", func() {}, err
	}
	return strings.Join([]string{
		"-Djavax.net.ssl.trustStore=" + file,
		"-Djavax.net.ssl.trustStoreType=PKCS12",
		"-Djavax.net.ssl.trustStorePassword=" + trustStorePassword,
	}, " "), cleanup, nil
}

// pemCertificates parses every certificate of a PEM bundle, skipping
// blocks that are not certificates or do not parse.
func pemCertificates(data []byte) []*x509.Certificate {
	var out []*x509.Certificate
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return out
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		if c, err := x509.ParseCertificate(b.Bytes); err == nil {
			out = append(out, c)
		}
	}
}

// setEnv sets a variable in an environment list.
func setEnv(env []string, name, value string) []string {
	out := env[:0:0]
	for _, e := range env {
		if !strings.HasPrefix(e, name+"=") {
			out = append(out, e)
		}
	}
	return append(out, name+"="+value)
}
