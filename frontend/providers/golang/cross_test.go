package golang

import (
	"strings"
	"testing"

	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

func TestDebianCross(t *testing.T) {
	t.Parallel()
	amd64 := ocispecs.Platform{OS: "linux", Architecture: "amd64"}
	for _, tc := range []struct {
		target ocispecs.Platform
		build  ocispecs.Platform
		cxx    bool
		want   string // packages and env, or "" for none
	}{
		{ocispecs.Platform{OS: "linux", Architecture: "arm64"}, amd64, false, "gcc-aarch64-linux-gnu libc6-dev-arm64-cross CC=aarch64-linux-gnu-gcc"},
		{ocispecs.Platform{OS: "linux", Architecture: "arm", Variant: "v7"}, amd64, true, "gcc-arm-linux-gnueabihf libc6-dev-armhf-cross g++-arm-linux-gnueabihf CC=arm-linux-gnueabihf-gcc CXX=arm-linux-gnueabihf-g++"},
		{amd64, ocispecs.Platform{OS: "linux", Architecture: "arm64"}, false, "gcc-x86-64-linux-gnu libc6-dev-amd64-cross CC=x86_64-linux-gnu-gcc"},
		{ocispecs.Platform{OS: "linux", Architecture: "arm", Variant: "v5"}, amd64, false, ""},
		{ocispecs.Platform{OS: "linux", Architecture: "arm64"}, ocispecs.Platform{OS: "linux", Architecture: "s390x"}, false, ""},
	} {
		c := debianCross(tc.target, tc.build, tc.cxx)
		got := ""
		if c != nil {
			got = strings.Join(append(c.packages, c.env...), " ")
		}
		if got != tc.want {
			t.Errorf("debianCross(%v on %v) = %q, want %q", tc.target, tc.build, got, tc.want)
		}
	}
}
