// Package env is the secretsgen backend that reads secrets from environment
// variables, from files named by NAME_FILE variables (Docker and Kubernetes
// secret files), and from .env files.
//
// The manifest entry database/url is read from the variable DATABASE_URL
// ("/" and "-" become "_", upper case; an env: override in the manifest
// replaces the name). Lookup order for one secret:
//
//  1. DATABASE_URL in the process environment (an empty value counts as set,
//     unless Options.EmptyIsUnset: see below);
//  2. DATABASE_URL_FILE in the process environment: the contents of that file,
//     less one trailing newline ("\n" or "\r\n");
//  3. DATABASE_URL, then DATABASE_URL_FILE, in the .env files, a later file
//     overriding an earlier one.
//
// A DATABASE_URL_FILE that is set, in the process environment or a .env
// file, must name a readable file. When it is empty, names a file that does
// not exist, names a directory, a device, a FIFO or a socket (anything but
// a regular file), or names a file larger than MaxValueSize (1 MiB), Get
// fails with runtime.ErrInvalidValue naming the variable: it neither
// reports the secret not found (which would let an optional secret take
// its manifest default) nor goes on to a later step. A file this process
// may not read is runtime.ErrAccessDenied; any other read error is
// runtime.ErrUnavailable. Files are opened without blocking and their type
// is checked before any read, so /dev/zero or a FIFO cannot exhaust memory
// or hold the caller past its context. A .env file is read the same way,
// up to MaxEnvFileSize (10 MiB). Errors never quote the path:
// a secret pasted into DATABASE_URL_FILE by mistake must not be printed.
// The cause is the operating system's error (syscall.ENOENT,
// syscall.EACCES, ...) without the path, so errors.Is(err, fs.ErrNotExist)
// and the like still work.
//
// With Options.EmptyIsUnset (what the generated composition root sets when
// env is one layer of several, SECRETS_BACKEND=env,aws), a variable whose
// value is empty counts as unset at every step: an empty DATABASE_URL in
// the process environment goes on to DATABASE_URL_FILE and the .env files,
// and when nothing else has it the secret is not found, so the next layer
// serves it. Alone, env keeps an empty value as the value.
//
// # Change events
//
// When .env files are in use, Changed returns a channel that receives after
// one of them was edited: the first call starts watching the directories
// of the files with fsnotify; after an edit and a quiet period of
// Options.Debounce the files are read again (as Refresh does) and, when
// their contents changed, the channel receives. runtime.Live polls at once
// when it does, so a developer who edits .env sees the new value without a
// restart. A file that does not read or parse after the edit (a save in
// progress, a typo) keeps the previous contents in use until it does.
// Close stops the watcher. Without .env files, Changed returns nil.
//
// A credential (Ref.Type "credential") is two variables, DATABASE_APP_USERNAME
// and DATABASE_APP_PASSWORD, each looked up as above (with its own _FILE
// variable), returned as one JSON object {"username": ..., "password": ...}.
// Both unset is not found; one unset is runtime.ErrInvalidValue naming it.
//
// The process environment always wins over .env files. The .env syntax is
// github.com/joho/godotenv's: NAME=value, optional "export", # comments,
// single quotes taken literally, double quotes with \n escapes, and ${NAME}
// expanded from earlier lines of the same file only. With this backend a
// manifest source: is ignored: each entry is read from its own variable.
//
// FromEnv is what generated code calls; New is for programs and tests that
// choose the files and the environment themselves.
package env

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/joho/godotenv"

	"github.com/dashtam/secretsgen/adapters/internal/fileread"
	"github.com/dashtam/secretsgen/internal/backends"
	"github.com/dashtam/secretsgen/runtime"
)

// backend is the name this provider reports and errors carry.
const backend = "env"

// Size limits of what the provider reads from files, far above any real
// secret or .env file; a larger file is refused, never read to the end.
const (
	// MaxValueSize is the largest file a NAME_FILE variable may name:
	// 1 MiB.
	MaxValueSize = 1 << 20
	// MaxEnvFileSize is the largest .env file: 10 MiB.
	MaxEnvFileSize = 10 << 20
)

