using System.Runtime.InteropServices;
using System.Text;
using Akka.Actor;
using ActorCompile.Node.Configuration;

namespace ActorCompile.Node.Hosting;

/// <summary>
/// What a node removed from the cluster carries into the process that replaces it: its own address (so
/// that it comes back on the same port) and the members it last knew, which it then joins. A node
/// without --seed (the first of its cluster) lists itself first: it joins one of those members if any
/// answers, or starts a cluster of its own only when every one of them answers that it is in none, or
/// after actorcompile.cluster.rejoin-patience without an answer. It must not start a second cluster while
/// the others are merely out of reach (paused, partitioned).
/// </summary>
public sealed record RejoinPlan(Address Self, IReadOnlyList<Address> Members)
{
    /// <summary>Set by a node for the process that replaces it: its address, then the members it knew.</summary>
    public const string Variable = "ACTORCOMPILE_REJOIN";

    public static RejoinPlan? FromEnvironment()
    {
        var text = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrWhiteSpace(text)) return null;
        var addresses = new List<Address>();
        foreach (var part in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!Address.TryParse(part, out var address) || address.Host is null || address.Port is null)
                throw new ConfigurationException($"{Variable}: '{part}' is not a cluster address (it is set by a node that starts itself again; unset it)");
            addresses.Add(address);
        }
        return new RejoinPlan(addresses[0], addresses.Skip(1).Where(a => a != addresses[0]).Distinct().ToList());
    }

    /// <summary>
    /// The plan of a node started from nothing that remembers members it saw up (see <see cref="RememberedMembers"/>),
    /// or null when it remembers none. Only members reached the way this node connects now (TLS or not) count.
    /// </summary>
    public static RejoinPlan? FromRemembered(NodeConfiguration config, RememberedMembers? remembered)
    {
        if (remembered is null) return null;
        var self = new Address(config.TlsEnabled ? "akka.ssl.tcp" : "akka.tcp", NodeConfiguration.SystemName, config.Host, config.Port);
        var members = remembered.Read(out var problem).Where(a => a.Protocol == self.Protocol && !a.Equals(self)).ToList();
        if (problem is not null) Console.Error.WriteLine($"actorcompile-node: {problem}");
        if (members.Count == 0) return null;
        Console.Error.WriteLine($"actorcompile-node: joining the members this node last saw up: {string.Join(", ", members)} ({remembered.Path})");
        return new RejoinPlan(self, members);
    }

    public string ToEnvironment() => string.Join(' ', new[] { Self }.Concat(Members).Select(a => a.ToString()));

    /// <summary>Counts this node's starts after a removal, across the restarts in place (status shows it).</summary>
    public const string CountVariable = "ACTORCOMPILE_REJOINS";

    /// <summary>How often this process started again after the cluster removed it (0 for a first start).</summary>
    public static int Count() =>
        int.TryParse(Environment.GetEnvironmentVariable(CountVariable), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : 0;
}

/// <summary>
/// Replaces this process by a fresh start of the same program with the same arguments (execve of
/// /proc/self/exe): the same process id, so a service manager and a terminal keep it, with a new actor
/// system that can join the cluster again (a removed member never can: the others quarantined it).
/// </summary>
public static class ProcessRestart
{
    /// <summary>
    /// Gives a process started again by <see cref="Exec"/> its name back. The kernel names a process after the
    /// file it runs, here "exe" (of /proc/self/exe, which is run because it is this very binary even when a newer
    /// one was installed over it since): top and ps showed every node as "exe", and killall actorcompile-node or
    /// pgrep actorcompile found none (the kernel keeps 15 bytes of a name: "actorcompile-no"). Call it on the process's first thread.
    /// </summary>
    public static void KeepName()
    {
        string comm;
        try
        {
            comm = File.ReadAllText("/proc/self/comm").TrimEnd('\n');
        }
        catch (IOException)
        {
            return;
        }
        if (comm != "exe") return;
        var name = System.IO.Path.GetFileName(Environment.ProcessPath) is { Length: > 0 } file && file != "exe" ? file : "actorcompile-node";
        ActorCompile.Toolchain.Processes.Native.NameThisThread(name);
    }

