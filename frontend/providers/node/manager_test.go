package node

import "testing"

// TestManagerTables: every manager a lock or packageManager names has a
// way to work out its tool, and every tool a manager's knowledge.
func TestManagerTables(t *testing.T) {
	t.Parallel()
	for _, l := range lockFiles {
		if toolFor[l.manager] == nil {
			t.Errorf("%s: no toolFor[%q]", l.file, l.manager)
		}
	}
	for _, m := range []string{npm, yarnBerry, pnpm} { // packageManagerRE's names
		if toolFor[m] == nil || managers[m] == nil {
			t.Errorf("packageManager %s: not in toolFor and managers", m)
		}
	}
	if managers[yarnClassic] == nil {
		t.Error("no manager for Yarn classic")
	}
}