// DefaultDebounce is how long the .env files must be quiet after an edit
// before they are read again and Changed fires (Options.Debounce).
const DefaultDebounce = 75 * time.Millisecond

// Options configures New. The zero value (or a nil *Options) reads the
// process environment only.
type Options struct {
	// Files are .env files to read, in order; a later file overrides an
	// earlier one. Every file must exist. Default: none.
	Files []string
	// LookupEnv reads the process environment. Default: os.LookupEnv.
	LookupEnv func(string) (string, bool)
	// EmptyIsUnset makes a variable with an empty value count as unset,
	// in the process environment and in the .env files, NAME_FILE
	// variables included: the lookup goes on to the next step, and a
	// secret that only has empty variables is not found. Set it when the
	// provider is one layer of several, so that an empty variable does not
	// shadow the value of a later layer; the generated NewProvider does
	// when SECRETS_BACKEND lists several backends. Default: an empty value
	// is a value.
	EmptyIsUnset bool
	// Debounce is how long the .env files must be quiet after an edit
	// before they are read again and Changed fires. Default
	// DefaultDebounce (75ms).
	Debounce time.Duration
}

// Provider reads secrets from the environment and .env files. It implements
// runtime.Provider, runtime.BatchProvider, runtime.Locator and
// runtime.Refresher, has Changed and Close, and is safe for concurrent use.
// It starts no goroutine until Changed is first called with .env files in
// use; Close stops the ones it started.
type Provider struct {
	files        []string
	lookup       func(string) (string, bool)
	emptyIsUnset bool
	vars         atomic.Pointer[map[string]string] // merged contents of files
	reading      sync.Mutex                        // one read of the files at a time, so an older read never overwrites a newer one
	// noFiles is the note a not-found error carries when FromLookup found
	// no .env file to read, "" otherwise.
	noFiles string
	// filesFrom says where the names of the .env files came from, for the
	// error of a file that cannot be used: "" (Options.Files),
	// fromVariable or fromDefault.
	filesFrom string

	debounce time.Duration
	watch    watchState
}

var (
	_ runtime.BatchProvider = (*Provider)(nil)
	_ runtime.Locator       = (*Provider)(nil)
	_ runtime.Refresher     = (*Provider)(nil)
)

// Where the names of the .env files came from (Provider.filesFrom).
const (
	fromVariable = "SECRETS_ENV_FILE"
	fromDefault  = "the default: SECRETS_ENV_FILE is unset"
)

// New returns a Provider that reads opts.Files (parsed now, and again on
// Refresh) and the environment through opts.LookupEnv. A file that cannot
// be read or does not parse is an error naming the file (and the line, for
// a parse error), never its contents: see Refresh.
func New(opts *Options) (*Provider, error) {
	return newProvider(context.Background(), opts, "")
}

func newProvider(ctx context.Context, opts *Options, filesFrom string) (*Provider, error) {
	if opts == nil {
		opts = &Options{}
	}
	p := &Provider{
		files:        append([]string(nil), opts.Files...),
		lookup:       opts.LookupEnv,
		emptyIsUnset: opts.EmptyIsUnset,
		debounce:     opts.Debounce,
		filesFrom:    filesFrom,
	}
	if p.lookup == nil {
		p.lookup = os.LookupEnv
	}
	if p.debounce <= 0 {
		p.debounce = DefaultDebounce
	}
	if err := p.Refresh(ctx); err != nil {
		return nil, err
	}
	return p, nil
}

// FromEnv returns a Provider over the process environment and the .env files
// listed in SECRETS_ENV_FILE (comma-separated; spaces around names and empty
// names are ignored). When SECRETS_ENV_FILE is unset or empty, ".env" in the
// working directory is read if it exists; when it does not, a secret that
// is not found says that no .env file was read. It is FromLookup(ctx,
// os.LookupEnv).
func FromEnv(ctx context.Context) (*Provider, error) {
	return FromEnvWith(ctx, nil)
}

