package frontend

import "testing"

// TestPeakMemory: after the test touches 64 MiB, the peak it reads is at
// least that, in bytes (ru_maxrss is KiB on Linux: read as bytes it would
// be a thousand times too small).
func TestPeakMemory(t *testing.T) {
	const n = 64 << 20
	buf := make([]byte, n)
	for i := range buf {
		buf[i] = byte(i)
	}
	peak, ok := peakMemory()
	if !ok {
		t.Fatal("no peak memory on Linux")
	}
	if peak < n {
		t.Errorf("peak = %d bytes after touching %d", peak, n)
	}
	if peak > 64<<30 {
		t.Errorf("peak = %d bytes: more than the machine could have (KiB counted twice?)", peak)
	}
	_ = buf[n-1]
}
