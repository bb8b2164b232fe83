package frontend

import "syscall"

// peakMemory is the process's peak resident set size in bytes (the
// kernel's high-water mark, ru_maxrss, which Linux counts in KiB).
func peakMemory() (int64, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil || ru.Maxrss <= 0 {
		return 0, false
	}
	return int64(ru.Maxrss) * 1024, true
}