// FromLookup is FromEnv with the environment read through lookup (like
// Options.LookupEnv and genimpl.ReadConfig's getenv): SECRETS_ENV_FILE and
// every secret's variables come from lookup, nil meaning os.LookupEnv.
func FromLookup(ctx context.Context, lookup func(string) (string, bool)) (*Provider, error) {
	return FromEnvWith(ctx, &Options{LookupEnv: lookup})
}

// FromEnvWith is FromEnv with options: the .env files are opts.Files when
// that is not nil, else those SECRETS_ENV_FILE lists (or .env, as FromEnv
// reads them); the environment, SECRETS_ENV_FILE included, is read through
// opts.LookupEnv; EmptyIsUnset and Debounce apply as in New. opts may be
// nil. The generated NewProvider calls it with EmptyIsUnset set when env
// is one layer of several.
func FromEnvWith(ctx context.Context, opts *Options) (*Provider, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.LookupEnv == nil {
		o.LookupEnv = os.LookupEnv
	}
	note, from := "", ""
	if o.Files == nil {
		from = fromVariable
		list, _ := o.LookupEnv("SECRETS_ENV_FILE")
		for name := range strings.SplitSeq(list, ",") {
			if name = strings.TrimSpace(name); name != "" {
				o.Files = append(o.Files, name)
			}
		}
		if o.Files == nil {
			from = fromDefault
			if _, err := os.Stat(".env"); !errors.Is(err, fs.ErrNotExist) {
				o.Files = []string{".env"}
			} else {
				note = "no .env file was read: SECRETS_ENV_FILE is unset and the working directory has no .env"
			}
		}
	}
	p, err := newProvider(ctx, &o, from)
	if err != nil {
		return nil, err
	}
	p.noFiles = note
	return p, nil
}

// Name returns "env".
func (p *Provider) Name() string { return backend }

// Where returns the variable that holds ref, e.g. "DATABASE_URL".
func (p *Provider) Where(ref runtime.Ref) string {
	if ref.Type == credentialType {
		user, pass := credentialVars(ref)
		return user + ", " + pass
	}
	return varName(ref)
}

// Refresh reads the .env files again (all of them: paths does not narrow
// it), so that the next Get sees their current contents. On error the
// previous contents stay in use. When the contents changed and Changed was
// called, the Changed channel receives.
//
// A .env file that cannot be used fails the backend as a whole: the error
// (also New's and FromEnv's) is a *runtime.SecretError with Backend "env"
// and no path, whose cause is a *runtime.BackendError naming the file and
// where its name came from (SECRETS_ENV_FILE), of kind ErrInvalidValue (it
// does not parse, is larger than MaxEnvFileSize, is not a regular file),
// ErrAccessDenied (this process may not read it) or ErrUnavailable (it
// does not exist, or another read error). It is one line, and never holds
// the file's contents.
func (p *Provider) Refresh(ctx context.Context, _ ...string) error {
	_, err := p.reload(ctx)
	return err
}

// reload reads the .env files and, when they read and parse, puts their
// contents in use, reporting whether they differ from the previous ones
// (and then signalling Changed).
func (p *Provider) reload(ctx context.Context) (changed bool, err error) {
	p.reading.Lock()
	defer p.reading.Unlock()
	vars, err := p.readFiles(ctx)
	if err != nil {
		return false, err
	}
	old := p.vars.Swap(&vars)
	changed = old != nil && !maps.Equal(*old, vars)
	if changed {
		p.signal()
	}
	return changed, nil
}