    /// <summary>Starts again with <paramref name="variables"/> added to the environment; returns only on failure, with why.</summary>
    public static string Exec(IReadOnlyDictionary<string, string> variables)
    {
        string[] arguments;
        try
        {
            arguments = File.ReadAllText("/proc/self/cmdline", Encoding.UTF8).TrimEnd('\0').Split('\0');
        }
        catch (IOException e)
        {
            return $"cannot read this process's command line: {e.Message}";
        }
        var environment = Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .Select(e => ((string)e.Key, (string?)e.Value ?? ""))
            .Where(e => !variables.ContainsKey(e.Item1))
            .Concat(variables.Select(v => (v.Key, v.Value)))
            .Select(e => $"{e.Item1}={e.Item2}")
            .ToArray();
        return ActorCompile.Toolchain.Processes.Native.Execute("/proc/self/exe", arguments, environment);
    }
}

/// <summary>
/// The members a node last saw up, kept on disk so that a node restarted from nothing (killed, crashed, the
/// machine rebooted; its service manager starts it again) rejoins them as a removed node does, instead of
/// starting a second cluster when it has no seeds (the first node of a cluster never has). One file per node
/// address in the user's state directory ($XDG_STATE_HOME/actorcompile/members, the service's
/// /var/lib/actorcompile/members), this user's alone like the cluster key: a file another user could write
/// would choose whom this node joins (TLS would still keep it out of a cluster without the key). Members
/// that left properly or were removed drop out of it; a remembered member that no longer answers can hold
/// a seedless node's start for up to actorcompile.cluster.rejoin-patience (Akka's first-seed rule).
/// </summary>
public sealed class RememberedMembers
{
    private readonly string _path;
    private readonly object _gate = new();
    private IReadOnlyList<Address>? _pending;
    private bool _writing;
    private IReadOnlyList<Address> _written = Array.Empty<Address>();

    public RememberedMembers(string path) => _path = path;

    public string Path => _path;

    /// <summary>The file of the node at host:port in this user's state directory, or null without one (no home) or with an unknown port.</summary>
    public static RememberedMembers? For(string host, int port)
    {
        if (port == 0 || ActorCompile.Node.Configuration.UserClusterKey.StateDirectory() is not { } state) return null;
        var name = new string(host.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' ? c : '_').ToArray());
        return new RememberedMembers(System.IO.Path.Combine(state, "members", $"{name}_{port}"));
    }

    /// <summary>The members written last, at most <see cref="KnownMembers.MaxRemembered"/>; none when there is no such file, or one this user does not own alone (with why).</summary>
    public IReadOnlyList<Address> Read(out string? problem)
    {
        problem = null;
        if (!File.Exists(_path)) return Array.Empty<Address>();
        if (ActorCompile.Toolchain.Processes.Native.OwnerAndMode(_path) is not var (owner, mode) || (mode & 0xF000) != 0x8000
            || owner != ActorCompile.Toolchain.Processes.Native.EffectiveUserId() || (mode & 0b010_010) != 0)
        {
            problem = $"{_path} is not a file this user alone may change: ignored (remove it)";
            return Array.Empty<Address>();
        }
        var members = new List<Address>();
        foreach (var line in File.ReadLines(_path).Take(KnownMembers.MaxRemembered))
            if (Address.TryParse(line.Trim(), out var address) && address.Host is not null && address.Port is not null && !members.Contains(address))
                members.Add(address);
        return members;
    }

    /// <summary>
    /// Writes <paramref name="members"/> in the background (never on the caller's thread, which is an actor's),
    /// the latest list winning; a whole file replaces the old one (a temporary file renamed), in a directory only
    /// this user may enter. Failures are reported to <paramref name="failed"/> and change nothing else.
    /// </summary>
    public void Save(IReadOnlyList<Address> members, Action<string> failed)
    {
        lock (_gate)
        {
            _pending = members;
            if (_writing) return;
            _writing = true;
        }
        Task.Run(() =>
        {
            while (true)
            {
                IReadOnlyList<Address> next;
                lock (_gate)
                {
                    if (_pending is null) { _writing = false; return; }
                    next = _pending;
                    _pending = null;
                }
                if (next.SequenceEqual(_written)) continue;
                try
                {
                    var directory = System.IO.Path.GetDirectoryName(_path)!;
                    Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                    ActorCompile.Toolchain.Processes.AtomicFile.WriteText(_path, string.Concat(next.Select(a => a + "\n")), UnixFileMode.UserRead | UnixFileMode.UserWrite);
                    _written = next;
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    failed($"cannot remember the cluster's members in {_path}: {e.Message}");
                }
            }
        });
    }
}
