// Package files is the secretsgen backend that reads secrets from files in
// one mounted directory: a Kubernetes Secret volume (also what the External
// Secrets Operator and the Secrets Store CSI driver fill), Docker and Swarm
// secrets under /run/secrets, or files written by a Vault Agent template.
//
// The manifest entry database/url is read from the file DATABASE_URL in the
// directory: the file is named by the entry's env name (Ref.Env, which
// carries a manifest env: override; "/" and "-" become "_", upper case,
// when Ref.Env is empty). Kubernetes Secret keys and Docker secret names
// cannot hold "/", and the same names then serve envFrom and volumes alike.
//
// A value is the file's contents less one trailing newline ("\n" or
// "\r\n"), as the env backend's NAME_FILE variables are read. Every type is
// read as its text form, as in the env backend, so one Kubernetes Secret
// serves both a volume and envFrom: a "bytes" entry's file holds standard
// base64 text (the ExternalSecret that secretsgen k8s external-secret
// prints re-encodes an AWS SecretBinary so).
//
// A credential (Ref.Type "credential") is two files, DATABASE_APP_USERNAME
// and DATABASE_APP_PASSWORD (the env backend's variable names, two keys of
// one Kubernetes Secret), read through the same resolution of "..data",
// so from one generation, and returned as one JSON object {"username":
// ..., "password": ...}. Both missing is not found; one missing is
// runtime.ErrInvalidValue naming it. Its version is the generation's, or
// in a plain directory the versions of both files.
//
// A file larger than Options.MaxSize (DefaultMaxSize, 1 MiB) is an invalid
// value. A file that does not exist is runtime.ErrNotFound; one this process
// may not read is runtime.ErrAccessDenied; a directory, FIFO, socket or
// device is runtime.ErrInvalidValue (checked before the file is opened, and
// the file is opened non-blocking, so a FIFO never blocks a read); any other
// I/O failure is runtime.ErrUnavailable. The provider says the kind, the
// cause and what to do (runtime.Fail); runtime adds the path, the backend
// "files" and the file name (Where). Errors never name the directory, a
// link target or any of the contents. A directory that went away or a
// broken "..data" is a failure of the whole backend (runtime.FailBackend,
// naming where the directory came from: SECRETS_FILES_DIR), which a Load
// states in one line.
//
// # Versions
//
// Value.Version is something the platform changes on every update and that
// is not derived from the value: in a Kubernetes volume (a directory with a
// "..data" link) the target of "..data", the timestamped directory the
// kubelet wrote, such as "..2026_11_30_18_58_50.123456789"; in any other
// directory the file's modification time, change time and inode, as
// "m<unix nanoseconds>-c<unix nanoseconds>-i<inode>". Never a hash of the
// contents, nor their size (which would tell a secret's length).
//
// # Consistency
//
// The kubelet updates a Secret volume atomically: it writes the new files
// into a new timestamped directory, points a "..data_tmp" link at it,
// renames "..data_tmp" over "..data" and removes the old directory; the
// visible files are links KEY -> ..data/KEY. GetMany resolves "..data" once
// and reads every file of the batch through the directory it names, so one
// batch never mixes two updates; if "..data" moved while the batch was
// read (the old directory may be removed under it), the batch is read again.
// Get reads through the same single resolution: any read serves one
// generation. The unit of atomicity is the generation, so Group puts every
// ref of such a volume in one group, and runtime.Live fetches and swaps
// them together. A "..data" that names no directory (dangling, a file, a
// loop) makes every secret unavailable, like a vanished directory, never
// "not found".
//
// In a directory without "..data" each file is read on its own (Group
// returns ""): a batch can see one file before and another after an
// update. A read that raced an in-place write (the open file's size, times
// or inode differ before and after it, or it found the file empty within a
// second of a change, as between an editor's truncate and write) is read
// again after a short pause, at most four times; a file still changing is
// unavailable, so an empty or partial value never replaces a good one.
//
// # Change events
//
// Unless Options.NoWatch is set, the provider watches the directory with
// fsnotify. Changed returns a channel that receives a value once the
// directory has been quiet for Options.Debounce (DefaultDebounce) after a
// change, so the kubelet's several steps, or a write and rename, make one
// signal. The channel has a buffer of one and is never blocked on: signals
// that nobody has taken yet coalesce into one. runtime.Live reads again as
// soon as it fires. Close stops the watcher and closes the channel.
//
// FromEnv is what generated code calls (SECRETS_FILES_DIR, default
// /run/secrets); FromLookup reads the variable through a function; New is
// for programs and tests that name the directory.
package files

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/dashtam/secretsgen/adapters/internal/fileread"
	"github.com/dashtam/secretsgen/internal/backends"
	"github.com/dashtam/secretsgen/runtime"
)