// readFiles reads and merges the .env files, a later file overriding an
// earlier one.
func (p *Provider) readFiles(ctx context.Context) (map[string]string, error) {
	vars := make(map[string]string)
	for _, file := range p.files {
		data, err := fileread.Read(ctx, file, MaxEnvFileSize)
		if err != nil {
			return nil, p.fileFailure(file, err)
		}
		m, err := godotenv.UnmarshalBytes(data)
		if err != nil {
			// godotenv's message quotes the file's text: never show it.
			cause, hint := "the .env file does not parse: ", "fix the file"
			if line := errorLine(data); line > 0 {
				cause += fmt.Sprintf("line %d: ", line)
				hint = fmt.Sprintf("fix line %d of the file", line)
			}
			return nil, p.failFile(file, runtime.ErrInvalidValue, errors.New(cause+parseReason(err)), hint)
		}
		for k, v := range m {
			vars[k] = v
		}
	}
	return vars, nil
}

// fileFailure is the error of the .env file that fileread.Read could not
// read (see Refresh).
func (p *Provider) fileFailure(file string, err error) error {
	cause := fileread.WithoutPath(err)
	fix := "point " + fromVariable + " at the .env file"
	if p.filesFrom == "" {
		fix = "fix Options.Files"
	}
	what := func(what string) error { return &fileError{"the .env file", what, cause} }
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return p.failFile(file, runtime.ErrUnavailable, fmt.Errorf("read the .env file: %w", err), "")
	case errors.Is(err, fileread.ErrTooLarge):
		return p.failFile(file, runtime.ErrInvalidValue, what("is larger than the limit of 10 MiB"), fix)
	case errors.Is(err, fileread.ErrIsDir):
		return p.failFile(file, runtime.ErrInvalidValue, what("is a directory"), fix)
	case errors.Is(err, fileread.ErrNotRegular):
		return p.failFile(file, runtime.ErrInvalidValue, what("is a device, FIFO or socket, not a regular file"), fix)
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOTDIR):
		return p.failFile(file, runtime.ErrUnavailable, what("does not exist"), "create it or "+fix)
	case errors.Is(err, fs.ErrPermission):
		return p.failFile(file, runtime.ErrAccessDenied, what("is not readable"), "let this process read it")
	}
	return p.failFile(file, runtime.ErrUnavailable, what("cannot be read: "+cause.Error()), "")
}

// failFile is the failure of the backend as a whole for a .env file that
// cannot be used (see Refresh): it names the file and where its name came
// from. New, FromEnv and Refresh return it outside any read that runtime
// stamps, so it says its backend itself.
func (p *Provider) failFile(file string, kind runtime.Kind, cause error, hint string) error {
	address := file
	if p.filesFrom != "" {
		address += " (" + p.filesFrom + ")"
	}
	err := runtime.FailBackend(kind, cause, address, hint)
	var e *runtime.SecretError
	if errors.As(err, &e) {
		e.Backend = backend
	}
	return err
}

// GetMany reads refs one after another, in order, all from the same
// contents of the .env files (a concurrent Refresh takes effect for the
// next call). Every lookup is in memory (or one small file read), so
// goroutines would cost more than they save: this is what lets generated
// Load skip genimpl.Fetch's fan-out.
func (p *Provider) GetMany(ctx context.Context, refs []runtime.Ref) []runtime.Result {
	res := make([]runtime.Result, len(refs))
	if err := ctx.Err(); err != nil {
		for i := range refs {
			res[i].Err = runtime.Fail(runtime.ErrUnavailable, err, "")
		}
		return res
	}
	vars := *p.vars.Load()
	for i, ref := range refs {
		res[i].Value, res[i].Err = p.get(ctx, vars, ref)
	}
	return res
}

// Get returns the value of ref's variable. See the package documentation for
// the lookup order. The Value has no Version.
func (p *Provider) Get(ctx context.Context, ref runtime.Ref) (runtime.Value, error) {
	if err := ctx.Err(); err != nil {
		return runtime.Value{}, runtime.Fail(runtime.ErrUnavailable, err, "")
	}
	return p.get(ctx, *p.vars.Load(), ref)
}

