using Akka.Configuration;
using ActorCompile.LocalProtocol;
using ActorCompile.Node.Hosting;
using ActorCompile.Setup.CommandLine;
using ActorCompile.Toolchain.Jobs;

namespace ActorCompile.Node.Configuration;

/// <summary>
/// The node's settings, read from its layers (shipped file, /etc/actorcompile/*.hocon, --config files,
/// flags) and checked: a bad value stops the node with the file, the key and what is allowed. Beside it:
/// <see cref="HoconParsing"/> reads a layer, <see cref="KnownSettings"/> refuses unknown keys, and
/// <see cref="AkkaSettings"/> renders the akka.* settings derived from these.
/// </summary>
public sealed class NodeConfiguration
{
    /// <summary>Overrides the directory of system-wide configuration files (default /etc/actorcompile).</summary>
    public const string ConfigDirectoryVariable = "ACTORCOMPILE_CONFIG_DIR";

    public const string SystemName = "actorcompile";

    private readonly List<(string Origin, Config Config)> _layers;

    public Config Merged { get; }
    public IReadOnlyList<string> Roles { get; }
    public bool IsWorker => Roles.Contains("worker");
    public bool IsCoordinator => Roles.Contains("coordinator");
    public string Host { get; }
    public int Port { get; }
    public IReadOnlyList<HostPort> Seeds { get; }
    public string SocketPath { get; }
    public int WorkerSlots { get; }
    public IReadOnlyList<string> Toolchains { get; }
    public string WorkDirectory { get; }
    public long BlobCacheBytes { get; }
    public TimeSpan WorkerJobTimeout { get; }
    public int LocalSlots { get; }
    public int MaxAttempts { get; }
    public TimeSpan CoordinatorJobTimeout { get; }
    /// <summary>File versions remembered for users' builds (<see cref="Sessions.FileMemo"/>).</summary>
    public int RememberedFiles { get; }
    public string SocketGroup { get; }
    public int SocketClients { get; }
    public int SocketClientsPerUser { get; }
    public TimeSpan SocketIdleTimeout { get; }
    public long SocketBufferPerUserBytes { get; }
    public IReadOnlyList<System.Net.IPNetwork> Allow { get; }
    public long JobMemoryBytes { get; }
    public bool ShippedToolchains { get; }
    public long ToolchainCacheBytes { get; }
    public ActorCompile.Worker.SandboxMode Sandbox { get; }
    public long MaxJobBytes { get; }
    public bool TlsEnabled { get; }
    public string TlsCertificate { get; }
    public string TlsPassword { get; }
    public IReadOnlyList<string> TlsTrustedThumbprints { get; }
    /// <summary>The port of the join service; 0 when this node runs none (no join key, or no fixed cluster port).</summary>
    public int TlsJoinPort { get; }
    public string TlsJoinKeyFile { get; }
    /// <summary>actorcompile.insecure: run without TLS (members unauthenticated), on a machine and network the user trusts.</summary>
    public bool Insecure { get; }
    /// <summary>The certificate is this user's own cluster key (<see cref="UserClusterKey"/>), not one the configuration names.</summary>
    public bool TlsCertificateIsTheUsers { get; }
    /// <summary>This node made the user's cluster key as it started.</summary>
    public bool TlsCertificateCreated { get; }
    public int BackoffAfterFailures { get; }
    public TimeSpan Backoff { get; }
    public TimeSpan HelpAfter { get; }
    public TimeSpan DownUnreachableAfter { get; }
    public TimeSpan RejoinPatience { get; }
    public bool CacheEnabled { get; }
    public string CacheDirectory { get; }
    public long CacheBytes { get; }
    /// <summary>The share of cache hits (0 to 1) compiled locally instead, to compare.</summary>
    public double CacheVerifyRate { get; }
    public TimeSpan CacheLookupTimeout { get; }
    public TimeSpan CacheDistrustFor { get; }
    public IReadOnlyList<string> Files => _layers.Select(l => l.Origin).ToList();