// backend is the name the provider reports and errors carry.
const backend = "files"

// EnvDir is the variable FromEnv reads the directory from.
const EnvDir = "SECRETS_FILES_DIR"

// DefaultDir is the directory FromEnv uses when SECRETS_FILES_DIR is unset
// or empty: where Docker and Swarm mount secrets.
const DefaultDir = "/run/secrets"

// DefaultMaxSize is the largest file, in bytes, a value is read from
// unless Options.MaxSize says otherwise: 1 MiB, the size limit of a
// Kubernetes Secret (and well above Docker's 500 KB).
const DefaultMaxSize = 1 << 20

// DefaultDebounce is how long the directory must be quiet after a change
// before Changed fires, unless Options.Debounce says otherwise. The kubelet
// finishes an update within a few milliseconds.
const DefaultDebounce = 75 * time.Millisecond

// dataLink is the link the kubelet swaps on every update of a volume.
const dataLink = "..data"

// Options configures New. The zero value (or a nil *Options) gives the
// documented defaults.
type Options struct {
	// MaxSize is the largest file, in bytes, a value is read from; a larger
	// file is an invalid value. Default DefaultMaxSize (1 MiB).
	MaxSize int64
	// Debounce is how long the directory must be quiet after a change
	// before Changed fires. A directory that never stops changing still
	// fires at least every eight Debounce periods. Default DefaultDebounce.
	Debounce time.Duration
	// NoWatch turns the watcher off: Changed never fires (Close still
	// closes it). For platforms or sandboxes without inotify; runtime.Live
	// then relies on its polling alone.
	NoWatch bool
}

// Provider reads secrets from the files of one directory. It implements
// runtime.Provider, runtime.BatchProvider, runtime.Locator and
// runtime.Grouper, has Changed and Close, and is safe for concurrent use.
// It keeps no values: every Get reads the files, so it needs no Refresh.
// Unless Options.NoWatch is set it holds an inotify descriptor and two
// goroutines until Close.
type Provider struct {
	dir     string
	from    string // the directory in errors: where its name came from, never the name (see address)
	maxSize int64

	watcher  *fsnotify.Watcher // nil with NoWatch
	debounce time.Duration
	changed  chan struct{}
	stop     chan struct{}
	done     chan struct{} // closed when the watch goroutine has returned

	closeOnce sync.Once
	closeErr  error

	// Seams for tests; nil means the real clock, pause and read.
	now      func() time.Time
	wait     func(ctx context.Context, d time.Duration) error
	readInfo func(ctx context.Context, name string, limit int64) (data []byte, before, after fs.FileInfo, err error)
}

var (
	_ runtime.BatchProvider = (*Provider)(nil)
	_ runtime.Locator       = (*Provider)(nil)
	_ runtime.Grouper       = (*Provider)(nil)
)

// New returns a Provider over dir, watching it for changes unless
// opts.NoWatch is set. dir must be an existing directory: a mistyped
// directory is an error here rather than every secret "not found" later,
// which would let optional secrets silently take their defaults. Errors
// never name dir (it comes from configuration that may be mistyped with a
// secret in it); FromEnv's name the variable instead.
//
// A directory that cannot be used fails the backend as a whole, here and
// in any later read (the directory went away, a broken "..data"): the
// error is a *runtime.SecretError whose cause is a *runtime.BackendError
// saying where the directory came from, so that a Load states it in one
// line. New's and FromEnv's carry Backend "files" themselves.
func New(dir string, opts *Options) (*Provider, error) {
	return newProvider(dir, fromNew, opts)
}

// Where a Provider's directory came from (Provider.from): errors say this,
// never the directory.
const (
	fromNew     = "the directory passed to files.New"
	fromEnv     = "the directory " + EnvDir + " names"
	fromDefault = DefaultDir + ", the default when " + EnvDir + " is unset"
)

// address says where the provider looks, for a failure of the whole
// backend: where the directory came from.
func (p *Provider) address() string { return p.from }

// failDir is the failure of the whole backend for a directory, from, that
// cannot be used, outside any read that runtime stamps: it says its
// backend itself.
func failDir(from string, kind runtime.Kind, cause error, hint string) error {
	err := runtime.FailBackend(kind, cause, from, hint)
	var e *runtime.SecretError
	if errors.As(err, &e) {
		e.Backend = backend
	}
	return err
}

