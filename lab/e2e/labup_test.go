package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// lab/up.sh run by the tests: on the lab that is up, with
// DISTILL_LAB_SKIP_PUBLISH=1, so the frontend image the other tests use
// stays the one published (this tree's may differ). Each run must leave
// the lab's daemons as they were: the same processes, none restarted.

// labUp starts lab/up.sh.
func labUp(t *testing.T) *watched {
	t.Helper()
	cmd := exec.Command(filepath.Join(repoRoot, "lab", "up.sh"))
	cmd.Env = append(os.Environ(), "DISTILL_LAB_SKIP_PUBLISH=1")
	return startWatched(t, cmd)
}

// labPids are the pids lab-up recorded for the lab's daemons.
func labPids(t *testing.T) map[string]string {
	t.Helper()
	pids := map[string]string{}
	for _, f := range []string{"buildkitd.pid", "registry.pid", "buildkitd-old.pid"} {
		data, err := os.ReadFile(filepath.Join(labDir, "run", f))
		if err != nil {
			t.Fatalf("the lab is not up: %v", err)
		}
		pid := strings.TrimSpace(string(data))
		if _, err := os.Stat("/proc/" + pid); err != nil {
			t.Fatalf("%s: %s is not running", f, pid)
		}
		pids[f] = pid
	}
	return pids
}

// checkLabAfter checks that the lab's daemons are the ones before, and
// that no process holds lab-up's lock (a daemon that inherited it would
// make every later lab-up wait forever).
func checkLabAfter(t *testing.T, before map[string]string) {
	t.Helper()
	for f, pid := range labPids(t) {
		if pid != before[f] {
			t.Errorf("%s: %s, was %s (a daemon was started again)", f, pid, before[f])
		}
	}
	if out, err := exec.Command("flock", "-n", filepath.Join(labDir, "run", "lab-up.lock"), "true").CombinedOutput(); err != nil {
		t.Errorf("lab-up's lock is still held after every lab-up ended: %v %s", err, out)
	}
	requireLabAnswers(t)
}

// requireLabAnswers: buildkitd and the builder answer.
func requireLabAnswers(t *testing.T) {
	t.Helper()
	if err := probeLab(); err != nil {
		t.Errorf("the lab does not answer: %v", err)
	}
}

var labUpDone = regexp.MustCompile(`(?m)^lab: up in \d+s\b`)

// TestLabUpConcurrent: two lab-ups at once. The second says it waits for
// the first, then finds everything up; both succeed, and the lab's
// daemons are the ones that were running.
func TestLabUpConcurrent(t *testing.T) {
	requireLab(t)
	before := labPids(t)
	a, b := labUp(t), labUp(t)
	ra, rb := a.wait(t, 10*time.Minute), b.wait(t, 10*time.Minute)
	waited := 0
	for _, r := range []result{ra, rb} {
		if r.err != nil || !labUpDone.MatchString(r.out) {
			t.Errorf("a lab-up: %v\n%s", r.err, tail(r.out, 20))
		}
		if strings.Contains(r.out, "another lab-up is running") {
			waited++
			if !strings.Contains(r.out, "the other lab-up has finished; checking what is up") {
				t.Errorf("the waiting lab-up did not say it went on:\n%s", tail(r.out, 20))
			}
		}
	}
	if waited != 1 {
		t.Errorf("%d lab-ups said they waited, want 1:\n%s\n---\n%s", waited, tail(ra.out, 10), tail(rb.out, 10))
	}
	t.Logf("two lab-ups at once: %s and %s", ra.dur.Round(time.Millisecond), rb.dur.Round(time.Millisecond))
	checkLabAfter(t, before)
}

// TestLabUpResume: a lab-up killed midway (SIGKILL to its process
// group, its background steps included, after the Node.js fixtures) and
// run again finishes, leaving the lab as it was.
func TestLabUpResume(t *testing.T) {
	requireLab(t)
	before := labPids(t)
	first := labUp(t)
	first.waitFor(t, regexp.MustCompile(`(?m)^lab: Node.js fixtures ready`), 10*time.Minute)
	first.kill()
	if r := first.wait(t, time.Minute); labUpDone.MatchString(r.out) {
		t.Fatalf("lab-up had finished before the kill:\n%s", tail(r.out, 10))
	}
	r := labUp(t).wait(t, 10*time.Minute)
	if r.err != nil || !labUpDone.MatchString(r.out) {
		t.Fatalf("lab-up after a killed one: %v\n%s", r.err, tail(r.out, 20))
	}
	t.Logf("lab-up after a killed one: %s", r.dur.Round(time.Millisecond))
	checkLabAfter(t, before)
}
