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
        // Each name is probed: what a driver says depends on the name it is run by, not only for clang's C++ mode
        // (clang++) but for its target too (a link named aarch64-linux-gnu-clang compiles for arm64). Probed by
        // program alone, such a link took the identity of plain clang. A second name of one program costs its
        // driver's starts (gcc 3 ms each) and no reading: file hashes are remembered by the file's identity.
        var probed = new Dictionary<(string Canonical, string Name), ProbedToolchain>();
        foreach (var name in explicitList ? configured : DefaultNames)
        {
            var location = ExecutableSearch.Find(name, path);
            if (location is null)
            {
                if (explicitList) throw new ToolchainProbeException($"toolchain {name}: not found (give a path, or a name on PATH)");
                continue;
            }
            var key = (ExecutableSearch.Canonical(location), Path.GetFileName(location));
            if (probed.TryGetValue(key, out var same))
            {
                found.Add(same with { Path = location });
                continue;
            }
            try
            {
                found.Add(probed[key] = await ToolchainProbe.ProbeAsync(location, cancellationToken));
            }
            catch (ToolchainProbeException) when (!explicitList)
            {
                // A default name that is not a usable compiler (a script named cc, say) is simply not offered.
            }
        }
        var toolchains = new List<WorkerToolchain>();
        foreach (var group in found.GroupBy(t => t.Identity.Fingerprint))
        {
            var first = group.First();
            // The files of its sealed root; hashed when the root is first built, not now.
            var manifest = await ToolchainFiles.FindAsync(first, hash: false, cancellationToken);
            toolchains.Add(new WorkerToolchain(group.Select(t => Path.GetFileName(t.Path)).Distinct().ToList(), first.Path, first.Identity, manifest));
        }
        return toolchains;
    }
}
