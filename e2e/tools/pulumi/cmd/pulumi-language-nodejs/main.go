// Command pulumi-language-nodejs is a minimal Pulumi language host for Node.js programs and policy packs, for the
// e2e suite only.
//
// Why it exists: the real host is the Go module github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3,
// and the module proxy on the project's machines refuses every version of it (403 "This module version is not
// available", for its version list, for @latest and for the pseudo-versions tried), so it cannot be built here.
// A language host is only a launcher: the program itself is run by the real @pulumi/pulumi SDK from the
// program's node_modules (its cmd/run and cmd/run-policy-pack entry points, which take their settings from
// flags and environment variables, read from that SDK's source). This host does what the real one does for
// `pulumi preview/up/destroy` and for `--policy-pack`:
//   - Run: node <@pulumi/pulumi>/cmd/run --monitor --engine --project --stack --pwd [--dry-run] ... <entry point>,
//     with PULUMI_CONFIG / PULUMI_CONFIG_SECRET_KEYS as JSON and the Pulumi.yaml runtime options
//     (typescript, tsconfig, nodeargs) as PULUMI_NODEJS_* variables and node flags; exit code 32 means "the
//     program already reported its error" (bail).
//   - RunPlugin for kind "analyzer" (a policy pack directory): node <@pulumi/pulumi>/cmd/run-policy-pack
//     <engine address> <pack dir>, its stdout/stderr streamed back (the engine reads the pack's port from it).
//   - GetRequiredPackages: the program's direct npm dependencies whose package.json says
//     {"pulumi": {"resource": true}}, with their versions (plugins are then found on PATH).
//
// Not implemented (the engine does not call them for preview/up/destroy): InstallDependencies (run `npm ci`
// yourself), Pack, GenerateProject/Program/Package, About, GetProgramDependencies, RunPlugin for resource plugins.
// If the real host becomes buildable, replace this command with it: nothing else in e2e/ depends on this file.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/version"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
)

// The exit code with which @pulumi/pulumi's cmd/run says the error was already shown to the user.
const exitCodeBail = 32

func main() {
	// The engine starts a language host as `pulumi-language-nodejs [flags] <engine address>`; accept and ignore the
	// flags the real host takes (tracing, logging) so a newer engine passing them does not break us.
	fs := flag.NewFlagSet("pulumi-language-nodejs", flag.ContinueOnError)
	fs.String("tracing", "", "ignored")
	fs.String("root", "", "ignored")
	fs.Bool("logtostderr", false, "ignored")
	fs.Int("v", 0, "ignored")
	fs.Bool("logflow", false, "ignored")
	_ = fs.Parse(os.Args[1:])
	engine := ""
	if args := fs.Args(); len(args) > 0 {
		engine = args[len(args)-1]
	}
	node, err := exec.LookPath("node")
	if err != nil {
		fmt.Fprintln(os.Stderr, "pulumi-language-nodejs: node is not on PATH")
		os.Exit(1)
	}
	h := &host{node: node, engine: engine}
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Init: func(s *grpc.Server) error { pulumirpc.RegisterLanguageRuntimeServer(s, h); return nil },
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: cannot serve: %v\n", err)
		os.Exit(1)
	}
	// The engine reads the port from our first line of output.
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: %v\n", err)
		os.Exit(1)
	}
}

type host struct {
	pulumirpc.UnimplementedLanguageRuntimeServer
	node string

	mu     sync.Mutex
	engine string
}

func (h *host) engineAddr() string { h.mu.Lock(); defer h.mu.Unlock(); return h.engine }

func (h *host) Handshake(_ context.Context, req *pulumirpc.LanguageHandshakeRequest) (*pulumirpc.LanguageHandshakeResponse, error) {
	h.mu.Lock()
	if req.GetEngineAddress() != "" {
		h.engine = req.GetEngineAddress()
	}
	h.mu.Unlock()
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *host) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: strings.TrimPrefix(version.Version, "v")}, nil
}

