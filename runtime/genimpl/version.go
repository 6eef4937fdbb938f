package genimpl

// The version guard keeps generated code and this package in step.
//
// Each generated package contains
//
//	const _ = runtime.EnforceVersion(runtime.GenVersion - G)
//	const _ = runtime.EnforceVersion(G - runtime.MinGenVersion)
//
// where G is the version of the generator that wrote it. EnforceVersion is an
// unsigned type, so a negative constant does not convert and the build fails:
// the first line fails when the runtime is older than the generator
// (GenVersion < G: the code may call functions this runtime lacks), the
// second when the runtime no longer supports code that old (G <
// MinGenVersion). The fix is to upgrade the module or rerun go generate.
//
// GenVersion goes up when the generator starts to use new runtime API;
// MinGenVersion goes up when the runtime drops API that older generated code
// uses.

// EnforceVersion is the unsigned type of the version guard in generated
// code. It has no other use.
type EnforceVersion uint

const (
	// GenVersion is the newest generator version this runtime supports.
	GenVersion = 2
	// MinGenVersion is the oldest generator version this runtime supports.
	MinGenVersion = 1
)