func newProvider(dir, from string, opts *Options) (*Provider, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.MaxSize <= 0 {
		o.MaxSize = DefaultMaxSize
	}
	if o.Debounce <= 0 {
		o.Debounce = DefaultDebounce
	}
	if dir == "" {
		return nil, failDir(from, runtime.ErrInvalidValue, errors.New("the secrets directory is empty"), "name a directory")
	}
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOTDIR):
		return nil, failDir(from, runtime.ErrUnavailable, fmt.Errorf("the secrets directory does not exist: %w", fileread.WithoutPath(err)), "mount the volume or fix the directory name")
	case errors.Is(err, fs.ErrPermission):
		return nil, failDir(from, runtime.ErrAccessDenied, fmt.Errorf("the secrets directory cannot be read: %w", fileread.WithoutPath(err)), "let this process read it")
	case err != nil:
		return nil, failDir(from, runtime.ErrUnavailable, fmt.Errorf("the secrets directory cannot be read: %w", fileread.WithoutPath(err)), "")
	case !fi.IsDir():
		return nil, failDir(from, runtime.ErrInvalidValue, errors.New("the secrets directory is not a directory"), "name the directory the secrets are mounted in")
	}
	p := &Provider{
		dir:      dir,
		from:     from,
		maxSize:  o.MaxSize,
		debounce: o.Debounce,
		changed:  make(chan struct{}, 1),
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
	}
	if o.NoWatch {
		close(p.done)
		return p, nil
	}
	const watchHint = "raise the inotify limits or set NoWatch"
	if p.watcher, err = fsnotify.NewWatcher(); err != nil {
		// fsnotify's message names the limit (fs.inotify.max_user_instances), not a path.
		return nil, failDir(from, runtime.ErrUnavailable, fmt.Errorf("cannot watch the secrets directory: %w", err), watchHint)
	}
	if err := p.watcher.Add(dir); err != nil {
		p.watcher.Close()
		return nil, failDir(from, runtime.ErrUnavailable, fmt.Errorf("cannot watch the secrets directory: %w", fileread.WithoutPath(err)), watchHint)
	}
	go p.watch()
	return p, nil
}

// FromEnv returns a Provider over the directory named by SECRETS_FILES_DIR,
// or DefaultDir (/run/secrets) when it is unset or empty, with the default
// Options: what the generated NewProvider calls. ENVIRONMENT plays no part:
// file names carry no {app} or {environment}. ctx is unused for now: New
// does no I/O beyond checking the directory and watching it.
func FromEnv(ctx context.Context) (*Provider, error) {
	return FromLookup(ctx, os.LookupEnv)
}

// FromLookup is FromEnv with the environment read through lookup (like the
// env backend's FromLookup and Options.LookupEnv), nil meaning
// os.LookupEnv. Errors name SECRETS_FILES_DIR, never the directory (or
// /run/secrets, when that is the directory).
func FromLookup(ctx context.Context, lookup func(string) (string, bool)) (*Provider, error) {
	if lookup == nil {
		lookup = os.LookupEnv
	}
	dir, _ := lookup(EnvDir)
	from := fromEnv
	if dir = strings.TrimSpace(dir); dir == "" {
		dir, from = DefaultDir, fromDefault
	}
	return newProvider(dir, from, nil)
}

// Name returns "files".
func (p *Provider) Name() string { return backend }

// Where returns the name of the file that holds ref, e.g. "DATABASE_URL",
// without the directory.
func (p *Provider) Where(ref runtime.Ref) string { return where(ref) }

// where names the file of ref, or the two files of a credential.
func where(ref runtime.Ref) string {
	if ref.Type == credentialType {
		user, pass := credentialFiles(ref)
		return user + " and " + pass
	}
	return fileName(ref)
}

// fileName is the file that holds ref: ref.Env, which generated code always
// fills, or the name derived from ref.Path (backends.EnvName; see
// docs/design.md, "Backend naming").
func fileName(ref runtime.Ref) string {
	if ref.Env != "" {
		return ref.Env
	}
	return backends.EnvName(ref.Path)
}

// Group implements runtime.Grouper. In a Kubernetes volume (a directory
// with a "..data" link) the unit of atomicity is the generation ..data
// names, not the file: every ref is in the one group "..data", so
// runtime.Live fetches and swaps them together (RefreshNow of one path
// brings all), and Settings never holds files of two updates. In any other
// directory files are replaced one at a time and Group returns "": each
// file is on its own.
func (p *Provider) Group(ref runtime.Ref) string {
	fi, err := os.Lstat(filepath.Join(p.dir, dataLink))
	if err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		return dataLink
	}
	return ""
}

