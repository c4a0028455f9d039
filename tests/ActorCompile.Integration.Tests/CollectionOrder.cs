using Xunit;
using Xunit.Abstractions;

[assembly: TestCollectionOrderer("ActorCompile.Integration.Tests.LongestFirst", "ActorCompile.Integration.Tests")]

namespace ActorCompile.Integration.Tests;

/// <summary>
/// Starts the test classes that take longest first (xunit starts collections in this order, three at a
/// time): the suite shares two cores, and a long class started last ran alone at the end while the other
/// threads had nothing left. The order comes from a fresh clone's run on 2026-11-30 (seconds of test time per
/// class, longest first); a class not named here runs after them, in xunit's order. Only the order
/// changes: every class still runs, each on its own.
/// </summary>
public sealed class LongestFirst : ITestCollectionOrderer
{
    private static readonly string[] Longest =
    {
        "SupervisionTests", "ResultCacheTests", "ShippedToolchainTests", "WorkerFailureTests", "TrustTests",
        "SealedWorkerTests", ClusterCollection.Name, "ClusterHealingTests", "BlobCacheTests", "StatusTests",
        "ShippedProberTests", "JobSizeTests", "InstallTests", "LocalUserTests", "NodeLifecycleTests",
    };

    public IEnumerable<ITestCollection> OrderTestCollections(IEnumerable<ITestCollection> testCollections) =>
        testCollections.Select((c, i) => (Collection: c, Index: i))
            .OrderBy(c => Rank(c.Collection))
            .ThenBy(c => c.Index)
            .Select(c => c.Collection);

    /// <summary>A class's collection is named "Test collection for NAMESPACE.CLASS"; a shared one by its own name.</summary>
    private static int Rank(ITestCollection collection)
    {
        var name = collection.DisplayName;
        var simple = name[(name.LastIndexOf('.') + 1)..];
        var rank = Array.IndexOf(Longest, simple);
        return rank < 0 ? Longest.Length : rank;
    }
}