// resolve asks node where a module is, from dir, exactly as a require() there would find it.
func (h *host) resolve(dir, module string) (string, error) {
	cmd := exec.Command(h.node, "-p", fmt.Sprintf("require.resolve(%q)", module))
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("cannot find %s from %s (run npm ci there): %w", module, dir, err)
	}
	return strings.TrimSpace(string(out)), nil
}

func programDir(info *pulumirpc.ProgramInfo, pwd string) string {
	if info != nil && info.GetProgramDirectory() != "" {
		return info.GetProgramDirectory()
	}
	return pwd
}

func (h *host) GetRequiredPlugins(_ context.Context, req *pulumirpc.GetRequiredPluginsRequest) (*pulumirpc.GetRequiredPluginsResponse, error) {
	pkgs, err := requiredPackages(programDir(req.GetInfo(), req.GetProgram()))
	if err != nil {
		return nil, err
	}
	var plugins []*pulumirpc.PluginDependency
	for _, p := range pkgs {
		plugins = append(plugins, &pulumirpc.PluginDependency{Name: p.Name, Kind: p.Kind, Version: p.Version})
	}
	return &pulumirpc.GetRequiredPluginsResponse{Plugins: plugins}, nil
}

func (h *host) GetRequiredPackages(_ context.Context, req *pulumirpc.GetRequiredPackagesRequest) (*pulumirpc.GetRequiredPackagesResponse, error) {
	pkgs, err := requiredPackages(programDir(req.GetInfo(), ""))
	if err != nil {
		return nil, err
	}
	return &pulumirpc.GetRequiredPackagesResponse{Packages: pkgs}, nil
}

