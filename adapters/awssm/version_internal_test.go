package awssm

import "testing"

func TestVersionRule(t *testing.T) {
	tests := []struct {
		version   string
		stage, id string
	}{
		{"", "", ""},
		{"AWSPREVIOUS", "AWSPREVIOUS", ""},
		{"AWSPENDING", "AWSPENDING", ""},
		{"blue", "blue", ""},
		{"release-2026-01", "release-2026-01", ""},
		{"EXAMPLE1-90ab-cdef-fedc-ba987SAMPLE", "EXAMPLE1-90ab-cdef-fedc-ba987SAMPLE", ""}, // not hex: a label
		{"a1b2c3d4-5678-90ab-cdef-EXAMPLE11111", "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111", ""},
		{"a1b2c3d4-5678-90ab-cdef-0123456789ab", "", "a1b2c3d4-5678-90ab-cdef-0123456789ab"},
		{"A1B2C3D4-5678-90AB-CDEF-0123456789AB", "", "A1B2C3D4-5678-90AB-CDEF-0123456789AB"},
	}
	for _, tc := range tests {
		in := getInput(target{id: "/a/b/c", version: tc.version})
		stage, id := deref(in.VersionStage), deref(in.VersionId)
		if stage != tc.stage || id != tc.id {
			t.Errorf("version %q: VersionStage %q, VersionId %q; want %q, %q", tc.version, stage, id, tc.stage, tc.id)
		}
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
