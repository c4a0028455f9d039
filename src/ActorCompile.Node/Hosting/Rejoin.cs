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
