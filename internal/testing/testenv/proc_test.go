package testenv

import (
	"errors"
	"testing"
)

// TestOnFreePort: a server that exited before it was ready is started again
// on another port, startAttempts times at most; other errors are final.
func TestOnFreePort(t *testing.T) {
	var ports []int
	got, err := onFreePort(func(port int) (string, error) {
		ports = append(ports, port)
		if len(ports) < 2 {
			return "", errExited
		}
		return "up", nil
	})
	if err != nil || got != "up" || len(ports) != 2 {
		t.Errorf("onFreePort = %q, %v after %d attempts; want up after 2", got, err, len(ports))
	}

	attempts := 0
	_, err = onFreePort(func(int) (string, error) { attempts++; return "", errExited })
	if !errors.Is(err, errExited) || attempts != startAttempts {
		t.Errorf("always exiting: %v after %d attempts; want errExited after %d", err, attempts, startAttempts)
	}

	attempts = 0
	timeout := errors.New("did not answer")
	_, err = onFreePort(func(int) (string, error) { attempts++; return "", timeout })
	if err != timeout || attempts != 1 {
		t.Errorf("timing out: %v after %d attempts; want it after 1", err, attempts)
	}
}