// get looks ref up in the process environment and then in vars, the merged
// contents of the .env files.
func (p *Provider) get(ctx context.Context, vars map[string]string, ref runtime.Ref) (runtime.Value, error) {
	if ref.Type == credentialType {
		return p.getCredential(ctx, vars, ref)
	}
	name := varName(ref)
	fileVar := name + "_FILE"
	var empty []string // variables skipped for being empty (EmptyIsUnset)
	set := func(v string, ok bool, what string) bool {
		if ok && v == "" && p.emptyIsUnset {
			if !slices.Contains(empty, what) {
				empty = append(empty, what)
			}
			return false
		}
		return ok
	}
	if v, ok := p.lookup(name); set(v, ok, name) {
		return runtime.Value{Text: v}, nil
	}
	if file, ok := p.lookup(fileVar); set(file, ok, fileVar) {
		return readSecretFile(ctx, name, fileVar, file)
	}
	if v, ok := vars[name]; set(v, ok, name) {
		return runtime.Value{Text: v}, nil
	}
	if file, ok := vars[fileVar]; set(file, ok, fileVar) {
		return readSecretFile(ctx, name, fileVar, file)
	}
	hint := "set " + name + " or " + fileVar
	if len(empty) > 0 {
		verb := " is"
		if len(empty) > 1 {
			verb = " are"
		}
		hint += " (" + strings.Join(empty, " and ") + verb + " set but empty, which counts as unset when env is one of several layers)"
	}
	if p.noFiles != "" {
		hint += " (" + p.noFiles + ")"
	}
	return runtime.Value{}, runtime.Fail(runtime.ErrNotFound, nil, hint)
}

// readSecretFile reads the file that fileVar names, less one trailing
// newline. Errors name the variable, never the file's path (which may be a
// secret pasted into the wrong variable) nor its contents; they wrap the
// operating system's error without the path, so errors.Is(err,
// fs.ErrNotExist) and the like work. A path that cannot name a readable
// file is the variable's value being wrong: ErrInvalidValue, never
// ErrNotFound (which would let an optional secret take its default).
// The error's Where is fileVar, not the Locator's NAME: the variable that
// is wrong.
func readSecretFile(ctx context.Context, name, fileVar, file string) (runtime.Value, error) {
	fail := func(kind runtime.Kind, cause error, hint string) (runtime.Value, error) {
		return runtime.Value{}, &runtime.SecretError{Kind: kind, Where: fileVar, Err: cause, Hint: hint}
	}
	fixPath := "fix the path or unset " + fileVar
	if file == "" {
		return fail(runtime.ErrInvalidValue, errors.New(fileVar+" is set but empty"), "set "+fileVar+" to a file name, or unset it and set "+name)
	}
	data, err := fileread.Read(ctx, file, MaxValueSize)
	if err == nil {
		text := strings.TrimSuffix(string(data), "\n")
		if len(text) < len(data) {
			text = strings.TrimSuffix(text, "\r")
		}
		return runtime.Value{Text: text}, nil
	}
	cause := fileread.WithoutPath(err)
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return fail(runtime.ErrUnavailable, err, "")
	case errors.Is(err, fileread.ErrTooLarge):
		return fail(runtime.ErrInvalidValue, &fileError{fileVar, "names a file larger than the limit of 1 MiB", err}, "point "+fileVar+" at the secret's file")
	case errors.Is(err, fileread.ErrNotRegular):
		return fail(runtime.ErrInvalidValue, &fileError{fileVar, "names a device, FIFO or socket, not a regular file", err}, "point "+fileVar+" at a regular file")
	case errors.Is(err, fileread.ErrIsDir):
		return fail(runtime.ErrInvalidValue, &fileError{fileVar, "names a directory", syscall.EISDIR}, fixPath)
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOTDIR):
		return fail(runtime.ErrInvalidValue, &fileError{fileVar, "names a file that does not exist", cause}, fixPath)
	case errors.Is(err, fs.ErrPermission):
		return fail(runtime.ErrAccessDenied, &fileError{fileVar, "names a file that is not readable", cause}, "let this process read the file")
	case errors.Is(err, syscall.EISDIR):
		return fail(runtime.ErrInvalidValue, &fileError{fileVar, "names a directory", cause}, fixPath)
	default:
		return fail(runtime.ErrUnavailable, &fileError{fileVar, "names a file that cannot be read: " + cause.Error(), cause}, "")
	}
}