// Get reads the file of ref, through the same single resolution of
// "..data" as GetMany: one generation of a Kubernetes volume. See the
// package documentation.
func (p *Provider) Get(ctx context.Context, ref runtime.Ref) (runtime.Value, error) {
	r := p.GetMany(ctx, []runtime.Ref{ref})[0]
	return r.Value, r.Err
}

// maxAttempts bounds how often GetMany reads a batch again because "..data"
// moved while it read. The kubelet updates a volume about once a minute at
// most, so a second attempt always suffices in practice.
const maxAttempts = 5

// GetMany reads the files of refs, in order, all through one resolution of
// "..data" in a Kubernetes volume (see Consistency in the package
// documentation). A file named twice is read once.
func (p *Provider) GetMany(ctx context.Context, refs []runtime.Ref) []runtime.Result {
	res := make([]runtime.Result, len(refs))
	for attempt := 1; ; attempt++ {
		snap, prob := p.snapshot()
		p.readBatch(ctx, snap, prob, refs, res)
		if snap.link == "" {
			return res
		}
		now, _ := p.readDataLink()
		if now == snap.link {
			return res
		}
		if attempt == maxAttempts {
			// Still moving: a file missing now may have been removed with
			// the old directory. Say so rather than "not found", which
			// would let an optional secret take its default.
			for i, r := range res {
				if errors.Is(r.Err, runtime.ErrNotFound) {
					res[i].Err = p.fail(refs[i], churning, errors.New("the volume changed while it was read"))
				}
			}
			return res
		}
	}
}

// snapshot is the directory one batch reads from.
type snapshot struct {
	dir  string // the directory the files are read from
	link string // the target of "..data" ("" when there is none): the version
}

// snapshot resolves "..data" once. In a directory without it the files are
// read where they are, after checking that the directory is still there.
// With a problem, the snapshot still carries the link read, so that
// GetMany can tell a broken volume from one that moved under it.
func (p *Provider) snapshot() (snapshot, *problemError) {
	target, err := p.readDataLink()
	if err == nil {
		dir := target
		if !filepath.IsAbs(dir) {
			dir = filepath.Join(p.dir, target)
		}
		snap := snapshot{dir: dir, link: target}
		// A ..data that names no directory (dangling, a file, a loop) is a
		// broken volume, unavailable like a vanished one: reading through
		// it would make every secret "not found", and optional entries
		// would take their defaults, layers fall through. The kubelet may
		// also have swapped ..data and removed this generation since the
		// link was read: GetMany then sees the link moved and reads again.
		fi, err := os.Stat(dir)
		switch {
		case err != nil:
			return snap, &problemError{dirGone, "the directory's ..data link points to no directory", fileread.WithoutPath(err)}
		case !fi.IsDir():
			return snap, &problemError{dirGone, "the directory's ..data link points to no directory", nil}
		}
		return snap, nil
	}
	if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, errNotLink) {
		return snapshot{}, &problemError{dirGone, "the directory's ..data link cannot be read", fileread.WithoutPath(err)}
	}
	fi, err := os.Stat(p.dir)
	switch {
	case err != nil:
		return snapshot{}, &problemError{dirGone, "the secrets directory cannot be read", fileread.WithoutPath(err)}
	case !fi.IsDir():
		return snapshot{}, &problemError{dirGone, "the secrets directory is no longer a directory", nil}
	}
	return snapshot{dir: p.dir}, nil
}

// errNotLink is what readDataLink returns when "..data" exists but is not
// a link: the directory is read as a plain one.
var errNotLink = errors.New("..data is not a link")

// readDataLink returns the target of "..data".
func (p *Provider) readDataLink() (string, error) {
	target, err := os.Readlink(filepath.Join(p.dir, dataLink))
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) && errors.Is(pe.Err, syscall.EINVAL) {
			return "", errNotLink
		}
		return "", err
	}
	if target == "" {
		return "", errNotLink
	}
	return target, nil
}

// readBatch fills res with the files of refs read from snap, or with prob
// for every ref when the directory itself could not be resolved.
func (p *Provider) readBatch(ctx context.Context, snap snapshot, prob *problemError, refs []runtime.Ref, res []runtime.Result) {
	seen := make(map[string]int, len(refs))
	for i, ref := range refs {
		if err := ctx.Err(); err != nil {
			res[i] = runtime.Result{Err: p.fail(ref, cancelled, err)}
			continue
		}
		if prob != nil {
			res[i] = runtime.Result{Err: p.fail(ref, prob.problem, prob)}
			continue
		}
		name := fileName(ref)
		if ref.Type == credentialType {
			name += "\x00credential" // never a file name: not shared with a plain ref
		}
		if j, ok := seen[name]; ok {
			res[i] = res[j] // the error names no path: runtime adds ref's
			continue
		}
		seen[name] = i
		var v runtime.Value
		var err *problemError
		if ref.Type == credentialType {
			v, err = p.readCredential(ctx, snap, ref)
		} else {
			v, err = p.read(ctx, snap, name)
		}
		if err != nil {
			res[i] = runtime.Result{Err: p.fail(ref, err.problem, err)}
			continue
		}
		res[i] = runtime.Result{Value: v}
	}
}