// requiredPackages lists the direct dependencies of dir's package.json that are Pulumi resource packages.
func requiredPackages(dir string) ([]*pulumirpc.PackageDependency, error) {
	var pj struct {
		Dependencies map[string]string `json:"dependencies"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "package.json"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &pj); err != nil {
		return nil, fmt.Errorf("%s/package.json: %w", dir, err)
	}
	var out []*pulumirpc.PackageDependency
	for dep := range pj.Dependencies {
		var info struct {
			Name    string `json:"name"`
			Version string `json:"version"`
			Pulumi  struct {
				Resource bool   `json:"resource"`
				Name     string `json:"name"`
				Version  string `json:"version"`
				Server   string `json:"server"`
			} `json:"pulumi"`
		}
		b, err := os.ReadFile(filepath.Join(dir, "node_modules", dep, "package.json"))
		if err != nil {
			continue // not installed: node will say so when the program requires it
		}
		if json.Unmarshal(b, &info) != nil || !info.Pulumi.Resource {
			continue
		}
		name := info.Pulumi.Name
		if name == "" {
			name = strings.TrimPrefix(strings.TrimPrefix(info.Name, "@pulumi/"), "@")
		}
		v := info.Pulumi.Version
		if v == "" {
			v = info.Version
		}
		if !strings.HasPrefix(v, "v") {
			v = "v" + v
		}
		out = append(out, &pulumirpc.PackageDependency{Name: name, Kind: "resource", Version: v, Server: info.Pulumi.Server})
	}
	return out, nil
}

// options reads the Pulumi.yaml runtime options into environment variables and node flags, as the real host does.
func options(info *pulumirpc.ProgramInfo) (env []string, nodeArgs []string) {
	typescript := true
	if info != nil && info.GetOptions() != nil {
		m := info.GetOptions().AsMap()
		if v, ok := m["typescript"].(bool); ok {
			typescript = v
		}
		if v, ok := m["tsconfig"].(string); ok && v != "" {
			env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+v)
		}
		if v, ok := m["nodeargs"].(string); ok && v != "" {
			nodeArgs = strings.Fields(v)
		}
	}
	env = append(env, fmt.Sprintf("PULUMI_NODEJS_TYPESCRIPT=%v", typescript))
	return env, nodeArgs
}

func (h *host) Run(_ context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	dir := programDir(req.GetInfo(), req.GetPwd())
	run, err := h.resolve(dir, "@pulumi/pulumi/cmd/run")
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	env, nodeArgs := options(req.GetInfo())
	config, err := json.Marshal(req.GetConfig())
	if err != nil {
		return nil, err
	}
	secretKeys, err := json.Marshal(req.GetConfigSecretKeys())
	if err != nil {
		return nil, err
	}
	env = append(env, "PULUMI_CONFIG="+string(config), "PULUMI_CONFIG_SECRET_KEYS="+string(secretKeys))

	args := append(nodeArgs, run)
	flagArg := func(k, v string) {
		if v != "" {
			args = append(args, "--"+k, v)
		}
	}
	flagArg("monitor", req.GetMonitorAddress())
	flagArg("engine", h.engineAddr())
	flagArg("organization", req.GetOrganization())
	flagArg("project", req.GetProject())
	flagArg("stack", req.GetStack())
	flagArg("pwd", req.GetPwd())
	if req.GetInfo() != nil {
		flagArg("root-directory", req.GetInfo().GetRootDirectory())
	}
	if req.GetDryRun() {
		args = append(args, "--dry-run")
	}
	if req.GetParallel() > 0 {
		flagArg("parallel", fmt.Sprint(req.GetParallel()))
	}
	entry := "."
	if req.GetInfo() != nil && req.GetInfo().GetEntryPoint() != "" {
		entry = req.GetInfo().GetEntryPoint()
	}
	if !filepath.IsAbs(entry) && entry != "." {
		entry = filepath.Join(dir, entry)
	} else if entry == "." && dir != req.GetPwd() {
		entry = dir
	}
	args = append(args, entry)
	args = append(args, req.GetArgs()...)

	cmd := exec.Command(h.node, args...)
	cmd.Dir = req.GetPwd()
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			if exit.ExitCode() == exitCodeBail {
				return &pulumirpc.RunResponse{Bail: true}, nil
			}
			return &pulumirpc.RunResponse{Error: fmt.Sprintf("Program exited with non-zero exit code: %d", exit.ExitCode())}, nil
		}
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("Problem executing program (could not run node): %v", err)}, nil
	}
	return &pulumirpc.RunResponse{}, nil
}

// streamWriter sends what a child process writes as RunPlugin responses.
type streamWriter struct {
	mu     *sync.Mutex
	server grpc.ServerStreamingServer[pulumirpc.RunPluginResponse]
	stderr bool
}

func (w streamWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	data := append([]byte(nil), p...)
	var msg *pulumirpc.RunPluginResponse
	if w.stderr {
		msg = &pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stderr{Stderr: data}}
	} else {
		msg = &pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stdout{Stdout: data}}
	}
	if err := w.server.Send(msg); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (h *host) RunPlugin(req *pulumirpc.RunPluginRequest, server grpc.ServerStreamingServer[pulumirpc.RunPluginResponse]) error {
	if req.GetKind() != "analyzer" {
		return status.Errorf(codes.Unimplemented, "this e2e language host runs only policy packs (kind analyzer), not %q", req.GetKind())
	}
	dir := programDir(req.GetInfo(), req.GetPwd())
	script, err := h.resolve(dir, "@pulumi/pulumi/cmd/run-policy-pack")
	if err != nil {
		return err
	}
	env, nodeArgs := options(req.GetInfo())
	// run-policy-pack takes <engine address> <policy pack program>; the engine passes its address as Args.
	args := append(nodeArgs, script)
	args = append(args, req.GetArgs()...)
	args = append(args, dir)
	cmd := exec.CommandContext(server.Context(), h.node, args...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), req.GetEnv()...), env...)
	mu := &sync.Mutex{}
	cmd.Stdout = streamWriter{mu: mu, server: server}
	cmd.Stderr = streamWriter{mu: mu, server: server, stderr: true}
	code := int32(0)
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			return err
		}
		code = int32(exit.ExitCode())
	}
	mu.Lock()
	defer mu.Unlock()
	if err := server.Send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Exitcode{Exitcode: code}}); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	return nil
}
