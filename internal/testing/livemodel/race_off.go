//go:build !race

package livemodel

const raceEnabled = false