// fileError says what is wrong with a file: the one a NAME_FILE variable
// names (subject is the variable; the path is never shown) or a .env file
// (subject is "the .env file"; the error that carries it names the file).
// It wraps the reason.
type fileError struct {
	subject string
	what    string
	err     error
}

func (e *fileError) Error() string { return e.subject + " " + e.what }
func (e *fileError) Unwrap() error { return e.err }

// varName is the variable that holds ref: ref.Env, which generated code
// always fills, or the name derived from ref.Path (backends.EnvName; see
// docs/design.md, "Backend naming").
func varName(ref runtime.Ref) string {
	if ref.Env != "" {
		return ref.Env
	}
	return backends.EnvName(ref.Path)
}

// parseReason turns a godotenv parse error into a message without the file
// text that godotenv's own message quotes.
func parseReason(err error) string {
	switch msg := err.Error(); {
	case strings.HasPrefix(msg, "unterminated quoted value"):
		return "unterminated quoted value"
	case strings.HasPrefix(msg, "unexpected character"):
		return "want NAME=value; a name has only letters, digits, '_' and '.'"
	default:
		return "malformed line"
	}
}

// credentialType is runtime.Ref.Type of a credential.
const credentialType = "credential"

// credentialVars are the variables of a credential: NAME_USERNAME and
// NAME_PASSWORD.
func credentialVars(ref runtime.Ref) (user, pass string) {
	name := varName(ref)
	return name + "_USERNAME", name + "_PASSWORD"
}

// getCredential reads a credential from two variables, NAME_USERNAME and
// NAME_PASSWORD, each looked up as any secret is (the process environment,
// its _FILE variable, the .env files), and returns them as one JSON object
// {"username": ..., "password": ...}. Both absent is not found; one absent
// is an invalid value that names the missing one.
func (p *Provider) getCredential(ctx context.Context, vars map[string]string, ref runtime.Ref) (runtime.Value, error) {
	userVar, passVar := credentialVars(ref)
	part := func(name string) runtime.Ref { return runtime.Ref{Path: ref.Path, Env: name} }
	user, uerr := p.get(ctx, vars, part(userVar))
	pass, perr := p.get(ctx, vars, part(passVar))
	uMissing, pMissing := errors.Is(uerr, runtime.ErrNotFound), errors.Is(perr, runtime.ErrNotFound)
	switch {
	case uMissing && pMissing:
		return runtime.Value{}, runtime.Fail(runtime.ErrNotFound, nil, "set "+userVar+" and "+passVar+" (or "+userVar+"_FILE and "+passVar+"_FILE)")
	case uerr != nil && !uMissing:
		return runtime.Value{}, uerr
	case perr != nil && !pMissing:
		return runtime.Value{}, perr
	case uMissing:
		return runtime.Value{}, &runtime.SecretError{Kind: runtime.ErrInvalidValue, Where: userVar,
			Err: errors.New(userVar + " is not set, but " + passVar + " is"), Hint: "set " + userVar + " (or " + userVar + "_FILE) to the credential's username"}
	case pMissing:
		return runtime.Value{}, &runtime.SecretError{Kind: runtime.ErrInvalidValue, Where: passVar,
			Err: errors.New(passVar + " is not set, but " + userVar + " is"), Hint: "set " + passVar + " (or " + passVar + "_FILE) to the credential's password"}
	}
	text, err := json.Marshal(map[string]string{"username": user.Text, "password": pass.Text})
	if err != nil { // a map of strings always encodes
		return runtime.Value{}, runtime.Fail(runtime.ErrUnavailable, errors.New("cannot encode the credential"), "")
	}
	return runtime.Value{Text: string(text)}, nil
}
