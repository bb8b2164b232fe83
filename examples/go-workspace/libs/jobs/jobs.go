// Package jobs is a library only the worker uses: a change to it must
// not rebuild the API.
package jobs

// Next is the job the worker runs.
func Next() string { return "job 1: resize images" }
