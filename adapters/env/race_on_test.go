//go:build race

package env_test

// raceSlowdown scales time budgets under the race detector, which slows
// this code about tenfold.
const raceSlowdown = 10