// read reads the file name of snap.
func (p *Provider) read(ctx context.Context, snap snapshot, name string) (runtime.Value, *problemError) {
	if !validName(name) {
		return runtime.Value{}, &problemError{badName, "is not a file name", nil}
	}
	data, id, perr := p.readSettled(ctx, filepath.Join(snap.dir, name), snap.link == "")
	if perr != nil {
		return runtime.Value{}, perr
	}
	v := runtime.Value{Version: snap.link}
	if v.Version == "" {
		v.Version = id.String()
	}
	text := strings.TrimSuffix(string(data), "\n")
	if len(text) < len(data) {
		text = strings.TrimSuffix(text, "\r")
	}
	v.Text = text
	return v, nil
}

// validName reports whether name can be one file of the directory: not
// empty, no separator or NUL, and not "." or a name starting with ".."
// (the kubelet's own entries; Kubernetes refuses such keys too).
func validName(name string) bool {
	return name != "" && name != "." && !strings.HasPrefix(name, "..") && !strings.ContainsAny(name, "/\\\x00")
}

// Changed returns the channel that receives a value after the directory
// changed and has been quiet for the debounce period (see Change events in
// the package documentation). It is the same channel on every call, meant
// for one reader; it is closed by Close. With Options.NoWatch it never
// receives.
func (p *Provider) Changed() <-chan struct{} { return p.changed }

// Close stops watching the directory and closes the Changed channel. The
// provider can still read files afterwards. Calling Close again does
// nothing and returns the first call's result.
func (p *Provider) Close() error {
	p.closeOnce.Do(func() {
		close(p.stop)
		if p.watcher != nil {
			if err := p.watcher.Close(); err != nil {
				p.closeErr = fmt.Errorf("files: stop watching the secrets directory: %w", err)
			}
		}
		<-p.done
		close(p.changed)
	})
	return p.closeErr
}

// credentialType is runtime.Ref.Type of a credential.
const credentialType = "credential"

// credentialFiles are the two files of a credential: NAME_USERNAME and
// NAME_PASSWORD, the names of the env backend's variables, so that one
// Kubernetes Secret with these two keys serves a volume and envFrom alike.
func credentialFiles(ref runtime.Ref) (user, pass string) {
	name := fileName(ref)
	return name + "_USERNAME", name + "_PASSWORD"
}

// readCredential reads the two files of a credential from snap (one
// generation of a Kubernetes volume) and returns them as one JSON object,
// {"username": ..., "password": ...}. Both missing is not found; one
// missing is an invalid value naming it. The version is the generation's,
// or in a plain directory the two files' versions.
func (p *Provider) readCredential(ctx context.Context, snap snapshot, ref runtime.Ref) (runtime.Value, *problemError) {
	userFile, passFile := credentialFiles(ref)
	user, uerr := p.read(ctx, snap, userFile)
	pass, perr := p.read(ctx, snap, passFile)
	uMissing, pMissing := uerr != nil && uerr.problem == missing, perr != nil && perr.problem == missing
	switch {
	case uMissing && pMissing:
		return runtime.Value{}, &problemError{missing, "no such files", uerr.err}
	case uerr != nil && !uMissing:
		return runtime.Value{}, &problemError{uerr.problem, userFile + ": " + uerr.what, uerr.err}
	case perr != nil && !pMissing:
		return runtime.Value{}, &problemError{perr.problem, passFile + ": " + perr.what, perr.err}
	case uMissing:
		return runtime.Value{}, &problemError{halfCredential, userFile + " does not exist, but " + passFile + " does", uerr.err}
	case pMissing:
		return runtime.Value{}, &problemError{halfCredential, passFile + " does not exist, but " + userFile + " does", perr.err}
	}
	text, err := json.Marshal(map[string]string{"username": user.Text, "password": pass.Text})
	if err != nil { // a map of strings always encodes
		return runtime.Value{}, &problemError{unreadable, "cannot encode the credential", nil}
	}
	v := runtime.Value{Text: string(text), Version: user.Version}
	if pass.Version != user.Version {
		v.Version += "+" + pass.Version
	}
	return v, nil
}
