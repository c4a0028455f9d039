using Akka.Hosting;
using ActorCompile.Coordinator;
using ActorCompile.Node.Cache;
using ActorCompile.Node.Configuration;
using ActorCompile.Node.Hosting;
using ActorCompile.Node.Sessions;
using ActorCompile.Toolchain.Identity;
using ActorCompile.Worker;
using ActorCompile.Worker.Execution;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;

// The GC's smallest gen0 budget is a knob of the environment alone (no runtimeconfig name), so the node starts
// again in place once with it set, unless the environment already sets one. Its default on this kind of machine
// (sized from the CPU's caches) let a coordinator with one worker hold 56 MiB of private memory idle and 72-77
// through Lua builds; with 4 MiB, 50 and 68-69, its CPU within the noise (/proc/PID/smaps_rollup, 2026-12-07).
if (Environment.GetEnvironmentVariable(Gen0Budget.Variable) is null)
    Console.Error.WriteLine($"actorcompile-node: {ProcessRestart.Exec(new Dictionary<string, string> { [Gen0Budget.Variable] = Gen0Budget.Value })}; going on without {Gen0Budget.Variable}");
ProcessRestart.KeepName();

using var signals = StopSignals.Watch();
try
{
    // --help, --version and usage errors (exit code 2, the option named) are answered by the parser.
    if (new NodeCommandLine().Parse(args, out var exitCode) is not { } options) return exitCode;
    var config = NodeConfiguration.Load(options);
    // After a removal, the members this process knew (from the process it replaced); after a restart from
    // nothing, the members this node last saw up (on disk), so that a first node does not start a second cluster.
    var remembered = RememberedMembers.For(config.Host, config.Port);
    var rejoin = RejoinPlan.FromEnvironment() ?? RejoinPlan.FromRemembered(config, remembered);
    // A taken port is a state of the machine, not a bad value: exit 1, so that a service manager tries again. Its
    // holder may be this node's predecessor still stopping, or a local program that took the port while this node
    // started itself again in place (with exit 2, RestartPreventExitStatus kept such a node down for good). A node
    // that started itself again in place had the port a moment ago, and waits for it up to a minute first.
    var listenPort = config.Port != 0 ? config.Port : rejoin?.Self.Port ?? 0;
    if (await ListenPort.FreeWithin(config.Host, listenPort, RejoinPlan.Count() > 0 ? TimeSpan.FromMinutes(1) : TimeSpan.Zero, () => signals.Received) is { } taken)
    {
        if (signals.Received) return 0;
        Console.Error.WriteLine($"actorcompile-node: {taken}; exiting with code 1 for the service manager to try again");
        return 1;
    }
    var toolchains = config.IsWorker ? await ToolchainDiscovery.DiscoverAsync(config.Toolchains) : new();
    // A helper that runs the toolchains its targets ship needs no compiler of its own.
    if (config.IsWorker && toolchains.Count == 0 && !config.ShippedToolchains)
        throw new ConfigurationException("this worker has no compiler to offer and takes no shipped toolchain (actorcompile.worker.shipped-toolchains = off): install gcc or clang, name one with --toolchain, or turn shipped toolchains on");
    var workerSettings = config.IsWorker
        ? new WorkerSettings(config.WorkerSlots, Environment.ProcessorCount, toolchains, config.WorkDirectory, config.BlobCacheBytes,
            config.WorkerJobTimeout, config.JobMemoryBytes, config.Sandbox, config.MaxJobBytes, config.ShippedToolchains, config.ToolchainCacheBytes)
        : null;
    // Jobs of an earlier run are removed and the sandbox probed before the actor system starts: neither a tree's
    // deletion nor bwrap runs on an actor's thread.
    if (workerSettings is not null) JobWorkspace.ClearAll(workerSettings.JobsDirectory);
    var confinement = workerSettings is null ? null : await JobConfinement.ProbeAsync(workerSettings.Sandbox, workerSettings.Resources, workerSettings.JobsDirectory);
    var worker = workerSettings is null ? null : WorkerParts.Open(workerSettings, confinement!);

    // No defaults: they watch the working directory's appsettings*.json, recursively, for changes (a node
    // started in a build tree took in every file a build wrote, measured in its CPU per job), and read
    // configuration from places the node does not document. Its configuration is HOCON (NodeConfiguration).
    var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ContentRootPath = AppContext.BaseDirectory });
    // Under systemd: READY=1 once started (Type=notify), STOPPING on SIGTERM, and log lines with <N>
    // priority prefixes that journald turns into levels. Elsewhere (OpenRC's logger, a terminal): one line each.
    builder.Services.AddSystemd();
    builder.Logging.ClearProviders();
    if (SystemdHelpers.IsSystemdService()) builder.Logging.AddSystemdConsole(o => o.IncludeScopes = false);
    else builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss.fff "; });
    var files = new FileMemo(config.RememberedFiles, Math.Max(1L << 20, config.RememberedFiles * 1024L));
    var cacheSettings = new CacheSettings(config.CacheEnabled, config.CacheDirectory, config.CacheBytes, config.CacheVerifyRate, config.CacheLookupTimeout,
        new ActorCompile.Protocol.Cluster.AllowedNetworks(config.Allow), config.MaxJobBytes, config.CacheDistrustFor);
    string? cacheProblem = null;
    using var results = config.CacheEnabled ? ResultStoreLock.Open(cacheSettings, out cacheProblem) : null;
    if (cacheProblem is not null) Console.Error.WriteLine($"actorcompile-node: the result cache keeps nothing on this node: {cacheProblem}");
    var membership = new MembershipRecord();
    builder.Services.AddSingleton(config);
    builder.Services.AddSingleton(files);
    var refusedConnections = new ClusterTls.RefusedConnections();
    builder.Services.AddSingleton(refusedConnections);
    builder.Services.AddAkka(NodeConfiguration.SystemName, akka =>
    {
        var tls = config.TlsEnabled ? ClusterTls.Setup(config, refusedConnections) : null;
        if (tls is not null) akka.AddSetup(tls);
        // The first of the starters (Akka.Hosting runs them in order, and its startup tasks after them all): the
        // system is known to the record even when it stopped before the node's actors could be made.
        akka.WithActors((system, _) => membership.SetSystem(system));
        akka.AddStartup((system, _) => refusedConnections.Attach(ActorCompile.Protocol.Cluster.ConnectionRefusals.Get(system)));
        akka.AddHocon(AkkaSettings.For(config, rejoin), HoconAddMode.Prepend)
            .ConfigureLoggers(l => { l.ClearLoggers(); l.AddLoggerFactory(); })
            .WithStatusHub(results?.Store, ClusterTls.Describe(config, tls));
        if (config.CacheEnabled) akka.WithResultCache(results?.Store, cacheSettings);
        if (worker is not null) akka.WithWorker(worker);
        if (config.IsCoordinator)
            akka.WithCoordinator(new CoordinatorSettings(config.LocalSlots, config.MaxAttempts, config.CoordinatorJobTimeout,
                config.BackoffAfterFailures, config.Backoff, config.HelpAfter, config.MaxJobBytes), new ToolchainShipping());
        akka.WithMembershipWatch(membership, remembered);
        akka.JoinCluster(config, rejoin);
    });
    // Hosted services start one after another in this order: once the local socket answers, the join service
    // (when there is one) listens too.
    builder.Services.AddHostedService<JoinService>();
    builder.Services.AddHostedService<LocalSocketServer>();
    var host = builder.Build();
    var startLog = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("ActorCompile.Node");
    if (config.Insecure)
        startLog.LogWarning("insecure: TLS is off (actorcompile.insecure = on): members are not authenticated, and any process that reaches {Host}:{Port} (on loopback: any local user) may join the cluster, read and fill its result cache and send it work", config.Host, config.Port);
    else if (config.TlsCertificateCreated)
        startLog.LogInformation("made this user's cluster certificate {Certificate}: nodes this user starts on this machine find it there; other machines join with a token (actorcompile setup)", config.TlsCertificate);
    try
    {
        await host.RunAsync();
    }
    catch (Exception e) when (membership.SystemStoppedOnItsOwn)
    {
        // Akka stopped the actor system while the host still made the node's actors (a seed that dropped the first
        // TLS handshake): the host's start fails, and the node goes on as after any other stop of its system.
        Console.Error.WriteLine($"actorcompile-node: the actor system stopped while the node was starting ({e.GetType().Name}: {e.Message})");
    }
    membership.CompleteFromSystem();
    if (worker?.RemoveJobs() is { } notRemoved)
        Console.Error.WriteLine($"actorcompile-node: could not remove {worker.Settings.JobsDirectory} ({notRemoved}); the next start removes it");
    return NodeExit.AfterStop(signals, membership, rejoin);
}
catch (ConfigurationException e)
{
    Console.Error.WriteLine($"actorcompile-node: {e.Message}");
    return 2;
}
catch (ToolchainProbeException e)
{
    Console.Error.WriteLine($"actorcompile-node: {e.Message}");
    return 2;
}
catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Net.Sockets.SocketException)
{
    Console.Error.WriteLine($"actorcompile-node: {e.Message}");
    return 1;
}

static class Gen0Budget
{
    public const string Variable = "DOTNET_GCgen0size";
    public const string Value = "0x400000";
}
