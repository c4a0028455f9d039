using ActorCompile.Toolchain.Identity;
using ActorCompile.Worker.Execution;

namespace ActorCompile.Worker;

/// <summary>Finds and identifies the compilers a worker offers.</summary>
public static class ToolchainDiscovery
{
    /// <summary>The names looked for on PATH when no toolchain is configured.</summary>
    public static readonly IReadOnlyList<string> DefaultNames = new[] { "gcc", "g++", "cc", "c++", "clang", "clang++" };

    /// <summary>
    /// Probes each configured compiler (or the defaults found on PATH). Configured ones that cannot be
    /// found or are not compilers are errors; missing defaults are skipped. Names of the same compiler
    /// (gcc and cc) become one toolchain that answers to both.
    /// </summary>
    public static async Task<List<WorkerToolchain>> DiscoverAsync(IReadOnlyList<string> configured, CancellationToken cancellationToken = default)
    {
        var path = Environment.GetEnvironmentVariable("PATH");
        bool explicitList = configured.Count > 0;
        var found = new List<ProbedToolchain>();
        foreach (var name in explicitList ? configured : DefaultNames)
        {
            var location = ExecutableSearch.Find(name, path);
            if (location is null)
            {
                if (explicitList) throw new ToolchainProbeException($"toolchain {name}: not found (give a path, or a name on PATH)");
                continue;
            }
            try
            {
                found.Add(await ToolchainProbe.ProbeAsync(location, cancellationToken));
            }
            catch (ToolchainProbeException e) when (!explicitList)
            {
                _ = e; // a default name that is not a usable compiler is simply not offered
            }
        }
        return found
            .GroupBy(t => t.Identity.Fingerprint)
            .Select(g => new WorkerToolchain(g.Select(t => Path.GetFileName(t.Path)).Distinct().ToList(), g.First().Path, g.First().Identity))
            .ToList();
    }
}
