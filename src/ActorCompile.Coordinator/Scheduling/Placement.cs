using ActorCompile.Toolchain.Identity;

namespace ActorCompile.Coordinator.Scheduling;

/// <summary>Where a wrapper's compile goes: to the cluster (the target preprocesses it first), or local and why.</summary>
public abstract record PlacementDecision
{
    /// <summary>A worker may take it: with its own toolchain, or with the target's shipped to it.</summary>
    public sealed record Distribute : PlacementDecision;
    /// <summary>Only workers that take shipped toolchains could take it: first find whether this compiler can be shipped.</summary>
    public sealed record FindWhetherShippable : PlacementDecision;
    /// <summary>No worker may take it: the target compiles it, and the wrapper says why.</summary>
    public sealed record Local(string Why) : PlacementDecision;
}

/// <summary>
/// Decides for one compile between the cluster and the target, from the workers' state alone (no Akka, no
/// clock of its own): a worker that offers the toolchain and serves now takes it; else one that takes
/// shipped toolchains of its architecture, once the node found the compiler shippable; else it stays
/// local, with the most specific reason there is.
/// </summary>
public static class Placement
{
    /// <param name="shippable">The node found this compiler shippable before.</param>
    /// <param name="notShippable">The answer just found for this compiler when it is not shippable (null: not asked, or shippable).</param>
    /// <param name="asked">Whether the shipping question was asked for this compile already.</param>
    public static PlacementDecision Decide<TRef>(ToolchainIdentity toolchain, WorkerRegistry<TRef> workers, DateTime now,
        bool shippable, bool asked, string? notShippable) where TRef : notnull
    {
        if (workers.Native(toolchain.Fingerprint, now).Any()) return new PlacementDecision.Distribute();
        bool shippedTakers = workers.TakingShipped(toolchain.Architecture, now).Any();
        if (shippedTakers && shippable) return new PlacementDecision.Distribute();
        if (shippedTakers && !asked) return new PlacementDecision.FindWhetherShippable();
        return new PlacementDecision.Local(WhyLocal(toolchain, workers, notShippable));
    }

    /// <summary>Why no worker takes a compile of this toolchain: the most specific of the reasons.</summary>
    public static string WhyLocal<TRef>(ToolchainIdentity toolchain, WorkerRegistry<TRef> workers, string? notShippable) where TRef : notnull
    {
        if (workers.Count == 0) return "no worker in the cluster";
        var offering = workers.All.Where(w => w.Fingerprints.Contains(toolchain.Fingerprint)).ToList();
        var shippedTo = workers.All.Where(w => w.ShippedArchitectures.Count > 0).ToList();
        if (offering.Count == 0)
        {
            if (notShippable is not null) return $"no worker offers {toolchain}, and it cannot be shipped: {notShippable}";
            if (shippedTo.Count == 0) return $"no worker offers {toolchain}, and none takes shipped toolchains";
            if (!shippedTo.Any(w => w.ShippedArchitectures.Contains(toolchain.Architecture)))
                return $"no worker offers {toolchain}, and no helper runs {toolchain.Architecture} toolchains (they run {string.Join(", ", shippedTo.SelectMany(w => w.ShippedArchitectures).Distinct())})";
            return $"no worker offers {toolchain}, and every helper that takes shipped toolchains is unavailable";
        }
        if (offering.All(w => !w.Reachable)) return $"every worker offering {toolchain} is unreachable";
        if (offering.FirstOrDefault(w => w.Refusal is not null) is { } refusing && offering.All(w => w.Refusal is not null || !w.Reachable))
            return $"no worker offering {toolchain} serves jobs ({refusing.Address}: {refusing.Refusal})";
        return $"every worker offering {toolchain} is backed off after repeated failures";
    }
}