    private NodeConfiguration(List<(string, Config)> layers, string? clusterKeyDirectory)
    {
        _layers = layers;
        KnownSettings.Check(layers);
        Config merged = ConfigurationFactory.Empty;
        foreach (var (_, c) in layers) merged = merged.WithFallback(c);
        Merged = merged;

        Roles = Read("actorcompile.roles", "a list of roles: worker, coordinator", k =>
        {
            var roles = merged.GetStringList(k).Distinct().ToList();
            return roles.Count == 0 || roles.Any(r => r is not ("worker" or "coordinator")) ? null : roles;
        });
        // Host, port, seeds and networks follow the same rules as the flags (ValueKinds), so that a value
        // that works on the command line works in a file too, and the other way round.
        Host = Read("actorcompile.host", "a host name or IP address", k => merged.GetString(k) is { } h && ValueKinds.Host(h) is null ? h : null);
        Port = ReadValue<int>("actorcompile.port", "a port from 0 to 65535 (0: any free port)", k => ValueKinds.Port(merged.GetInt(k).ToString(System.Globalization.CultureInfo.InvariantCulture), out var p) is null ? p : (int?)null);
        Seeds = Read("actorcompile.seeds", "a list of \"host:port\" strings, such as [\"192.168.1.10:7420\"]", k =>
        {
            var seeds = new List<HostPort>();
            foreach (var text in merged.GetStringList(k))
            {
                if (ValueKinds.HostPort(text, out var seed) is not null) return null;
                seeds.Add(seed);
            }
            return seeds;
        });
        var socket = Read("actorcompile.socket", "a path, or \"\" for the default", k => merged.GetString(k) ?? "");
        SocketPath = socket.Length > 0 ? socket : LocalProtocol.SocketPath.Default();
        var slots = ReadValue<int>("actorcompile.worker.slots", "a whole number from 0 (the number of cores) to 4096", k => merged.GetInt(k) is var n and >= 0 and <= 4096 ? n : (int?)null);
        WorkerSlots = slots > 0 ? slots : Environment.ProcessorCount;
        Toolchains = Read("actorcompile.worker.toolchains", "a list of compiler paths or names", k => merged.GetStringList(k).ToList());
        var work = Read("actorcompile.worker.work-directory", "a directory path, or \"\" for a private one under $TMPDIR", k => merged.GetString(k) ?? "");
        WorkDirectory = work.Length > 0 ? work : Path.Combine(Path.GetTempPath(), $"actorcompile-worker-{Environment.ProcessId}");
        BlobCacheBytes = ReadValue<long>("actorcompile.worker.blob-cache-size", "a size such as 2GiB", k => merged.GetByteSize(k) is > 0 and var b ? b : null);
        WorkerJobTimeout = ReadValue<TimeSpan>("actorcompile.worker.job-timeout", "a duration such as 10m", k => merged.GetTimeSpan(k) is var t && t > TimeSpan.Zero ? t : (TimeSpan?)null);
        var local = ReadValue<int>("actorcompile.coordinator.local-slots", "a whole number from 0 (the number of cores) to 4096", k => merged.GetInt(k) is var n and >= 0 and <= 4096 ? n : (int?)null);
        LocalSlots = local > 0 ? local : Environment.ProcessorCount;
        MaxAttempts = ReadValue<int>("actorcompile.coordinator.max-attempts", "a whole number from 1 to 20", k => merged.GetInt(k) is var n and >= 1 and <= 20 ? n : (int?)null);
        CoordinatorJobTimeout = ReadValue<TimeSpan>("actorcompile.coordinator.job-timeout", "a duration such as 10m", k => merged.GetTimeSpan(k) is var t && t > TimeSpan.Zero ? t : (TimeSpan?)null);
        RememberedFiles = ReadValue<int>("actorcompile.coordinator.remembered-files", "a number of files (0: none)", k => merged.GetInt(k) is var n and >= 0 and <= 10_000_000 ? n : (int?)null);
        SocketGroup = Read("actorcompile.socket-group", "a group name, or \"\"", k => merged.GetString(k) ?? "");
        SocketClients = ReadValue<int>("actorcompile.socket-clients", "a whole number from 1 to 65536", k => merged.GetInt(k) is var n and >= 1 and <= 65536 ? n : (int?)null);
        var perUser = ReadValue<int>("actorcompile.socket-clients-per-user", "a whole number from 0 (half of socket-clients) to 65536", k => merged.GetInt(k) is var n and >= 0 and <= 65536 ? n : (int?)null);
        SocketClientsPerUser = perUser > 0 ? Math.Min(perUser, SocketClients) : Math.Max(1, SocketClients / 2);
        SocketIdleTimeout = ReadValue<TimeSpan>("actorcompile.socket-idle-timeout", "a duration such as 15s", k => merged.GetTimeSpan(k) is var t && t > TimeSpan.Zero ? t : (TimeSpan?)null);
        SocketBufferPerUserBytes = ReadValue<long>("actorcompile.socket-buffer-per-user", "a size such as 512MiB, or 0 for room for two of the largest frames", k => merged.GetByteSize(k) is >= 0 and var b ? b : null);
        Allow = Read("actorcompile.worker.allow", "a list of networks in CIDR notation, such as [\"192.168.1.0/24\"]", k =>
        {
            var list = new List<System.Net.IPNetwork>();
            foreach (var text in merged.GetStringList(k))
            {
                if (ValueKinds.Network(text, out var network) is not null) return null;
                list.Add(network);
            }
            return list;
        });
        JobMemoryBytes = ReadValue<long>("actorcompile.worker.job-memory", "a size such as 4GiB, or 0 for no limit", k => merged.GetByteSize(k) is >= 0 and var b ? b : null);
        ShippedToolchains = ReadValue<bool>("actorcompile.worker.shipped-toolchains", "on or off", k => merged.GetBoolean(k));
        ToolchainCacheBytes = ReadValue<long>("actorcompile.worker.toolchain-cache-size", "a size such as 2GiB (at least 64MiB)", k => merged.GetByteSize(k) is >= 64L << 20 and var b ? b : null);
        Sandbox = ReadValue<ActorCompile.Worker.SandboxMode>("actorcompile.worker.sandbox", "required or off", k => merged.GetString(k) switch
        {
            "required" => ActorCompile.Worker.SandboxMode.Required,
            "off" => ActorCompile.Worker.SandboxMode.Off,
            _ => (ActorCompile.Worker.SandboxMode?)null,
        });
        // Every member binds a peer to the address it declares (BoundSenderHandle): an address that means "every
        // address" names none a peer could check, so a node that listens on all of them declares the one peers reach.
        if (Host is "0.0.0.0" or "::" && string.IsNullOrEmpty(merged.GetString("akka.remote.dot-netty.tcp.public-hostname")))
            throw new ConfigurationException($"{Origin("actorcompile.host")}: actorcompile.host = {Host} listens on every address but tells the other members none "
                + "they could reach and check it at (every member refuses a peer that declares it); give the address the other machines reach this one at "
                + "(--host 192.168.1.21), or set akka.remote.dot-netty.tcp.public-hostname to it");
        var tlsSetting = ReadValue<bool>("actorcompile.tls.enabled", "on or off", k => merged.GetBoolean(k));
        Insecure = ReadValue<bool>("actorcompile.insecure", "on or off", k => merged.GetBoolean(k));
        // Every connection between members is mutual TLS, loopback included (on one machine every local user
        // reaches a loopback port); insecure = on is the one way off, loud at start and in status.
        if (!tlsSetting && !Insecure)
            throw new ConfigurationException($"{Origin("actorcompile.tls.enabled")}: actorcompile.tls.enabled = off, but members always authenticate with TLS, "
                + "loopback included (any local user can reach a loopback port). Remove the setting (a node of yours finds or makes your cluster certificate), "
                + "or set actorcompile.insecure = on to run without authentication on a machine and network you trust.");
        TlsEnabled = !Insecure;
        TlsCertificate = Read("actorcompile.tls.certificate", "the path of a PKCS#12 (.pfx) file", k => merged.GetString(k) ?? "");
        var password = Read("actorcompile.tls.password", "a string", k => merged.GetString(k) ?? "");
        var passwordFile = Read("actorcompile.tls.password-file", "a path, or \"\"", k => merged.GetString(k) ?? "");
        TlsTrustedThumbprints = Read("actorcompile.tls.trusted-thumbprints", "a list of SHA-1 thumbprints (40 hexadecimal digits)", k =>
        {
            var list = merged.GetStringList(k).Select(t => t.Replace(":", "", StringComparison.Ordinal).ToUpperInvariant()).ToList();
            return list.All(t => t.Length == 40 && t.All(char.IsAsciiHexDigit)) ? list : null;
        });
        if (TlsEnabled && TlsCertificate.Length == 0)
        {
            // No certificate named: this user's own, found or made (UserClusterKey).
            var directory = clusterKeyDirectory
                ?? throw new ConfigurationException("this node has no cluster certificate (actorcompile.tls.certificate) and its user no home to keep one in "
                    + "(neither XDG_STATE_HOME nor HOME is set): run `actorcompile setup`, or name the certificate in the configuration");
            var (certificate, file, created) = UserClusterKey.FindOrCreate(directory);
            TlsCertificate = certificate;
            passwordFile = file;
            TlsCertificateCreated = created;
            TlsCertificateIsTheUsers = true;
        }
        if (TlsEnabled)
        {
            if (!File.Exists(TlsCertificate))
                throw new ConfigurationException($"{Origin("actorcompile.tls.certificate")}: actorcompile.tls.certificate = \"{TlsCertificate}\" is not a file; TLS needs the cluster certificate (.pfx)");
            if (passwordFile.Length > 0)
            {
                if (!File.Exists(passwordFile))
                    throw new ConfigurationException($"{Origin("actorcompile.tls.password-file")}: actorcompile.tls.password-file = \"{passwordFile}\" is not a file");
                password = File.ReadLines(passwordFile).FirstOrDefault() ?? "";
            }
        }
        TlsPassword = password;
        TlsJoinKeyFile = Read("actorcompile.tls.join-key-file", "a path, or \"\"", k => merged.GetString(k) ?? "");
        var joinPort = ReadValue<int>("actorcompile.tls.join-port", "a port from 1 to 65535, or 0 for the cluster port + 1", k => merged.GetInt(k) is var p and >= 0 and <= ValueKinds.MaxPort ? p : (int?)null);
        if (TlsEnabled && TlsJoinKeyFile.Length > 0 && Setup.Joining.ClusterFiles.ReadJoinKey(TlsJoinKeyFile) is null)
            throw new ConfigurationException($"{Origin("actorcompile.tls.join-key-file")}: actorcompile.tls.join-key-file = \"{TlsJoinKeyFile}\" is not a join key file (64 hexadecimal digits; actorcompile setup writes one)");
        // No join service without a join key, and none beside a cluster port picked at random: nobody
        // could name it in a token.
        TlsJoinPort = !TlsEnabled || TlsJoinKeyFile.Length == 0 ? 0
            : joinPort > 0 ? joinPort
            : Port is > 0 and < ValueKinds.MaxPort ? Port + 1 : 0;
        MaxJobBytes = ReadValue<long>("actorcompile.max-job-size", "a size from 1KiB to 1GiB, such as 128MiB",
            k => merged.GetByteSize(k) is >= JobLimits.SmallestMaxJobBytes and <= JobLimits.LargestMaxJobBytes and var b ? b : null);
        BackoffAfterFailures = ReadValue<int>("actorcompile.coordinator.backoff-after-failures", "a whole number from 1 to 100", k => merged.GetInt(k) is var n and >= 1 and <= 100 ? n : (int?)null);
        Backoff = ReadValue<TimeSpan>("actorcompile.coordinator.backoff", "a duration such as 60s", k => merged.GetTimeSpan(k) is var t && t >= TimeSpan.Zero ? t : (TimeSpan?)null);
        HelpAfter = ReadValue<TimeSpan>("actorcompile.coordinator.help-after", "a duration such as 150ms", k => merged.GetTimeSpan(k) is var t && t >= TimeSpan.Zero ? t : (TimeSpan?)null);
        DownUnreachableAfter = ReadValue<TimeSpan>("actorcompile.cluster.down-unreachable-after", "a duration from 1s to 10m, such as 7s",
            k => merged.GetTimeSpan(k) is var t && t >= TimeSpan.FromSeconds(1) && t <= TimeSpan.FromMinutes(10) ? t : (TimeSpan?)null);
        CacheEnabled = ReadValue<bool>("actorcompile.cache.enabled", "on or off", k => merged.GetBoolean(k));
        var cacheDirectory = Read("actorcompile.cache.directory", "an absolute directory path, or \"\" for the default", k => merged.GetString(k) is { } d && (d.Length == 0 || d.StartsWith('/')) ? d : null);
        CacheDirectory = cacheDirectory.Length > 0 ? cacheDirectory : DefaultCacheDirectory();
        CacheBytes = ReadValue<long>("actorcompile.cache.size", "a size such as 5GiB (at least 64KiB)", k => merged.GetByteSize(k) is >= 64L << 10 and var b ? b : null);
        CacheVerifyRate = ReadValue<double>("actorcompile.cache.verify-rate", "a share of hits from 0% to 100%, such as 1%", k => ParseRate(merged.GetString(k)));
        CacheLookupTimeout = ReadValue<TimeSpan>("actorcompile.cache.lookup-timeout", "a duration from 100ms to 1m, such as 2s",
            k => merged.GetTimeSpan(k) is var t && t >= TimeSpan.FromMilliseconds(100) && t <= TimeSpan.FromMinutes(1) ? t : (TimeSpan?)null);
        CacheDistrustFor = ReadValue<TimeSpan>("actorcompile.cache.distrust-for", "a duration from 1m to 30d, such as 1h",
            k => merged.GetTimeSpan(k) is var t && t >= TimeSpan.FromMinutes(1) && t <= TimeSpan.FromDays(30) ? t : (TimeSpan?)null);
        RejoinPatience = ReadValue<TimeSpan>("actorcompile.cluster.rejoin-patience", "a duration from 10s to 7d, such as 10m",
            k => merged.GetTimeSpan(k) is var t && t >= TimeSpan.FromSeconds(10) && t <= TimeSpan.FromDays(7) ? t : (TimeSpan?)null);
    }

