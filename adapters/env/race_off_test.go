//go:build !race

package env_test

// raceSlowdown scales time budgets under the race detector.
const raceSlowdown = 1
