package genimpl

// The version guard keeps generated code and the runtime packages (runtime
// and runtime/genimpl) in step.
//
// Each generated package's settings.go contains
//
//	const (
//		_ = genimpl.EnforceVersion(genimpl.GenVersion - G)
//		_ = genimpl.EnforceVersion(G - genimpl.MinGenVersion)
//	)
//
// where G is the version of the generator that wrote it (codegen.Version).
// EnforceVersion is an unsigned type, so a negative constant does not
// convert and the build fails: the first line fails when the runtime is
// older than the generator (GenVersion < G: the code may call functions
// this runtime lacks), the second when the runtime no longer supports code
// that old (G < MinGenVersion). The fix is to upgrade the module or rerun
// go generate. TestVersionGuard type-checks both lines.
//
// GenVersion goes up when the generator starts to use new runtime or
// genimpl API; MinGenVersion goes up when they drop API that older
// generated code uses.

// EnforceVersion is the unsigned type of the version guard in generated
// code. It has no other use.
type EnforceVersion uint

const (
	// GenVersion is the newest generator version this runtime supports.
	GenVersion = 2
	// MinGenVersion is the oldest generator version this runtime supports.
	MinGenVersion = 1
)