    /// <summary>$XDG_CACHE_HOME/actorcompile, else ~/.cache/actorcompile: the node's user's cache, as ccache's is.</summary>
    private static string DefaultCacheDirectory()
    {
        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        if (xdg is { Length: > 0 } && xdg.StartsWith('/')) return Path.Combine(xdg, "actorcompile");
        return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "actorcompile");
    }

    /// <summary>"1%", "0.5 %", or a fraction such as 0.01; null when it is none of these or outside 0 to 1.</summary>
    internal static double? ParseRate(string? text)
    {
        if (text is null) return null;
        var t = text.Trim();
        var percent = t.EndsWith('%');
        if (percent) t = t[..^1].TrimEnd();
        if (!double.TryParse(t, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var v)) return null;
        if (percent) v /= 100;
        return v is >= 0 and <= 1 ? v : null;
    }

    /// <summary>Reads a key; any problem becomes a message naming the file that set it, the key and what is allowed.</summary>
    private T ReadValue<T>(string key, string allowed, Func<string, T?> read) where T : struct =>
        Read<object>(key, allowed, k => read(k) is { } v ? v : null) is T value ? value : throw new InvalidOperationException();

    private T Read<T>(string key, string allowed, Func<string, T?> read) where T : class
    {
        T? value;
        try
        {
            value = read(key);
        }
        catch (Exception e) when (e is not ConfigurationException and not OutOfMemoryException)
        {
            value = default;
        }
        if (value is null)
        {
            var origin = Origin(key);
            string shown;
            try { shown = Merged.GetValue(key)?.ToString() ?? "(missing)"; } catch (Exception e) when (e is not OutOfMemoryException) { shown = "(unreadable)"; }
            throw new ConfigurationException($"{origin}: {key} = {shown} is not allowed; expected {allowed}");
        }
        return value;
    }

    /// <summary>The layer (file or "command line") that set a key last.</summary>
    public string Origin(string key)
    {
        for (int i = 0; i < _layers.Count; i++)
        {
            try
            {
                if (_layers[i].Config.HasPath(key)) return _layers[i].Origin;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                return _layers[i].Origin;
            }
        }
        return "configuration";
    }

    /// <summary>Reads the layers. The shipped file is required; the others are optional.</summary>
    /// <param name="clusterKeyDirectory">Where this user's cluster certificate is found or made when the configuration names none (<see cref="UserClusterKey.DefaultDirectory"/>).</param>
    public static NodeConfiguration Load(NodeOptions options, string? shippedFile = null, string? configDirectory = null, string? clusterKeyDirectory = null)
    {
        var layers = new List<(string, Config)>();
        var flags = options.ToHocon();
        if (flags.Length > 0) layers.Add(("command line", HoconParsing.Parse("command line", flags)));
        foreach (var file in options.ConfigFiles.AsEnumerable().Reverse())
        {
            if (!File.Exists(file)) throw new ConfigurationException($"--config {file}: no such file");
            layers.Add((file, HoconParsing.Parse(file, File.ReadAllText(file))));
        }
        configDirectory ??= Environment.GetEnvironmentVariable(ConfigDirectoryVariable) is { Length: > 0 } d ? d : "/etc/actorcompile";
        if (Directory.Exists(configDirectory))
        {
            foreach (var file in Directory.GetFiles(configDirectory, "*.hocon").OrderDescending(StringComparer.Ordinal))
                layers.Add((file, HoconParsing.Parse(file, File.ReadAllText(file))));
        }
        shippedFile ??= Path.Combine(AppContext.BaseDirectory, "hocon", "actorcompile.hocon");
        if (!File.Exists(shippedFile))
            throw new ConfigurationException($"the shipped configuration {shippedFile} is missing; reinstall actorcompile (it belongs next to the binary)");
        layers.Add((shippedFile, HoconParsing.Parse(shippedFile, File.ReadAllText(shippedFile))));
        return new NodeConfiguration(layers, clusterKeyDirectory ?? UserClusterKey.DefaultDirectory());
    }

    /// <summary>The longest message between nodes and frame on the socket: the largest job with its envelope (<see cref="JobLimits.FrameBytes"/>).</summary>
    public int FrameBytes => (int)Math.Min(int.MaxValue, JobLimits.FrameBytes(MaxJobBytes));

    /// <summary>
    /// The bounds of the local socket. Only contents may fill a frame of <see cref="FrameBytes"/>; every
    /// other message of a job travels in the envelope of the cluster's message, so its requests and
    /// manifests share that room (half each).
    /// </summary>
    public SocketLimits SocketLimits => new(
        SocketClients,
        SocketClientsPerUser,
        FrameBytes,
        (int)(JobLimits.EnvelopeBytes / 2),
        Math.Max(SocketBufferPerUserBytes > 0 ? SocketBufferPerUserBytes : 2L * FrameBytes, FrameBytes),
        SocketIdleTimeout);
}
